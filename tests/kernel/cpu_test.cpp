// SPDX-License-Identifier: Apache-2.0
// cpu_test.cpp: CFS throttling under a real quota, on-CPU time that matches it, and the threads
// of short-lived processes kept exact once they leave the kernel's map.
#include "sections/cpu.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernel_features.h"
#include "kernel_test_util.h"
#include "probe_config.h"
#include "probes/cpu_probe.h"
#include "report.h"
#include "row_fold.h"
#include "sections/time.h"

namespace podtrace::tracer::testing {
namespace {

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000ull + ts.tv_nsec;
}

int spin_for(uint64_t ns) {
  volatile uint64_t x = 0;
  const uint64_t end = now_ns() + ns;
  while (now_ns() < end) x = x + 1;
  return 0;
}

TEST(CpuTest, QuotaThrottlesTheHogAndCapsItsOnCpuTime) {
  TestCgroup target("pt-cpu-target");
  target.set_cpu_quota(20'000, 100'000);  // 20% of one CPU
  Workload hog(target, [] { return spin_for(1'000'000'000); });
  TracerProcess tracer({"--cgroup", target.v2().string()});
  ASSERT_EQ(run_under_tracer(tracer, {&hog}), std::vector<int>({0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto cpu = tracer.report()["cpu"];
  ASSERT_EQ(cpu["throttling"].size(), 1u) << cpu.dump();
  const auto t = cpu["throttling"][0];
  EXPECT_EQ(t["source"], target.hybrid() ? "cgroup-v1" : "cgroup-v2");
  EXPECT_EQ(t["quota_us"], 20000);
  EXPECT_EQ(t["period_us"], 100000);
  // One second of wall time is ten periods; a hog under quota is throttled in most of them.
  EXPECT_GE(t["nr_periods"].get<uint64_t>(), 8u);
  EXPECT_GE(t["nr_throttled"].get<uint64_t>(), 7u);
  EXPECT_GT(t["throttled_ns"].get<uint64_t>(), 500'000'000u);
  // 20% of ~1 s: the BPF on-CPU accounting must agree with the quota.
  const uint64_t on_cpu = cpu["on_cpu_ns"];
  EXPECT_GT(on_cpu, 150'000'000u);
  EXPECT_LT(on_cpu, 320'000'000u);
  bool flagged = false;
  const auto report = tracer.report();
  for (const auto& f : report["findings"])
    if (f["family"] == "cpu" && f["title"].get<std::string>().rfind("CPU throttled", 0) == 0)
      flagged = true;
  EXPECT_TRUE(flagged) << report["findings"].dump();
}

TEST(CpuTest, RunQueueLatencyAppearsUnderContention) {
  TestCgroup target("pt-runq-target"), other("pt-runq-other");
  // Pin everything to CPU 0 so the two hogs must take turns.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  auto pinned_spin = [one] {
    sched_setaffinity(0, sizeof(one), &one);
    return spin_for(500'000'000);
  };
  Workload a(target, pinned_spin), b(other, pinned_spin);
  TracerProcess tracer({"--cgroup", target.v2().string()});
  tracer.wait_for_start();
  a.go();
  b.go();
  ASSERT_EQ(a.wait(), 0);
  ASSERT_EQ(b.wait(), 0);
  tracer.stop();
  const auto cpu = tracer.report()["cpu"];
  EXPECT_GT(cpu["run_queue"]["count"].get<uint64_t>(), 0u);
  EXPECT_GT(cpu["run_queue_ns"].get<uint64_t>(), 50'000'000u);
  EXPECT_GT(cpu["off_cpu_ns"]["preempted"].get<uint64_t>(), 0u);
  // Only the target's thread is listed.
  ASSERT_EQ(cpu["threads"].size(), 1u) << cpu["threads"].dump();
  EXPECT_EQ(cpu["threads"][0]["tid"], a.pid());
}

// More short-lived processes than the probe keeps rows for (2048): each runs, exits, and is
// reaped before the next starts.
constexpr int kShortLived = 2100;

int fork_short_lived() {
  return fork_one_by_one(kShortLived, [] { return 0; });
}

// Threads that have exited leave the kernel's per-thread map at each collect (a pod's shell loop
// filled its 16 384 entries in under two minutes) and stay in the report: every process counted
// once however many collects follow, the folded rows included, and the per-thread sums equal to
// the family's own totals, which the kernel keeps apart from the map.
TEST(CpuExitedThreadsTest, LeaveTheKernelMapAndStayExactInTheReport) {
  TestCgroup target("pt-cpu-exited");
  Workload traced(target, fork_short_lived);
  LiveKernelFeatures live;
  CpuProbe probe;
  auto started = probe.start(probe_config(target, live));
  ASSERT_TRUE(started) << started.error();
  traced.go();
  ASSERT_EQ(traced.wait(), 0);
  // The forking parent and its 2100 children, all exited.
  const size_t processes = kShortLived + 1;
  ASSERT_EQ(probe.kernel_threads(), processes);

  for (int collect = 1; collect <= 2; ++collect) {
    SCOPED_TRACE(fmt::format("collect {}", collect));
    Report report;
    probe.fill(report);
    EXPECT_EQ(probe.kernel_threads(), 0u);
    const auto* cpu = report.find<CpuReport>();
    const auto* time = report.find<TimeReport>();
    ASSERT_TRUE(cpu && time);
    ASSERT_EQ(cpu->threads.size(), kProcessRowsKept + 1);
    uint64_t threads = 0, on_cpu = 0, run_queue = 0;
    for (const auto& t : cpu->threads) {
      threads += rows_in(t);
      on_cpu += t.on_cpu_ns;
      run_queue += t.run_queue_ns;
    }
    EXPECT_EQ(threads, processes);
    EXPECT_EQ(on_cpu, cpu->on_cpu_ns);
    EXPECT_EQ(run_queue, cpu->run_queue_ns);

    ASSERT_EQ(time->processes.size(), kProcessRowsKept + 1);
    uint64_t time_processes = 0;
    for (const auto& p : time->processes) time_processes += rows_in(p);
    EXPECT_EQ(time_processes, processes);
    const TimeShare total = time->total();
    EXPECT_EQ(total.threads, processes);
    uint64_t states = 0;
    for (uint64_t ns : total.ns) states += ns;
    EXPECT_EQ(states, total.wall_ns);
  }
  EXPECT_EQ(probe.lost().map_full, 0u);
}

}  // namespace
}  // namespace podtrace::tracer::testing
