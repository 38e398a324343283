// SPDX-License-Identifier: Apache-2.0
// time_breakdown_test.cpp: the time breakdown's arithmetic (open intervals closed at read time,
// threads summed into processes), its bar, its ranking of findings, and the state table kept in
// step with bpf/activity.h.
#include "probes/time_breakdown.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <numeric>

#include "activity.h"
#include "diagnose.h"
#include "row_fold.h"
#include "sections/time.h"
#include "text_writer.h"

namespace podtrace::tracer {
namespace {

uint64_t sum(const TimeShare& t) { return std::accumulate(t.ns.begin(), t.ns.end(), uint64_t{0}); }

TEST(TimeBreakdown, StateTableFollowsTheKernelEnum) {
  static_assert(kTimeStates == PT_STATE_MAX);
  EXPECT_EQ(time_state_key(PT_STATE_ON_CPU), "on_cpu");
  EXPECT_EQ(time_state_key(PT_STATE_RUNQUEUE), "runqueue");
  EXPECT_EQ(time_state_key(PT_STATE_THROTTLED), "throttled");
  EXPECT_EQ(time_state_key(PT_STATE_FILE_IO), "file_io");
  EXPECT_EQ(time_state_key(PT_STATE_NETWORK), "network");
  EXPECT_EQ(time_state_key(PT_STATE_DNS), "dns");
  EXPECT_EQ(time_state_key(PT_STATE_LOCK), "lock");
  EXPECT_EQ(time_state_key(PT_STATE_DB), "db");
  EXPECT_EQ(time_state_key(PT_STATE_SLEEP), "sleep");
}

TEST(TimeBreakdown, ALiveThreadsOpenIntervalIsClosedAtReadTime) {
  // Seen from t=1 s; 2 s on CPU, then in a query since t=3 s; read at t=10 s.
  ThreadTimes t{10, 10, "app", 1'000'000'000, 3'000'000'000, 0, PT_STATE_DB, {}};
  t.ns[PT_STATE_ON_CPU] = 2'000'000'000;
  const TimeReport r = time_breakdown({t}, 10'000'000'000, true);
  ASSERT_EQ(r.threads.size(), 1u);
  EXPECT_EQ(r.threads[0].wall_ns, 9'000'000'000u);
  EXPECT_EQ(r.threads[0].at(TimeState::kDb), 7'000'000'000u);
  EXPECT_EQ(sum(r.threads[0]), r.threads[0].wall_ns);
}

TEST(TimeBreakdown, AnExitedThreadEndsAtItsExit) {
  ThreadTimes t{10, 11, "worker", 2'000'000'000, 4'000'000'000, 5'000'000'000, PT_STATE_ON_CPU, {}};
  t.ns[PT_STATE_NETWORK] = 2'000'000'000;
  t.ns[PT_STATE_ON_CPU] = 1'000'000'000;
  const TimeReport r = time_breakdown({t}, 10'000'000'000, true);
  EXPECT_EQ(r.threads[0].wall_ns, 3'000'000'000u);
  // Its totals are final: nothing is added after the exit.
  EXPECT_EQ(r.threads[0].at(TimeState::kOnCpu), 1'000'000'000u);
  EXPECT_EQ(sum(r.threads[0]), r.threads[0].wall_ns);
}

TEST(TimeBreakdown, ProcessesSumTheirThreadsAndAreNamedAfterTheMainThread) {
  ThreadTimes worker{10, 11, "worker", 0, 1'000, 0, PT_STATE_SLEEP, {}};
  worker.ns[PT_STATE_ON_CPU] = 1'000;
  ThreadTimes main_thread{10, 10, "server", 0, 0, 0, PT_STATE_NETWORK, {}};
  ThreadTimes other{20, 20, "sidecar", 0, 0, 0, PT_STATE_SLEEP, {}};
  const TimeReport r = time_breakdown({worker, main_thread, other}, 5'000, false);
  EXPECT_TRUE(r.threads.empty());
  ASSERT_EQ(r.processes.size(), 2u);
  const TimeShare& server = r.processes[0].pid == 10 ? r.processes[0] : r.processes[1];
  EXPECT_EQ(server.comm, "server");
  EXPECT_EQ(server.threads, 2u);
  EXPECT_EQ(server.wall_ns, 10'000u);
  EXPECT_EQ(server.at(TimeState::kNetwork), 5'000u);
  EXPECT_EQ(server.at(TimeState::kSleep), 4'000u);
  EXPECT_EQ(server.at(TimeState::kOnCpu), 1'000u);
  EXPECT_EQ(sum(server), server.wall_ns);
  // Most thread-time first.
  EXPECT_EQ(r.processes[0].pid, 10u);
  EXPECT_EQ(r.total().wall_ns, 15'000u);
}

// Every short-lived process of a shell loop is a row: past kProcessRowsKept they are one "other"
// row (the last), and the pod's totals, threads and process count stay exact.
// The cpu probe keeps exited threads in a bounded TimeTables and starts each collect from a copy:
// rows folded there stay in the report's "other" row, even when the table itself is short, and a
// live thread of a kept process joins its row.
TEST(TimeBreakdown, ABoundedTableOfExitedThreadsKeepsExactTotals) {
  TimeTables exited(true);
  const uint32_t n = 3000;
  for (uint32_t i = 0; i < n; ++i) {
    // Process i lived (i + 1) us, all of it on CPU.
    ThreadTimes t{1000 + i, 1000 + i, "sh", 0, 0, (i + 1) * 1'000ull, PT_STATE_ON_CPU, {}};
    t.ns[PT_STATE_ON_CPU] = (i + 1) * 1'000ull;
    exited.add(t, 1);
    exited.bound(100);
  }
  TimeTables tables = exited;
  // A live thread of the longest-lived process, on CPU since t = 0.
  tables.add({1000 + n - 1, 7, "worker", 0, 0, 0, PT_STATE_ON_CPU, {}}, 5'000'000);
  const TimeReport r = std::move(tables).report();
  ASSERT_LE(r.processes.size(), 101u);
  EXPECT_EQ(r.processes[0].pid, 1000 + n - 1);
  EXPECT_EQ(r.processes[0].threads, 2u);
  EXPECT_EQ(r.processes[0].wall_ns, n * 1'000ull + 5'000'000);
  const TimeShare& other = r.processes.back();
  EXPECT_EQ(other.comm, "other");
  uint32_t processes = 0;
  for (const auto& p : r.processes) processes += rows_in(p);
  EXPECT_EQ(processes, n);
  uint32_t threads = 0;
  for (const auto& t : r.threads) threads += rows_in(t);
  EXPECT_EQ(threads, n + 1);
  const TimeShare total = r.total();
  EXPECT_EQ(total.threads, n + 1);
  EXPECT_EQ(total.wall_ns, 1'000ull * n * (n + 1) / 2 + 5'000'000);
  EXPECT_EQ(sum(total), total.wall_ns);
  // The copy left the kept table as it was.
  EXPECT_EQ(std::move(exited).report().total().threads, n);
}

TEST(TimeBreakdown, ProcessesPastTheBoundAreFoldedIntoOneRowWithExactTotals) {
  const size_t n = kProcessRowsKept + 50;
  std::vector<ThreadTimes> threads;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t pid = static_cast<uint32_t>(1000 + i);
    // Process i lives (i + 1) ms, all of it on CPU, and has two threads.
    for (uint32_t tid : {pid, pid + 100000}) {
      ThreadTimes t{pid, tid, "sh", 0, 0, (i + 1) * 1'000'000, PT_STATE_ON_CPU, {}};
      t.ns[PT_STATE_ON_CPU] = (i + 1) * 1'000'000;
      threads.push_back(t);
    }
  }
  const TimeReport r = time_breakdown(threads, 10'000'000'000, true);
  ASSERT_EQ(r.processes.size(), kProcessRowsKept + 1);
  ASSERT_EQ(r.threads.size(), kProcessRowsKept + 1);
  EXPECT_EQ(r.processes[0].pid, 1000u + n - 1);  // the longest-lived first
  const TimeShare& other = r.processes.back();
  EXPECT_EQ(other.pid, 0u);
  EXPECT_EQ(other.comm, "other");
  EXPECT_EQ(other.folded, 50u);
  EXPECT_EQ(other.threads, 100u);
  EXPECT_EQ(sum(other), other.wall_ns);
  const TimeShare total = r.total();
  EXPECT_EQ(total.threads, 2 * n);
  EXPECT_EQ(total.wall_ns, 2 * 1'000'000 * n * (n + 1) / 2);
  EXPECT_EQ(r.threads.back().folded, 2 * n - kProcessRowsKept);

  TextWriter out(Style(false), {});
  render_section(out, r);
  EXPECT_NE(out.str().find(fmt::format("in {} processes", n)), std::string::npos) << out.str();
  // The JSON round trip keeps the fold.
  const TimeReport back = nlohmann::json(r).get<TimeReport>();
  EXPECT_EQ(back, r);
}

TEST(TimeBreakdown, TheBarGivesEachStateItsShareOfTheCells) {
  TimeShare t;
  t.ns[static_cast<size_t>(TimeState::kOnCpu)] = 500;
  t.ns[static_cast<size_t>(TimeState::kDb)] = 300;
  t.ns[static_cast<size_t>(TimeState::kSleep)] = 200;
  EXPECT_EQ(time_bar(t, 10), "CCCCCQQQ..");
  // Rounding never loses or adds a cell.
  t.ns[static_cast<size_t>(TimeState::kNetwork)] = 1;
  EXPECT_EQ(time_bar(t, 7).size(), 7u);
  EXPECT_EQ(time_bar(TimeShare{}, 10), "");
}

TEST(TimeBreakdown, FindingsAreRankedByTheTimeTheyExplainWithinASeverity) {
  Report r;
  TimeShare p;
  p.pid = 1;
  p.wall_ns = 10'000;
  p.ns[static_cast<size_t>(TimeState::kFileIo)] = 1'000;
  p.ns[static_cast<size_t>(TimeState::kDb)] = 6'000;
  p.ns[static_cast<size_t>(TimeState::kSleep)] = 3'000;
  r.get<TimeReport>().processes.push_back(p);
  std::vector<Finding> findings = {{"warning", "fileio", "slow fsync", ""},
                                   {"warning", "db", "slow query", ""},
                                   {"critical", "process", "OOM kill", ""},
                                   {"info", "db", "a note", ""}};
  explain_findings(r, findings);
  rank_findings(findings);
  EXPECT_EQ(findings[0].title, "OOM kill");  // severity first
  EXPECT_EQ(findings[1].title, "slow query");
  EXPECT_EQ(findings[1].state, "db");
  EXPECT_EQ(findings[1].time_ns, 6'000u);
  EXPECT_DOUBLE_EQ(findings[1].time_share, 0.6);
  EXPECT_EQ(findings[2].title, "slow fsync");
  EXPECT_EQ(findings[2].time_ns, 1'000u);
  EXPECT_EQ(findings[3].title, "a note");
  EXPECT_EQ(findings[3].time_ns, 0u);  // notes explain nothing
}

}  // namespace
}  // namespace podtrace::tracer
