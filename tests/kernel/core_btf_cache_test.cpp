// SPDX-License-Identifier: Apache-2.0
// The minimal CO-RE BTF of a boot (tracer/core_btf_cache.h): the first start makes it with the
// real bpftool, the next relocates every family against it with exact counts, a copy the tracer
// must not trust is not used, a copy that lacks a family's types falls back to the kernel's BTF,
// and a stop while bpftool runs leaves neither a process nor a file.
#include "core_btf_cache.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "families.h"
#include "family_args.h"
#include "kernel_test_util.h"
#include "probes/netdev_probe.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class CoreBtfCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("podtrace-core-btf");
    chmod(dir_.c_str(), 0700);
    setenv("PODTRACE_CORE_BTF_CACHE", dir_.c_str(), 1);
    file_ = *core_btf_cache_file(family_objects());
  }
  void TearDown() override {
    unsetenv("PODTRACE_CORE_BTF_CACHE");
    unsetenv("PODTRACE_BPFTOOL");
    fs::remove_all(dir_);
  }

  // Every name in the cache directory.
  std::set<std::string> names() const {
    std::set<std::string> found;
    for (const auto& e : fs::directory_iterator(dir_)) found.insert(e.path().filename());
    return found;
  }

  // Waits until the directory holds exactly the usable copy (bpftool runs after the start line).
  bool copy_made(std::chrono::seconds within = std::chrono::seconds(60)) const {
    const auto deadline = Clock::now() + within;
    while (Clock::now() < deadline) {
      if (names() == std::set<std::string>{file_.filename()} && core_btf_usable(file_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  fs::path dir_, file_;
};

// Families enabled, each with its attach type.
std::map<std::string, std::string> enabled(const nlohmann::json& start) {
  std::map<std::string, std::string> on;
  for (const auto& d : start["diagnostics"])
    if (d["enabled"] == true) on[d["name"]] = d["attach"];
  return on;
}

// 200 fsyncs of one file by a process in a cgroup of its own, traced by a tracer with `args` added,
// which runs `before_stop` before it is stopped; checks the exact counts and returns its start
// line.
nlohmann::json trace_fsyncs(
    const std::vector<std::string>& args, const std::function<void()>& before_stop = [] {}) {
  TestCgroup target("pt-core-btf");
  const fs::path dir = make_temp_dir("podtrace-core-btf-wal"), path = dir / "wal";
  Workload traced(target, [&] { return write_fsync_loop(path, 200); });
  // The tracer ends when its target has no process left: this one stays until the stop.
  Workload stays(target, [] {
    pause();
    return 0;
  });
  std::vector<std::string> all = {"--cgroup", target.v2().string(), "--slow-threshold", "10s"};
  all.insert(all.end(), args.begin(), args.end());
  TracerProcess tracer(all);
  const auto start = tracer.wait_for_start();
  traced.go();
  EXPECT_EQ(traced.wait(), 0);
  before_stop();
  EXPECT_EQ(tracer.stop(), 0) << tracer.stderr_text();
  const auto files = tracer.report()["fileio"]["files"];
  auto fsyncs = find_entry(files, {{"path", path.string()}, {"op", "fsync"}});
  EXPECT_TRUE(fsyncs) << files.dump();
  if (fsyncs) {
    EXPECT_EQ((*fsyncs)["count"], 200);
    EXPECT_EQ((*fsyncs)["pid"], traced.pid());
  }
  fs::remove_all(dir);
  return start;
}

TEST_F(CoreBtfCacheTest, FirstStartMakesItAndTheNextRelocatesEveryFamilyWithIt) {
  // A stop kills a bpftool still running: this trace lasts until the copy is there.
  const auto first = trace_fsyncs({}, [&] { EXPECT_TRUE(copy_made()); });
  EXPECT_EQ(first["core_btf"], "kernel");
  ASSERT_TRUE(copy_made()) << ::testing::PrintToString(names());
  // bpftool kept the types and members the objects use: a small part of the kernel's BTF.
  EXPECT_LT(fs::file_size(file_) * 20, fs::file_size("/sys/kernel/btf/vmlinux"));
  struct stat st {};
  ASSERT_EQ(stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  const auto second = trace_fsyncs({});
  EXPECT_EQ(second["core_btf"], "cache");
  EXPECT_EQ(enabled(second), enabled(first));
  EXPECT_EQ(enabled(second).size(), families().size()) << second["diagnostics"].dump();
  // It used the copy and made no other.
  EXPECT_EQ(names(), std::set<std::string>{file_.filename()});
}

TEST_F(CoreBtfCacheTest, ACopyOthersCouldHaveWrittenIsNotUsedAndIsRemade) {
  const std::string only_fileio = families_except("fileio");
  const auto remade = [&] { EXPECT_TRUE(copy_made()); };
  trace_fsyncs({"--disable", only_fileio}, remade);
  ASSERT_TRUE(copy_made());
  const fs::path sound = dir_.parent_path() / (dir_.filename().string() + "-sound");
  fs::copy_file(file_, sound, fs::copy_options::overwrite_existing);

  // Writable by others.
  chmod(file_.c_str(), 0666);
  EXPECT_EQ(trace_fsyncs({"--disable", only_fileio}, remade)["core_btf"], "kernel");
  // A link to a sound copy (replaced by the remade file, so planted again each time).
  ASSERT_TRUE(copy_made());
  fs::remove(file_);
  fs::create_symlink(sound, file_);
  EXPECT_EQ(trace_fsyncs({"--disable", only_fileio}, remade)["core_btf"], "kernel");
  // Not BTF.
  ASSERT_TRUE(copy_made());
  std::ofstream(file_, std::ios::trunc) << "not BTF";
  EXPECT_EQ(trace_fsyncs({"--disable", only_fileio}, remade)["core_btf"], "kernel");
  // Each time the start made it again, sound.
  EXPECT_TRUE(copy_made());
  fs::remove(sound);
}

TEST_F(CoreBtfCacheTest, ACopyWithoutAFamilysTypesFallsBackToTheKernelsBtf) {
  // bpftool's copy for the netdev object alone: it lacks the types fileio relocates against.
  const fs::path object = dir_ / "netdev.bpf.o";
  const auto bytes = NetdevProbe::bpf_object();
  std::ofstream(object, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  auto made = run_command({"bpftool", "gen", "min_core_btf", "/sys/kernel/btf/vmlinux",
                           file_.string(), object.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  fs::remove(object);
  chmod(file_.c_str(), 0600);
  ASSERT_TRUE(core_btf_usable(file_));
  const auto start = trace_fsyncs({"--disable", families_except("fileio")});
  EXPECT_EQ(start["core_btf"], "cache, 1 loads fell back to kernel") << start.dump();
  EXPECT_EQ(enabled(start).count("fileio"), 1u) << start["diagnostics"].dump();
  // Retired for the rest of the boot: the next start neither uses nor makes a copy.
  const std::string failed = file_.filename().string() + ".failed";
  EXPECT_EQ(names(), std::set<std::string>{failed});
  const auto next = trace_fsyncs({"--disable", families_except("fileio")}, [] { sleep(1); });
  EXPECT_EQ(next["core_btf"], "kernel");
  EXPECT_EQ(names(), std::set<std::string>{failed});
}

TEST_F(CoreBtfCacheTest, AStopWhileBpftoolRunsLeavesNoProcessAndNoFile) {
  // A bpftool that never finishes: it says its pid, then sleeps.
  const fs::path slow = dir_.parent_path() / (dir_.filename().string() + "-bpftool");
  const fs::path pid_file = dir_.parent_path() / (dir_.filename().string() + "-pid");
  std::ofstream(slow) << "#!/bin/sh\necho $$ > " << pid_file.string() << "\nexec sleep 60\n";
  chmod(slow.c_str(), 0755);
  setenv("PODTRACE_BPFTOOL", slow.c_str(), 1);
  TestCgroup target("pt-core-btf-stop");
  TracerProcess tracer({"--cgroup", target.v2().string(), "--disable", families_except("fileio")});
  EXPECT_EQ(tracer.wait_for_start()["core_btf"], "kernel");
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!fs::exists(pid_file) || fs::file_size(pid_file) == 0) {
    ASSERT_LT(Clock::now(), deadline) << "the tracer did not run bpftool";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_t pid = 0;
  std::ifstream(pid_file) >> pid;
  ASSERT_GT(pid, 0);
  EXPECT_EQ(kill(pid, 0), 0);
  EXPECT_EQ(tracer.stop(), 0) << tracer.stderr_text();
  EXPECT_EQ(kill(pid, 0), -1);  // killed and reaped by the tracer
  EXPECT_EQ(errno, ESRCH);
  EXPECT_TRUE(names().empty()) << ::testing::PrintToString(names());
  fs::remove(slow);
  fs::remove(pid_file);
}

TEST_F(CoreBtfCacheTest, WithoutBpftoolTheTracerStartsTheSameAndWritesNothing) {
  setenv("PODTRACE_BPFTOOL", (dir_ / "no-such-bpftool").c_str(), 1);
  const auto start = trace_fsyncs({"--disable", families_except("fileio")});
  EXPECT_EQ(start["core_btf"], "kernel");
  EXPECT_TRUE(names().empty()) << ::testing::PrintToString(names());
}

}  // namespace
}  // namespace podtrace::tracer::testing
