// SPDX-License-Identifier: Apache-2.0
// thresholds_test.cpp: the locks, profile, database and run-queue thresholds each move their
// findings, on synthetic sections: at the default a finding, past it none (or the other way).
#include "thresholds.h"

#include <gtest/gtest.h>

#include "diagnose.h"
#include "report.h"
#include "sections/cpu.h"
#include "sections/db.h"
#include "sections/locks.h"
#include "sections/profile.h"

namespace podtrace::tracer {
namespace {

size_t findings_of(const Report& r, const DiagnoseThresholds& t, const std::string& family) {
  size_t n = 0;
  for (const auto& f : diagnose(r, t)) n += f.family == family;
  return n;
}

DiagnoseThresholds with(std::string_view assignment) {
  DiagnoseThresholds t;
  EXPECT_TRUE(set_threshold(t, assignment)) << assignment;
  return t;
}

TEST(ThresholdsTest, LockShareAndMinimumWait) {
  Report r;
  UserLockReport l;
  l.kind = "mutex";
  l.pid = 7;
  l.addr = "0x1000";
  l.waits = 4;
  l.threads = 2;
  l.total_ns = 2'000'000;
  l.wait_percent = 15;
  r.get<LocksReport>().locks.push_back(l);
  EXPECT_EQ(findings_of(r, {}, "locks"), 1u);
  EXPECT_EQ(findings_of(r, with("lock_wait_share=20%"), "locks"), 0u);
  EXPECT_EQ(findings_of(r, with("lock_min_wait=5ms"), "locks"), 0u);
  EXPECT_EQ(findings_of(r, with("lock_wait_share=0.15"), "locks"), 1u);
}

TEST(ThresholdsTest, KernelLockShareOfTheTrace) {
  Report r;
  auto& locks = r.get<LocksReport>();
  locks.window_ns = 1'000'000'000;
  KernelLockTypeReport k;
  k.type = "mutex";
  k.contentions = 10;
  k.total_ns = 150'000'000;  // 15% of the trace
  locks.kernel_types.push_back(k);
  EXPECT_EQ(findings_of(r, {}, "locks"), 1u);
  EXPECT_EQ(findings_of(r, with("kernel_lock_share=0.2"), "locks"), 0u);
}

TEST(ThresholdsTest, HotFunctionShareAndMinimumSamples) {
  Report r;
  auto& profile = r.get<ProfileReport>();
  profile.frequency_hz = 99;
  ProfileProcess p;
  p.pid = 9;
  p.comm = "app";
  p.samples = 40;
  ProfileFunction f;
  f.name = "spin";
  f.module = "app";
  f.self_samples = 24;
  f.total_samples = 24;
  f.self_share = f.total_share = 0.6;
  p.functions.push_back(f);
  profile.processes.push_back(p);
  // 40 samples are below the default 50: nothing, until the minimum is lowered.
  EXPECT_EQ(findings_of(r, {}, "profile"), 0u);
  EXPECT_EQ(findings_of(r, with("profile_min_samples=40"), "profile"), 1u);
  DiagnoseThresholds strict = with("profile_min_samples=40");
  ASSERT_TRUE(set_threshold(strict, "hot_function_share=70%"));
  EXPECT_EQ(findings_of(r, strict, "profile"), 0u);
}

TEST(ThresholdsTest, SlowQueryP99) {
  Report r;
  DbStatementReport s;
  s.system = "postgresql";
  s.op = "query";
  s.statement = "SELECT pg_sleep(?)";
  s.count = s.latency.count = 5;
  s.latency.p99_ns = s.latency.max_ns = 150'000'000;
  r.get<DbReport>().statements.push_back(s);
  EXPECT_EQ(findings_of(r, {}, "db"), 1u);
  EXPECT_EQ(findings_of(r, with("slow_query_p99=200ms"), "db"), 0u);
}

// A high run-queue p99 over a few waits that cost the threads almost nothing is not contention:
// the slow query of the accuracy test was ranked below one (26 ms waited in a 1.1 s trace).
TEST(ThresholdsTest, RunQueueShareOfTheThreadsTime) {
  Report r;
  auto& cpu = r.get<CpuReport>();
  cpu.run_queue.count = 30;
  cpu.run_queue.p99_ns = 8'000'000;
  cpu.run_queue_ns = 26'000'000;
  cpu.on_cpu_ns = 80'000'000;
  cpu.sleep_ns = 1'000'000'000;
  EXPECT_EQ(findings_of(r, {}, "cpu"), 0u);
  EXPECT_EQ(findings_of(r, with("runq_share=2%"), "cpu"), 1u);
  cpu.run_queue_ns = 400'000'000;  // a third of their time: contention
  EXPECT_EQ(findings_of(r, {}, "cpu"), 1u);
}

}  // namespace
}  // namespace podtrace::tracer
