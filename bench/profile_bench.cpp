// SPDX-License-Identifier: Apache-2.0
// profile_bench.cpp: what the profile family costs a CPU-bound process: the same fixed work
// untraced, under podtrace-tracer with only the profile family (99 Hz per CPU) in another
// cgroup (non-target: the program runs and filters), and as the target (the program walks both
// stacks on every sample). Also the program's own run time per sample, from the kernel's BPF
// statistics (BPF_ENABLE_STATS run_time_ns / run_cnt).
//
// Usage (root): profile-bench --tracer PATH [--reps R] [--cpu C] [--work-ms MS].
// It creates two cgroups beneath its own v2 cgroup and removes them at the end.
//
// The workload, pinned to one CPU, recurses 32 frames deep (frame pointers: a realistic stack
// to walk) and spins on arithmetic for a fixed number of iterations, calibrated to about
// --work-ms untraced. Each run reports its thread CPU time and its wall-clock time; on a machine
// where other jobs compete for the CPU only the CPU time means anything (wall time then
// measures the other jobs). The sampling interrupt's time (the BPF program included) is charged
// to the interrupted thread's CPU time unless the kernel has CONFIG_IRQ_TIME_ACCOUNTING; the BPF
// program's run time per sample, measured by the kernel, is the direct number either way. Every
// repetition runs the three scenarios back to back, so drift hits all alike; the table shows
// medians over repetitions.
#include <bpf/bpf.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"

namespace fs = std::filesystem;
namespace bench = podtrace::bench;
using bench::clock_ns;

namespace {

volatile uint64_t g_sink;

__attribute__((noinline)) void spin(uint64_t iterations) {
  for (uint64_t i = 0; i < iterations; ++i) g_sink = g_sink * 6364136223846793005ull + 1;
}

__attribute__((noinline)) void descend(int depth, uint64_t iterations) {
  if (depth == 0) {
    spin(iterations);
    return;
  }
  descend(depth - 1, iterations);
  asm volatile("" ::: "memory");  // keeps the call a call, not a jump
}

struct Sample {
  double wall_ns = 0;
  double cpu_ns = 0;
};

// The work, in slices so each sample's stack is the same 32 frames.
Sample work(uint64_t iterations) {
  constexpr uint64_t kSlice = 1'000'000;
  const double w0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  for (uint64_t done = 0; done < iterations; done += kSlice) descend(32, kSlice);
  return {clock_ns(CLOCK_MONOTONIC) - w0, clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0};
}

// Runs the work in a child that first joins `cgroup` and pins itself to `cpu`.
Sample run_workload(const fs::path& cgroup, int cpu, uint64_t iterations, pid_t* child = nullptr) {
  const auto s = bench::run_in_cgroup(
      cgroup,
      [&] {
        bench::pin_to_cpu(cpu);
        return work(iterations);
      },
      child);
  if (!s) std::fprintf(stderr, "workload failed\n");
  return s.value_or(Sample{});
}

// Run count and total run time of the loaded program named like the profile family's, from the
// kernel's BPF statistics (on while stats_fd is open).
struct ProgStats {
  uint64_t runs = 0;
  uint64_t run_ns = 0;
};

ProgStats profile_prog_stats() {
  ProgStats s;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    const int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    // The kernel keeps 15 characters of "profile_sample_perf".
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
        std::strncmp(info.name, "profile_sample_", sizeof(info.name)) == 0) {
      s.runs += info.run_cnt;
      s.run_ns += info.run_time_ns;
    }
    close(fd);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string tracer;
  int reps = 5;
  int cpu = static_cast<int>(std::thread::hardware_concurrency()) - 1;
  double work_ms = 2000;
  bench::parse_flags(
      argc, argv,
      {{"--tracer", &tracer}, {"--reps", &reps}, {"--cpu", &cpu}, {"--work-ms", &work_ms}});
  if (tracer.empty() || geteuid() != 0 || reps < 1) {
    std::fprintf(stderr,
                 "usage (root): profile-bench --tracer PATH [--reps R] [--cpu C] [--work-ms MS]\n");
    return 2;
  }
  const std::string tag = std::to_string(getpid());
  const bench::BenchCgroups cgroups("profbench");
  const fs::path &target = cgroups.target, &other = cgroups.other;
  const fs::path out = fs::temp_directory_path() / ("pt-profbench-" + tag + ".out");
  const std::string disable = bench::families_except(tracer, {"profile"});

  // Calibrate: iterations for about work_ms of CPU, untraced.
  const uint64_t probe_iterations = 50'000'000;
  const Sample probe = run_workload(other, cpu, probe_iterations);
  const uint64_t iterations =
      static_cast<uint64_t>(probe_iterations * (work_ms * 1e6 / probe.cpu_ns));

  // Keeps the kernel's per-program run time and count while open (it costs two clock reads per
  // program run, on every scenario's tracer alike).
  const int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (stats_fd < 0) std::fprintf(stderr, "bpf_enable_stats failed: program times not shown\n");

  enum { kUntraced, kOther, kTarget, kScenarios };
  const char* names[kScenarios] = {"untraced", "podtrace profile, non-target",
                                   "podtrace profile, target"};
  std::vector<double> wall[kScenarios], cpu_time[kScenarios];
  std::vector<double> ns_per_run_other, ns_per_run_target;
  std::vector<std::string> checks;
  bool ok = true;
  for (int r = 0; r < reps; ++r) {
    const Sample u = run_workload(other, cpu, iterations);
    wall[kUntraced].push_back(u.wall_ns);
    cpu_time[kUntraced].push_back(u.cpu_ns);
    bench::Spawned t = bench::spawn_tracer(
        {tracer, "--cgroup", target.string(), "--disable", disable, "--interval", "1h"}, out,
        out.string() + ".err");
    const ProgStats s0 = profile_prog_stats();
    const Sample o = run_workload(other, cpu, iterations);
    const ProgStats s1 = profile_prog_stats();
    pid_t child = -1;
    const Sample g = run_workload(target, cpu, iterations, &child);
    const ProgStats s2 = profile_prog_stats();
    const nlohmann::json report = bench::stop_for_report(t);
    wall[kOther].push_back(o.wall_ns);
    cpu_time[kOther].push_back(o.cpu_ns);
    wall[kTarget].push_back(g.wall_ns);
    cpu_time[kTarget].push_back(g.cpu_ns);
    if (s1.runs > s0.runs)
      ns_per_run_other.push_back(double(s1.run_ns - s0.run_ns) / double(s1.runs - s0.runs));
    if (s2.runs > s1.runs)
      ns_per_run_target.push_back(double(s2.run_ns - s1.run_ns) / double(s2.runs - s1.runs));
    // The target run must have been profiled: ~99 samples per second of the CPU time it got.
    uint64_t samples = 0;
    if (report.contains("profile"))
      for (const auto& p : report["profile"]["processes"])
        if (p["pid"] == child) samples = p["samples"];
    const uint64_t expected = static_cast<uint64_t>(g.cpu_ns / 1e9 * 99);
    const bool rep_ok = samples >= expected * 8 / 10 && samples <= expected * 12 / 10 + 2;
    ok &= rep_ok;
    checks.push_back("rep " + std::to_string(r + 1) + ": " + std::to_string(samples) +
                     " samples of the target's pid (expected ~" + std::to_string(expected) + ")" +
                     (rep_ok ? "" : "  MISMATCH"));
  }
  if (stats_fd >= 0) close(stats_fd);

  std::printf(
      "profile-bench: %llu iterations (~%.0f ms untraced) 32 frames deep, CPU %d, sampling at "
      "99 Hz on every CPU; median of %d runs\n",
      static_cast<unsigned long long>(iterations), work_ms, cpu, reps);
  std::printf("%-30s %10s %10s %10s %10s\n", "scenario", "wall ms", "cpu ms", "wall ratio",
              "cpu ratio");
  const double bw = bench::median(wall[kUntraced]), bc = bench::median(cpu_time[kUntraced]);
  for (int s = 0; s < kScenarios; ++s)
    std::printf("%-30s %10.1f %10.1f %10.4f %10.4f\n", names[s], bench::median(wall[s]) / 1e6,
                bench::median(cpu_time[s]) / 1e6, bench::median(wall[s]) / bw,
                bench::median(cpu_time[s]) / bc);
  if (stats_fd >= 0)
    std::printf(
        "\nBPF program run time per sample (kernel BPF stats): non-target %.0f ns (filter "
        "only), target %.0f ns (filter, two stack walks, map updates)\n",
        bench::median(ns_per_run_other), bench::median(ns_per_run_target));
  std::printf("\nsamples seen by the tracer:\n");
  for (const auto& c : checks) std::printf("  %s\n", c.c_str());

  fs::remove(out);
  fs::remove(out.string() + ".err");
  return ok ? 0 : 1;
}
