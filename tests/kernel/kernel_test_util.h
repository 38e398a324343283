// SPDX-License-Identifier: Apache-2.0
// kernel_test_util.h: real cgroups, real workloads and the real tracer binary for kernel tests.
#pragma once

#include <sys/mman.h>
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace podtrace::tracer::testing {

// A fresh cgroup beneath the test's own cgroup, in the v2 tree and (on hybrid hosts) in the v1
// cpu and memory hierarchies, as runc does. Removed on destruction.
class TestCgroup {
 public:
  explicit TestCgroup(const std::string& name);
  ~TestCgroup();
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;

  const std::filesystem::path& v2() const { return v2_; }
  uint64_t id() const;
  bool hybrid() const { return !v1_.empty(); }
  // Sets the CFS quota: cpu.max on pure v2, cpu.cfs_quota_us/cpu.cfs_period_us on v1.
  void set_cpu_quota(long quota_us, long period_us);
  // memory.max on pure v2, memory.limit_in_bytes on v1.
  void set_memory_limit(long bytes);
  // Moves the calling process into every hierarchy of this cgroup (used in forked children).
  void join_self() const;

 private:
  std::filesystem::path v2_;
  std::vector<std::filesystem::path> v1_;  // cpu, memory dirs on hybrid hosts
  std::optional<std::filesystem::path> cpu_dir_;
  std::optional<std::filesystem::path> memory_dir_;
};

// A forked child that joins `cgroup`, waits for go(), runs `body` and exits with its result.
class Workload {
 public:
  Workload(const TestCgroup& cgroup, std::function<int()> body);
  // `join` moves the child into its cgroup(s); the constructor returns once it has.
  Workload(std::function<void()> join, std::function<int()> body);
  ~Workload();
  pid_t pid() const { return pid_; }
  void go();
  // The raw wait status.
  int wait();

 private:
  pid_t pid_ = -1;
  int go_fd_ = -1;
  bool reaped_ = false;
};

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion, capturing stdout and stderr.
ProcessResult run_command(const std::vector<std::string>& argv);

// The real podtrace-tracer (path from $PODTRACE_TRACER) streaming JSON lines.
class TracerProcess {
 public:
  explicit TracerProcess(std::vector<std::string> args);
  ~TracerProcess();
  // Blocks until the `start` line; returns it.
  nlohmann::json wait_for_start();
  // Blocks until the next line of this type; returns it.
  nlohmann::json wait_for(const std::string& type);
  // Blocks until the next event line of this family and kind; returns it.
  nlohmann::json wait_for_event(const std::string& family, const std::string& kind);
  // SIGINT, then reads everything until the tracer exits. Returns its exit code.
  int stop();
  // Reads until the tracer exits by itself.
  int wait_exit();
  int exit_code() const { return exit_code_; }
  const std::vector<nlohmann::json>& lines() const { return lines_; }
  nlohmann::json report() const;
  // The tracer's answer for one kernel feature (attach type or rule: "task_storage"), from its
  // report's kernel table; a missing answer fails the test.
  bool reported_feature_works(const std::string& feature) const;
  std::vector<nlohmann::json> events(const std::string& family, const std::string& kind) const;
  const std::string& stderr_text() const { return err_; }
  pid_t pid() const { return pid_; }

 private:
  bool read_line(std::string& line);
  void drain();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string buffer_;
  std::string err_;
  std::vector<nlohmann::json> lines_;
  int exit_code_ = -1;
};

// The usual shape of a kernel test: once the tracer is attached, release the workloads, wait
// for each, then stop the tracer (its lines stay in `tracer`). Returns the workloads' wait
// statuses, in order.
std::vector<int> run_under_tracer(TracerProcess& tracer, const std::vector<Workload*>& workloads);

std::string tracer_path();
std::filesystem::path make_temp_dir(const std::string& prefix);

// Writes "podtrace\n" (9 bytes) to `path` (created or truncated) and fsyncs it, `n` times: the
// file workload whose counts the fileio tests know exactly. 0; 10: open failed; 11: a write;
// 12: an fsync.
int write_fsync_loop(const std::filesystem::path& path, int n);

// Forks `n` children one after another, each exiting with child()'s value and reaped before the
// next starts, as a pod's shell loop runs short-lived processes. 0; 20: a fork failed; 21: a
// child failed.
int fork_one_by_one(int n, const std::function<int()>& child);

// What a workload tells the test, in memory shared across its fork.
template <typename T>
T* shared_page() {
  void* p = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("mmap");
  return new (p) T{};
}

// The keys of the BPF map named `name` (as the kernel keeps it: 15 characters at most) that
// process `pid` holds open, each as its bytes, read through the map's id in its fdinfo; empty when
// it holds no such map. Also of the test process's own probes (pid getpid()).
std::vector<std::vector<uint8_t>> bpf_map_keys(pid_t pid, const std::string& name);

// The report's entry of a JSON array whose fields match.
std::optional<nlohmann::json> find_entry(const nlohmann::json& array, const nlohmann::json& match);

}  // namespace podtrace::tracer::testing
