// SPDX-License-Identifier: Apache-2.0
// syscall_bench.cpp: cost per syscall of fileio's hooks: untraced, empty programs at fileio's
// hook choices (per-syscall tracepoints; tp_btf sys_enter/sys_exit; fentry/fexit where the kernel
// allows it), podtrace-tracer (target and non-target cgroup; on a kernel with fentry also forced
// to its tracepoint rung) and equivalent bpftrace scripts.
//
// Usage: syscall-bench --tracer PATH [--bpftrace PATH|none] [--iterations N] [--reps R] [--cpu C].
// Root: it creates two cgroups beneath its own v2 cgroup and removes them at the end.
//
// The workload, pinned to one CPU, runs two timed loops of N iterations each:
//   file:     pwrite(64 bytes) + pread(64 bytes) on a tmpfs file (fileio's full path);
//   non-file: getppid() twice (fileio's "not a file syscall" path: classify, return).
// Each loop is timed in thread CPU time (preemption by other jobs does not count) in 20 chunks,
// and a run keeps its best chunk. Every repetition runs all scenarios back to back, so drift on
// a shared machine hits all alike; the table shows medians over repetitions.
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "empty_hooks.skel.h"

namespace fs = std::filesystem;
namespace bench = podtrace::bench;

namespace {

constexpr size_t kIoSize = 64;

// ns per syscall of each loop of one workload run.
struct Sample {
  double file_ns = 0;
  double other_ns = 0;
  double all_ns() const { return (file_ns + other_ns) / 2; }  // both loops make 2N syscalls
};

// The child's side: open `path`, warm up, then time the two loops.
Sample workload(const fs::path& path, long iterations) {
  char buf[kIoSize];
  std::memset(buf, 'x', sizeof(buf));
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) _exit(1);
  auto file_loop = [&](long n) {
    for (long i = 0; i < n; ++i) {
      if (pwrite(fd, buf, kIoSize, 0) != static_cast<ssize_t>(kIoSize)) _exit(1);
      if (pread(fd, buf, kIoSize, 0) != static_cast<ssize_t>(kIoSize)) _exit(1);
    }
  };
  // syscall(): glibc may one day cache getppid like it once cached getpid.
  auto other_loop = [](long n) {
    for (long i = 0; i < n; ++i) {
      syscall(SYS_getppid);
      syscall(SYS_getppid);
    }
  };
  Sample s;
  other_loop(iterations / 10);
  s.other_ns = bench::best_chunk_ns(other_loop, iterations / bench::kChunks, 2);
  // The warm-up file calls are workload syscalls too: the caller counts them.
  file_loop(iterations / 10);
  s.file_ns = bench::best_chunk_ns(file_loop, iterations / bench::kChunks, 2);
  close(fd);
  return s;
}

// Runs the workload in a child that first joins `cgroup` and pins itself to `cpu`.
Sample run_workload(const fs::path& cgroup, int cpu, const fs::path& file, long iterations,
                    pid_t* child = nullptr) {
  const auto s = bench::run_in_cgroup(
      cgroup,
      [&] {
        bench::pin_to_cpu(cpu);
        return workload(file, iterations);
      },
      child);
  if (!s) std::fprintf(stderr, "workload failed\n");
  return s.value_or(Sample{});
}

// What the tracer's final report says about the workload: read and write calls on `file` by
// `pid` (the target run's child), and the per-op totals.
struct TracerCounts {
  uint64_t file_reads = 0, file_writes = 0, op_reads = 0, op_writes = 0;
};

TracerCounts tracer_counts(const std::vector<nlohmann::json>& lines, const fs::path& file,
                           pid_t pid) {
  TracerCounts c;
  for (const auto& j : lines) {
    if (j.value("type", "") != "report" || !j.contains("fileio")) continue;
    for (const auto& o : j["fileio"]["ops"]) {
      if (o["op"] == "read") c.op_reads = o["count"];
      if (o["op"] == "write") c.op_writes = o["count"];
    }
    for (const auto& f : j["fileio"]["files"]) {
      if (f["pid"] != pid || f["path"] != file.string()) continue;
      if (f["op"] == "read") c.file_reads = f["count"];
      if (f["op"] == "write") c.file_writes = f["count"];
    }
  }
  return c;
}

// The same aggregation as fileio.bpf.c for read/write/pread64/pwrite64/fsync/openat: latency
// histogram, count and bytes per syscall, filtered to the target cgroup. Two hook choices:
//   raw:      tracepoint:raw_syscalls:sys_enter/sys_exit, the hook of fileio's tp_btf fallback,
//             with the syscall number checked before the cgroup as fileio.bpf.c does there;
//   syscalls: tracepoint:syscalls:sys_{enter,exit}_<name>, fileio's preferred hook, which the
//             kernel fires only for those six syscalls (its own bitmap check on the shared
//             sys_enter tracepoint).
std::string bpftrace_script(const std::string& kind, const fs::path& target) {
  const std::string cg = "cgroup == cgroupid(\"" + target.string() + "\")";
  const std::string ids =
      "(args->id == 0 || args->id == 1 || args->id == 17 || args->id == 18 || "
      "args->id == 74 || args->id == 257)";
  const std::string aggregate =
      "  $lat = nsecs - @start[tid]; delete(@start[tid]);\n"
      "  @lat_ns[$nr] = hist($lat); @count[$nr] = count();\n"
      "  if (args->ret > 0 && $nr != 74 && $nr != 257) { @bytes[$nr] = sum(args->ret); }\n";
  if (kind == "raw")
    return "tracepoint:raw_syscalls:sys_enter /" + ids + " && " + cg +
           "/ { @start[tid] = nsecs; }\n" + "tracepoint:raw_syscalls:sys_exit /" + ids + " && " +
           cg + " && @start[tid]/ {\n" + "  $nr = args->id;\n" + aggregate + "}\n";
  std::string enter, exit;
  for (const char* name : {"read", "write", "pread64", "pwrite64", "fsync", "openat"}) {
    enter += std::string(enter.empty() ? "" : ",\n") + "tracepoint:syscalls:sys_enter_" + name;
    exit += std::string(exit.empty() ? "" : ",\n") + "tracepoint:syscalls:sys_exit_" + name;
  }
  return enter + "\n/" + cg + "/ { @start[tid] = nsecs; }\n" + exit + "\n/" + cg +
         " && @start[tid]/ {\n" + "  $nr = args->__syscall_nr;\n" + aggregate + "}\n";
}

// bpftrace's @count for syscall `nr`, from its JSON output.
uint64_t bpftrace_count(const std::vector<nlohmann::json>& lines, int nr) {
  for (const auto& j : lines)
    if (j.value("type", "") == "map" && j["data"].contains("@count")) {
      const auto& m = j["data"]["@count"];
      if (m.contains(std::to_string(nr))) return m[std::to_string(nr)];
    }
  return 0;
}

struct EmptyHooksDeleter {
  void operator()(empty_hooks_bpf* s) const { empty_hooks_bpf__destroy(s); }
};
using EmptyHooks = std::unique_ptr<empty_hooks_bpf, EmptyHooksDeleter>;

// The empty programs of one hook choice, by section prefix: "tp_btf/" (sys_enter/sys_exit,
// every syscall), "tracepoint/" (sys_{enter,exit}_<name> of fileio's 16 syscalls) or "f"
// (fentry/fexit on their functions). Null when the kernel refuses them (fentry under lockdown).
EmptyHooks attach_empty_hooks(const std::string& section_prefix) {
  EmptyHooks s(empty_hooks_bpf__open());
  if (!s) {
    std::fprintf(stderr, "cannot open the empty programs\n");
    std::exit(1);
  }
  bpf_program* prog;
  bpf_object__for_each_program(prog, s->obj) bpf_program__set_autoload(
      prog, std::string(bpf_program__section_name(prog)).rfind(section_prefix, 0) == 0);
  if (empty_hooks_bpf__load(s.get()) != 0 || empty_hooks_bpf__attach(s.get()) != 0) {
    std::fprintf(stderr, "cannot load/attach the empty %s programs\n", section_prefix.c_str());
    return nullptr;
  }
  return s;
}

// The attach type the tracer's start line reports for fileio ("tracepoint", "tp_btf", ...).
std::string fileio_attach(const std::vector<nlohmann::json>& lines) {
  for (const auto& j : lines)
    if (j.value("type", "") == "start" && j.contains("diagnostics"))
      for (const auto& d : j["diagnostics"])
        if (d.value("name", "") == "fileio") return d.value("attach", "");
  return "?";
}

struct Scenario {
  std::string name;
  std::vector<Sample> samples;
  double all() const { return bench::median_of(samples, &Sample::all_ns); }
  double file() const { return bench::median_of(samples, &Sample::file_ns); }
  double other() const { return bench::median_of(samples, &Sample::other_ns); }
};

}  // namespace

int main(int argc, char** argv) {
  std::string tracer, bpftrace = "/usr/bin/bpftrace";
  long iterations = 500000;
  int reps = 5;
  int cpu = static_cast<int>(std::thread::hardware_concurrency()) - 1;
  bench::parse_flags(argc, argv,
                     {{"--tracer", &tracer},
                      {"--bpftrace", &bpftrace},
                      {"--iterations", &iterations},
                      {"--reps", &reps},
                      {"--cpu", &cpu}});
  if (tracer.empty() || geteuid() != 0 || iterations < 10) {
    std::fprintf(
        stderr,
        "usage (root): syscall-bench --tracer PATH [--bpftrace PATH|none] [--iterations N] "
        "[--reps R] [--cpu C]\n");
    return 2;
  }
  const bool with_bpftrace = bpftrace != "none" && access(bpftrace.c_str(), X_OK) == 0;
  if (!with_bpftrace) std::fprintf(stderr, "bpftrace not used (%s)\n", bpftrace.c_str());

  const std::string tag = std::to_string(getpid());
  const bench::BenchCgroups cgroups("sysbench");
  const fs::path &target = cgroups.target, &other = cgroups.other;
  const fs::path dir = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  const fs::path file = dir / ("pt-sysbench-" + tag + ".dat");
  const fs::path out = fs::temp_directory_path() / ("pt-sysbench-" + tag + ".out");
  const fs::path script = fs::temp_directory_path() / ("pt-sysbench-" + tag + ".bt");
  // Each traced workload makes this many pread and this many pwrite calls (warm-up included).
  const uint64_t expected = iterations / 10 + iterations / bench::kChunks * bench::kChunks;

  std::vector<Scenario> sc = {{"untraced", {}},
                              {"empty tp_btf hooks", {}},
                              {"empty syscall tracepoints", {}},
                              {"podtrace, non-target", {}},
                              {"podtrace, target", {}},
                              {"bpftrace raw_syscalls, non-target", {}},
                              {"bpftrace raw_syscalls, target", {}},
                              {"bpftrace syscalls:*, non-target", {}},
                              {"bpftrace syscalls:*, target", {}},
                              {"empty fentry/fexit", {}},
                              {"podtrace no fentry, non-target", {}},
                              {"podtrace no fentry, target", {}}};
  enum {
    kUntraced,
    kEmpty,
    kEmptyTp,
    kPtOther,
    kPtTarget,
    kBtRawOther,
    kBtRawTarget,
    kBtSysOther,
    kBtSysTarget,
    // Only where the kernel allows fentry: its empty programs, and podtrace forced down to its
    // next rung (--no-attach fentry), to compare with the default run on fentry.
    kEmptyFentry,
    kPtTpOther,
    kPtTpTarget,
  };
  bool fentry_default = false;
  std::vector<std::string> count_checks;
  bool counts_ok = true;

  for (int r = 0; r < reps; ++r) {
    sc[kUntraced].samples.push_back(run_workload(other, cpu, file, iterations));
    {
      EmptyHooks hooks = attach_empty_hooks("tp_btf/");
      sc[kEmpty].samples.push_back(run_workload(other, cpu, file, iterations));
    }
    {
      EmptyHooks hooks = attach_empty_hooks("tracepoint/");
      sc[kEmptyTp].samples.push_back(run_workload(other, cpu, file, iterations));
    }
    if (EmptyHooks hooks = attach_empty_hooks("f"))
      sc[kEmptyFentry].samples.push_back(run_workload(other, cpu, file, iterations));
    // fileio alone: every other family is off (the list grows with the families).
    auto run_podtrace = [&](int other_slot, int target_slot, bool no_fentry) {
      std::vector<std::string> args = {tracer,
                                       "--cgroup",
                                       target.string(),
                                       "--disable",
                                       "cpu,process,tcp,dns,udp,profile,memory,netdev,locks,db",
                                       "--interval",
                                       "1h"};
      if (no_fentry) args.insert(args.end(), {"--no-attach", "fentry"});
      bench::Spawned t = bench::spawn_tracer(args, out, out.string() + ".err");
      sc[other_slot].samples.push_back(run_workload(other, cpu, file, iterations));
      pid_t child = -1;
      sc[target_slot].samples.push_back(run_workload(target, cpu, file, iterations, &child));
      const auto lines = bench::stop(t);
      const TracerCounts c = tracer_counts(lines, file, child);
      const bool ok = c.file_reads == expected && c.file_writes == expected &&
                      c.op_reads == expected && c.op_writes == expected;
      counts_ok &= ok;
      const std::string attach = fileio_attach(lines);
      if (!no_fentry && attach == "fentry") fentry_default = true;
      count_checks.push_back(
          "podtrace" + std::string(no_fentry ? " --no-attach fentry" : "") + " rep " +
          std::to_string(r + 1) + ": pread " + std::to_string(c.file_reads) + ", pwrite " +
          std::to_string(c.file_writes) + " on the file by the target's pid; op read " +
          std::to_string(c.op_reads) + ", op write " + std::to_string(c.op_writes) + " (expected " +
          std::to_string(expected) + " each); fileio attach: " + attach + (ok ? "" : "  MISMATCH"));
    };
    run_podtrace(kPtOther, kPtTarget, false);
    if (fentry_default) run_podtrace(kPtTpOther, kPtTpTarget, true);
    if (!with_bpftrace) continue;
    for (const char* kind : {"raw", "syscalls"}) {
      std::ofstream(script) << bpftrace_script(kind, target);
      // bpftrace warns on every start that it cannot raise RLIMIT_MEMLOCK (not needed since
      // 5.11): its stderr goes to a file, shown only if it fails to start.
      bench::Spawned b = bench::spawn_until({bpftrace, "-f", "json", script.string()}, out,
                                            "attached_probes", out.string() + ".err");
      const bool raw = std::string(kind) == "raw";
      sc[raw ? kBtRawOther : kBtSysOther].samples.push_back(
          run_workload(other, cpu, file, iterations));
      sc[raw ? kBtRawTarget : kBtSysTarget].samples.push_back(
          run_workload(target, cpu, file, iterations));
      const auto lines = bench::stop(b);
      const uint64_t preads = bpftrace_count(lines, 17), pwrites = bpftrace_count(lines, 18);
      const bool ok = preads == expected && pwrites == expected;
      counts_ok &= ok;
      count_checks.push_back("bpftrace " + std::string(kind) + " rep " + std::to_string(r + 1) +
                             ": pread " + std::to_string(preads) + ", pwrite " +
                             std::to_string(pwrites) + (ok ? "" : "  MISMATCH"));
    }
  }

  std::printf(
      "syscall-bench: %ld iterations x (pwrite+pread of %zu B on %s | getppid x2), CPU %d; ns per "
      "syscall "
      "(thread CPU time, best of %ld chunks per run), median of %d runs\n",
      iterations, kIoSize, dir.c_str(), cpu, bench::kChunks, reps);
  std::printf("%-34s %8s %8s %8s %10s   %s\n", "scenario", "all", "file", "non-file", "overhead",
              "runs (all)");
  const double base_all = sc[kUntraced].all();
  for (const auto& s : sc) {
    if (s.samples.empty()) continue;
    std::string runs;
    for (const auto& x : s.samples) {
      char b[32];
      std::snprintf(b, sizeof(b), "%s%.1f", runs.empty() ? "" : " ", x.all_ns());
      runs += b;
    }
    std::printf("%-34s %8.1f %8.1f %8.1f %+10.1f   %s\n", s.name.c_str(), s.all(), s.file(),
                s.other(), s.all() - base_all, runs.c_str());
  }
  // Ratios on medians, per path and overall.
  auto ratio = [&](int num, int den, double (Scenario::*f)() const) {
    const double b = (sc[kUntraced].*f)();
    return ((sc[num].*f)() - b) / ((sc[den].*f)() - b);
  };
  // The target is against an empty program at the hook podtrace uses (per-syscall tracepoints
  // where they work); the tp_btf ratio is for reference. A non-file ratio is meaningless when
  // the denominator is ~0 (per-syscall tracepoints do not run for getppid).
  std::printf(
      "\n(podtrace non-target - untraced) / (empty syscall tracepoints - untraced): all %.2f, file "
      "%.2f, "
      "non-file %.2f  [target <= 1.25]\n",
      ratio(kPtOther, kEmptyTp, &Scenario::all), ratio(kPtOther, kEmptyTp, &Scenario::file),
      ratio(kPtOther, kEmptyTp, &Scenario::other));
  std::printf(
      "(podtrace non-target - untraced) / (empty tp_btf hooks - untraced):        all %.2f, file "
      "%.2f, "
      "non-file %.2f  [reference]\n",
      ratio(kPtOther, kEmpty, &Scenario::all), ratio(kPtOther, kEmpty, &Scenario::file),
      ratio(kPtOther, kEmpty, &Scenario::other));
  if (with_bpftrace) {
    std::printf(
        "podtrace target overhead / bpftrace raw_syscalls target overhead: all %.2f, file %.2f, "
        "non-file %.2f"
        "  [target < 1]\n",
        ratio(kPtTarget, kBtRawTarget, &Scenario::all),
        ratio(kPtTarget, kBtRawTarget, &Scenario::file),
        ratio(kPtTarget, kBtRawTarget, &Scenario::other));
    std::printf(
        "podtrace target overhead / bpftrace syscalls:* target overhead:   all %.2f, file %.2f, "
        "non-file %.2f"
        "  [target < 1]\n",
        ratio(kPtTarget, kBtSysTarget, &Scenario::all),
        ratio(kPtTarget, kBtSysTarget, &Scenario::file),
        ratio(kPtTarget, kBtSysTarget, &Scenario::other));
  }
  if (fentry_default && !sc[kEmptyFentry].samples.empty()) {
    std::printf(
        "(empty fentry/fexit - untraced) / (empty syscall tracepoints - untraced): all %.2f, "
        "file %.2f, non-file %.2f  [the hooks alone]\n",
        ratio(kEmptyFentry, kEmptyTp, &Scenario::all),
        ratio(kEmptyFentry, kEmptyTp, &Scenario::file),
        ratio(kEmptyFentry, kEmptyTp, &Scenario::other));
    std::printf(
        "podtrace on fentry / podtrace on tracepoints (--no-attach fentry), target overhead: all "
        "%.2f, file %.2f; non-target: all %.2f, file %.2f  [fentry first where < 1]\n",
        ratio(kPtTarget, kPtTpTarget, &Scenario::all),
        ratio(kPtTarget, kPtTpTarget, &Scenario::file), ratio(kPtOther, kPtTpOther, &Scenario::all),
        ratio(kPtOther, kPtTpOther, &Scenario::file));
  }
  std::printf(
      "\ncounts seen by the tracers (workload of each target run: %llu pread + %llu pwrite):\n",
      static_cast<unsigned long long>(expected), static_cast<unsigned long long>(expected));
  for (const auto& l : count_checks) std::printf("  %s\n", l.c_str());

  fs::remove(out);
  fs::remove(out.string() + ".err");
  fs::remove(script);
  fs::remove(file);
  return counts_ok ? 0 : 1;
}
