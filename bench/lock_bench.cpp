// SPDX-License-Identifier: Apache-2.0
// lock_bench.cpp: cost of the locks family on a mutex-heavy workload: untraced, podtrace with
// the workload in a non-target cgroup, and in the target cgroup (its pthread uprobes attached),
// with each thread's call in flight in task storage (the default where the kernel allows it) and
// in an LRU hash keyed by tid (`--no-attach task_storage`, kernels before 5.12).
//
// Usage: lock-bench --tracer PATH [--bpftrace PATH|none] [--iterations N] [--reps R] [--cpu C].
// Root: it creates two cgroups beneath its own v2 cgroup and removes them at the end.
//
// The workload, a child moved into a cgroup, runs two loops:
//   uncontended: one thread, pinned to one CPU, pthread_mutex_lock + unlock of one mutex, N
//                times; timed in thread CPU time (the uprobe traps are this thread's kernel
//                time) in 20 chunks, best chunk kept: ns per lock/unlock pair;
//   contended:   4 threads increment a counter under one mutex, N/4 times each; wall time per
//                lock/unlock pair (waits are sleeps, which CPU time would not count);
//   futex:       one thread, pinned, futex(FUTEX_WAIT_PRIVATE) on a word whose value differs,
//                N times: each returns EAGAIN at once, so it is the futex hooks' whole path
//                (a wait in flight recorded at entry, taken and accounted at exit) over the
//                syscall; thread CPU time, best of 20 chunks: ns per call.
// A child that joined its cgroup waits for a go: in the target, until the tracer's summary
// (every 100 ms) says its pthread probes are in the child (it probes new processes of the
// target within a second). The "empty uprobe+uretprobe" scenario is bpftrace with empty
// programs on the child's pthread_mutex_lock, once the breakpoint shows in the child's memory:
// the cost of the hook alone.
#include <fmt/format.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"

namespace fs = std::filesystem;
namespace bench = podtrace::bench;

namespace {

constexpr int kContendingThreads = 4;

struct Sample {
  double uncontended_ns = 0;  // per lock/unlock pair, thread CPU time
  double contended_ns = 0;    // per lock/unlock pair, wall time over all threads' pairs
  double futex_ns = 0;        // per futex wait that returned EAGAIN, thread CPU time
  bool probed = false;        // the uprobe was seen in pthread_mutex_lock before timing
};

pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
// The futex loop's word: 0, and every wait expects 1. The workload is a fork: the tracer reports
// it at this same address.
int g_futex_word = 0;

Sample workload(long iterations, int cpu) {
  Sample s;
  cpu_set_t one, all;
  sched_getaffinity(0, sizeof(all), &all);
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  sched_setaffinity(0, sizeof(one), &one);
  auto loop = [](long n) {
    for (long i = 0; i < n; ++i) {
      pthread_mutex_lock(&g_mutex);
      pthread_mutex_unlock(&g_mutex);
    }
  };
  loop(iterations / 10);
  s.uncontended_ns = bench::best_chunk_ns(loop, iterations / bench::kChunks);
  auto futex_loop = [](long n) {
    for (long i = 0; i < n; ++i)
      syscall(SYS_futex, &g_futex_word, FUTEX_WAIT_PRIVATE, 1, nullptr, nullptr, 0);
  };
  futex_loop(iterations / 10);
  s.futex_ns = bench::best_chunk_ns(futex_loop, iterations / bench::kChunks);
  sched_setaffinity(0, sizeof(all), &all);

  std::atomic<bool> go{false};
  volatile long counter = 0;
  std::vector<std::thread> threads;
  const long each = iterations / kContendingThreads;
  for (int t = 0; t < kContendingThreads; ++t)
    threads.emplace_back([&] {
      while (!go.load()) {
      }
      for (long i = 0; i < each; ++i) {
        pthread_mutex_lock(&g_mutex);
        counter = counter + 1;
        pthread_mutex_unlock(&g_mutex);
      }
    });
  const double t0 = bench::clock_ns(CLOCK_MONOTONIC);
  go = true;
  for (auto& t : threads) t.join();
  s.contended_ns =
      (bench::clock_ns(CLOCK_MONOTONIC) - t0) / static_cast<double>(each * kContendingThreads);
  return s;
}

// Runs the workload in a child that first joins `cgroup`, then waits for `ready` (given its
// pid: a tracer attaches to it; returns whether the probes are in) before it starts; `finished`
// runs once it has reported. Not bench::run_in_cgroup: the child must wait for the go.
Sample run_workload(const fs::path& cgroup, int cpu, long iterations,
                    const std::function<bool(pid_t)>& ready = {},
                    const std::function<void()>& finished = {}, pid_t* child = nullptr) {
  int result[2], go[2];
  if (pipe(result) != 0 || pipe(go) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(result[0]);
    close(go[1]);
    bench::join_cgroup(cgroup);
    char c = 'j';
    if (write(result[1], &c, 1) != 1 || read(go[0], &c, 1) != 1) _exit(1);
    Sample s = workload(iterations, cpu);
    (void)!write(result[1], &s, sizeof(s));
    _exit(0);
  }
  close(result[1]);
  close(go[0]);
  char c;
  Sample s;
  if (read(result[0], &c, 1) == 1) {  // joined its cgroup
    const bool probed = ready ? ready(pid) : false;
    c = 'g';
    (void)!write(go[1], &c, 1);
    if (read(result[0], &s, sizeof(s)) != sizeof(s)) std::fprintf(stderr, "workload failed\n");
    s.probed = probed;
  }
  if (finished) finished();
  close(result[0]);
  close(go[1]);
  waitpid(pid, nullptr, 0);
  if (child) *child = pid;
  return s;
}

// Until `pid`'s pthread_mutex_lock (the same address as ours: it is our fork) starts with a
// breakpoint, at most 5 s.
bool wait_for_breakpoint(pid_t pid) {
  const unsigned char original = *reinterpret_cast<const unsigned char*>(&pthread_mutex_lock);
  const std::string mem = "/proc/" + std::to_string(pid) + "/mem";
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(mem, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(reinterpret_cast<uintptr_t>(&pthread_mutex_lock)));
    char byte = 0;
    if (in.read(&byte, 1) && static_cast<unsigned char>(byte) != original) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// The libc this benchmark maps: the workload's, since the workload is its fork.
std::string own_libc() {
  std::istringstream in(bench::slurp("/proc/self/maps"));
  std::string line;
  while (std::getline(in, line)) {
    const size_t slash = line.find('/');
    if (slash != std::string::npos && line.find("libc.so.6") != std::string::npos)
      return line.substr(slash);
  }
  return "";
}

// bpftrace with empty programs at podtrace's hook, uprobe + uretprobe on pthread_mutex_lock of
// one process: the cost of the hook alone.
bench::Spawned spawn_empty_uprobes(const std::string& bpftrace, const std::string& libc, pid_t pid,
                                   const fs::path& out) {
  const std::string script =
      "uprobe:" + libc + ":pthread_mutex_lock { } uretprobe:" + libc + ":pthread_mutex_lock { }";
  return bench::start_process({bpftrace, "-p", std::to_string(pid), "-e", script}, out, out);
}

// Until a summary of the tracer writing to `out` says its pthread probes are in one process.
bool wait_for_probed_process(const fs::path& out) {
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("type", "") == "summary" && j.contains("locks") &&
          j["locks"].value("mutex_status", "").ends_with(" in 1 process"))
        return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

struct Scenario {
  std::string name;
  std::vector<Sample> samples;
  double uncontended() const { return bench::median_of(samples, &Sample::uncontended_ns); }
  double contended() const { return bench::median_of(samples, &Sample::contended_ns); }
  double futex() const { return bench::median_of(samples, &Sample::futex_ns); }
};

}  // namespace

int main(int argc, char** argv) {
  std::string tracer, bpftrace = "/usr/bin/bpftrace";
  long iterations = 100000;
  int reps = 5;
  int cpu = static_cast<int>(std::thread::hardware_concurrency()) - 1;
  bench::parse_flags(argc, argv,
                     {{"--tracer", &tracer},
                      {"--bpftrace", &bpftrace},
                      {"--iterations", &iterations},
                      {"--reps", &reps},
                      {"--cpu", &cpu}});
  if (tracer.empty() || geteuid() != 0 || iterations < bench::kChunks * kContendingThreads) {
    std::fprintf(stderr,
                 "usage (root): lock-bench --tracer PATH [--bpftrace PATH|none] [--iterations N] "
                 "[--reps R] [--cpu C]\n");
    return 2;
  }
  const std::string tag = std::to_string(getpid());
  const bench::BenchCgroups cgroups("lockbench");
  const fs::path &target = cgroups.target, &other = cgroups.other;
  const fs::path out = fs::temp_directory_path() / ("pt-lockbench-" + tag + ".out");
  const std::string disable = bench::families_except(tracer, {"locks"});
  // One run of the workload in `cgroup` under a tracer started with `extra` arguments; in the
  // target, once the tracer's summary (every 100 ms) says its pthread probes are in the child
  // (it probes a new process of the target on its next scan, within a second).
  struct TracedRun {
    Sample sample;
    nlohmann::json report;
  };
  auto traced_run = [&](const fs::path& cgroup, const std::vector<std::string>& extra,
                        bool in_target) {
    std::vector<std::string> args = {tracer,  "--cgroup",   target.string(), "--disable",
                                     disable, "--interval", "100ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    bench::Spawned t = bench::spawn_tracer(args, out);
    TracedRun run;
    run.sample = in_target ? run_workload(cgroup, cpu, iterations,
                                          [&](pid_t) { return wait_for_probed_process(out); })
                           : run_workload(cgroup, cpu, iterations);
    run.report = bench::stop_for_report(t);
    return run;
  };

  const bool with_bpftrace = bpftrace != "none" && access(bpftrace.c_str(), X_OK) == 0;
  const std::string libc = own_libc();
  std::vector<Scenario> sc = {{"untraced", {}},
                              {"empty uprobe+uretprobe", {}},
                              {"podtrace, non-target", {}},
                              {"podtrace, target", {}},
                              {"podtrace, target, tid hash", {}}};
  enum { kUntraced, kEmpty, kPtOther, kPtTarget, kPtTargetTidHash };
  // Each target run makes this many pthread_mutex_lock calls (warm-up included).
  const uint64_t expected = iterations / 10 + iterations / bench::kChunks * bench::kChunks +
                            iterations / kContendingThreads * kContendingThreads;
  // ... and this many futex waits on g_futex_word, every one EAGAIN.
  const uint64_t expected_futex = iterations / 10 + iterations / bench::kChunks * bench::kChunks;
  const std::string futex_addr = fmt::format("{:#x}", reinterpret_cast<uintptr_t>(&g_futex_word));
  std::vector<std::string> checks;
  bool ok = true;
  for (int r = 0; r < reps; ++r) {
    sc[kUntraced].samples.push_back(run_workload(other, cpu, iterations));
    if (with_bpftrace && !libc.empty()) {
      bench::Spawned b;
      const fs::path bout = out.string() + ".bt";
      sc[kEmpty].samples.push_back(run_workload(
          other, cpu, iterations,
          [&](pid_t pid) {
            b = spawn_empty_uprobes(bpftrace, libc, pid, bout);
            return wait_for_breakpoint(pid);
          },
          [&] {
            if (b.pid <= 0) return;  // the child never joined: no bpftrace (and no kill(-1))
            kill(b.pid, SIGINT);
            waitpid(b.pid, nullptr, 0);
          }));
      if (!sc[kEmpty].samples.back().probed)
        std::fprintf(stderr, "bpftrace's uprobe never appeared:\n%s\n", bench::slurp(bout).c_str());
      fs::remove(bout);
    }
    sc[kPtOther].samples.push_back(traced_run(other, {}, false).sample);
    // The two target cases swap order every repetition: neither always runs first.
    const std::array<int, 2> order = r % 2 ? std::array<int, 2>{kPtTargetTidHash, kPtTarget}
                                           : std::array<int, 2>{kPtTarget, kPtTargetTidHash};
    for (int target_case : order) {
      const bool tid_hash = target_case == kPtTargetTidHash;
      const TracedRun run =
          traced_run(target,
                     tid_hash ? std::vector<std::string>{"--no-attach", "task_storage"}
                              : std::vector<std::string>{},
                     true);
      sc[target_case].samples.push_back(run.sample);
      uint64_t calls = 0, waits = 0, futex_calls = 0;
      if (run.report.contains("locks")) {
        for (const auto& k : run.report["locks"]["kinds"])
          if (k["kind"] == "mutex") {
            calls = k["calls"];
            waits = k["waits"];
          }
        for (const auto& l : run.report["locks"]["locks"])
          if (l["kind"] == "futex" && l["addr"] == futex_addr) futex_calls = l["not_blocked"];
      }
      // glibc's own calls (ld.so's lock, once per thread) come on top of the workload's.
      const bool good = run.sample.probed && calls >= expected &&
                        calls <= expected + kContendingThreads && futex_calls == expected_futex;
      ok &= good;
      checks.push_back(fmt::format(
          "rep {}{}: uprobe seen before timing: {}; mutex calls counted {} (workload {}), of which "
          "waited {}; futex EAGAIN waits counted {} (workload {}){}",
          r + 1, tid_hash ? ", tid hash" : "", run.sample.probed ? "yes" : "NO", calls, expected,
          waits, futex_calls, expected_futex, good ? "" : "  MISMATCH"));
    }
  }

  std::printf(
      "lock-bench: %ld lock/unlock pairs uncontended (CPU %d, thread CPU time, best of %ld "
      "chunks) and contended (%d threads, wall time); ns per pair, median of %d runs\n",
      iterations, cpu, bench::kChunks, kContendingThreads, reps);
  std::printf("%-27s %12s %10s %12s %10s %10s %10s   %s\n", "scenario", "uncontended", "vs untr.",
              "contended", "vs untr.", "futex", "vs untr.",
              "runs (uncontended / contended / futex)");
  const double base_u = sc[kUntraced].uncontended(), base_c = sc[kUntraced].contended(),
               base_f = sc[kUntraced].futex();
  for (const auto& s : sc) {
    if (s.samples.empty()) continue;
    std::string runs;
    for (const auto& x : s.samples)
      runs += fmt::format("{}{:.0f}/{:.0f}/{:.0f}", runs.empty() ? "" : " ", x.uncontended_ns,
                          x.contended_ns, x.futex_ns);
    std::printf("%-27s %12.1f %9.2fx %12.1f %9.2fx %10.1f %9.2fx   %s\n", s.name.c_str(),
                s.uncontended(), s.uncontended() / base_u, s.contended(), s.contended() / base_c,
                s.futex(), s.futex() / base_f, runs.c_str());
  }
  std::printf("\nper-lock cost (target - untraced, uncontended): %.1f ns",
              sc[kPtTarget].uncontended() - base_u);
  if (!sc[kEmpty].samples.empty())
    std::printf("; the empty hook's: %.1f ns; podtrace overhead / empty hook overhead: %.2f",
                sc[kEmpty].uncontended() - base_u,
                (sc[kPtTarget].uncontended() - base_u) / (sc[kEmpty].uncontended() - base_u));
  std::printf("\n");
  std::printf(
      "per futex wait (target - untraced): %.1f ns with the waits in flight in task storage, "
      "%.1f ns in an LRU hash keyed by tid (ratio %.2f)\n",
      sc[kPtTarget].futex() - base_f, sc[kPtTargetTidHash].futex() - base_f,
      (sc[kPtTarget].futex() - base_f) / (sc[kPtTargetTidHash].futex() - base_f));
  std::printf("\nwhat the tracer counted in each target run:\n");
  for (const auto& c : checks) std::printf("  %s\n", c.c_str());

  fs::remove(out);
  return ok ? 0 : 1;
}
