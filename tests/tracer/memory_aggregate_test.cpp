// SPDX-License-Identifier: Apache-2.0
// memory_aggregate_test.cpp: the memory family without root: fault and reclaim aggregation, the
// memory cgroup files of both layouts and /proc on fixture trees, and the findings.
#include "probes/memory_aggregate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <fstream>

#include "cgroup.h"
#include "histogram.h"
#include "memcg_state.h"
#include "proc_memory.h"
#include "row_fold.h"

namespace podtrace::tracer {
namespace {

namespace fs = std::filesystem;

// The kernel and user space share these structs: pin their layout.
static_assert(sizeof(memory_thread) == 40);
static_assert(offsetof(memory_thread, base_min) == 8);
static_assert(sizeof(memory_proc) == 40);
static_assert(offsetof(memory_proc, comm) == 24);
static_assert(sizeof(memory_reclaim_key) == 8);
static_assert(sizeof(memory_reclaim_stats) == 48);
static_assert(offsetof(memory_reclaim_stats, pages) == 24);

memory_proc proc(const char* comm, uint64_t user_faults, uint64_t minor, uint64_t major) {
  memory_proc p{};
  std::snprintf(p.comm, sizeof(p.comm), "%s", comm);
  p.user_faults = user_faults;
  p.minor = minor;
  p.major = major;
  return p;
}

memory_thread thread(uint32_t pid, uint64_t base_min, uint64_t base_maj, uint64_t last_min,
                     uint64_t last_maj) {
  memory_thread t{};
  t.pid = pid;
  t.base_min = base_min;
  t.base_maj = base_maj;
  t.last_min = last_min;
  t.last_maj = last_maj;
  return t;
}

TEST(MemoryAggregate, FaultsAddExitedThreadsAndLiveThreadsFromProc) {
  // pid 10: exited threads did 100 minor + 2 major; a live thread went from (50, 1) to (450, 4)
  // per /proc, past its last fault's reading (440, 4). A second live thread has no /proc entry:
  // its last fault's reading stands in.
  // pid 20: one live thread, 7 major faults: most major first.
  const std::vector<MemoryProcRow> procs = {{10, proc("web", 500, 100, 2)},
                                            {20, proc("indexer", 9, 0, 0)}};
  const std::vector<MemoryThreadRow> threads = {
      {11, thread(10, 50, 1, 440, 4), FaultCounters{450, 4}},
      {12, thread(10, 5, 0, 25, 0), std::nullopt},
      {21, thread(20, 3, 0, 4, 7), FaultCounters{5, 7}},
  };
  const auto faults = aggregate_faults(procs, threads);
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_EQ(faults[0].pid, 20u);
  EXPECT_EQ(faults[0].comm, "indexer");
  EXPECT_EQ(faults[0].user_faults, 9u);
  EXPECT_EQ(faults[0].minor, 2u);
  EXPECT_EQ(faults[0].major, 7u);
  EXPECT_EQ(faults[1].pid, 10u);
  EXPECT_EQ(faults[1].user_faults, 500u);
  EXPECT_EQ(faults[1].minor, 100u + 400u + 20u);
  EXPECT_EQ(faults[1].major, 2u + 3u);
}

// A pod of short-lived processes: past kProcessRowsKept rows the rest are one "other" row whose
// sums keep the totals exact, and a folded row is never named in a finding.
TEST(MemoryAggregate, FaultsAndRssPastTheBoundAreFoldedIntoOneRow) {
  const size_t n = kProcessRowsKept + 100;
  std::vector<MemoryProcRow> procs;
  uint64_t minor_total = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t minor = 1000 + i;          // the last rows carry the most minor faults...
    const uint64_t major = i < 10 ? 0 : 200;  // ...the first ten none: they are folded
    procs.push_back({static_cast<uint32_t>(100 + i), proc("sh", 1, minor, major)});
    minor_total += minor;
  }
  const auto faults = aggregate_faults(procs, {});
  ASSERT_EQ(faults.size(), kProcessRowsKept + 1);
  uint64_t minor = 0, major = 0, rows = 0;
  for (const auto& f : faults) {
    minor += f.minor;
    major += f.major;
    rows += rows_in(f);
  }
  EXPECT_EQ(minor, minor_total);
  EXPECT_EQ(major, (n - 10) * 200);
  EXPECT_EQ(rows, n);
  const ProcessFaults& other = faults.back();
  EXPECT_EQ(other.pid, 0u);
  EXPECT_EQ(other.comm, "other");
  EXPECT_EQ(other.folded, 100u);
  EXPECT_EQ(other.major, 90u * 200);  // the ten without major faults are among the folded

  MemoryInputs in;
  in.procs = procs;
  in.window_ns = 1'000'000'000;
  for (size_t i = 0; i < n; ++i)
    in.rss.push_back({static_cast<uint32_t>(100 + i), "sh", 1000, 2000 + i, i % 2 == 0});
  const MemoryReport m = aggregate_memory(in);
  ASSERT_EQ(m.rss.size(), kProcessRowsKept + 1);
  // The running ones come first: all n / 2 of them are kept, then the largest exited ones.
  for (size_t i = 0; i < n / 2; ++i) EXPECT_TRUE(m.rss[i].running) << i;
  uint64_t end = 0;
  for (const auto& r : m.rss) end += r.end_bytes;
  EXPECT_EQ(end, n * 2000 + n * (n - 1) / 2);
  EXPECT_EQ(m.rss.back().folded, 100u);
  EXPECT_FALSE(m.rss.back().running);  // it sums exited processes
  // Each kept row took 200 major faults in 1 s; the folded row took 18 000 but is 90 processes.
  DiagnoseThresholds t;
  t.major_faults_per_s = 100;
  std::vector<Finding> findings;
  diagnose_section(m, t, findings);
  size_t major_findings = 0;
  for (const auto& f : findings) {
    if (f.title.find("major page faults") == std::string::npos) continue;
    ++major_findings;
    EXPECT_EQ(f.title.find("pid 0"), std::string::npos) << f.title;
  }
  EXPECT_EQ(major_findings, kProcessRowsKept);
}

// The probe moves exited processes' rows out of the kernel's map into ExitedFaults: bounded at
// kExitedFaultsKept rows (the lightest half folded when it is passed), and still in the report,
// exact, next to the kernel's rows; a pid in both (reused) is two rows.
TEST(MemoryAggregate, ExitedProcessesAreKeptBoundedAndExact) {
  ExitedFaults exited;
  const uint32_t n = 5000;
  uint64_t minor_total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    exited.add(1000 + i, proc("sh", 2, 10 + i, i % 3));
    minor_total += 10 + i;
    ASSERT_LE(exited.rows().size(), ExitedFaults::kExitedFaultsKept);
  }
  EXPECT_GT(exited.other().folded, 0u);
  const std::vector<MemoryProcRow> live = {{1000 + n - 1, proc("sh", 1, 7, 0)},
                                           {42, proc("app", 1, 100, 5)}};
  const auto faults = aggregate_faults(live, {}, &exited);
  ASSERT_EQ(faults.size(), kProcessRowsKept + 1);
  uint64_t minor = 0, user = 0, rows = 0;
  for (const auto& f : faults) {
    minor += f.minor;
    user += f.user_faults;
    rows += rows_in(f);
  }
  EXPECT_EQ(rows, n + 2);
  EXPECT_EQ(minor, minor_total + 107);
  EXPECT_EQ(user, 2ull * n + 2);
  EXPECT_EQ(faults[0].pid, 42u);  // most major faults first
  EXPECT_EQ(faults.back().comm, "other");
}

TEST(MemoryAggregate, ReclaimKindsProcessesAndOomKillsFromTheProcessSection) {
  MemoryInputs in;
  in.window_ns = 10'000'000'000;
  std::vector<uint64_t> slots(kHistSlots);
  slots[hist_slot(2'000'000)] = 3;
  memory_reclaim_stats memcg{};
  memcg.count = 3;
  memcg.total_ns = 6'000'000;
  memcg.max_ns = 2'500'000;
  memcg.pages = 96;
  in.reclaim_kinds = {{MEMORY_RECLAIM_DIRECT, {}, std::vector<uint64_t>(kHistSlots)},
                      {MEMORY_RECLAIM_MEMCG, memcg, slots}};
  memory_reclaim_stats small = memcg, big = memcg;
  small.total_ns = 1'000'000;
  std::snprintf(small.comm, sizeof(small.comm), "small");
  big.total_ns = 5'000'000;
  std::snprintf(big.comm, sizeof(big.comm), "big");
  in.reclaim_procs = {{{7, MEMORY_RECLAIM_MEMCG}, small}, {{8, MEMORY_RECLAIM_MEMCG}, big}};
  ProcessReport process;
  process.oom_kills = 1;
  process.exited.push_back({8, 1, "big", 0, 9, false, true});
  process.exited.push_back({7, 1, "small", 0, 0, false, false});
  in.process = &process;

  const MemoryReport m = aggregate_memory(in);
  EXPECT_EQ(m.window_ns, 10'000'000'000u);
  ASSERT_EQ(m.reclaim.size(), 1u);  // no direct reclaim: left out
  EXPECT_EQ(m.reclaim[0].kind, "memcg");
  EXPECT_EQ(m.reclaim[0].count, 3u);
  EXPECT_EQ(m.reclaim[0].total_ns, 6'000'000u);
  EXPECT_EQ(m.reclaim[0].reclaimed_pages, 96u);
  EXPECT_EQ(m.reclaim[0].latency.count, 3u);
  EXPECT_EQ(m.reclaim[0].latency.max_ns, 2'500'000u);
  ASSERT_EQ(m.reclaim_processes.size(), 2u);
  EXPECT_EQ(m.reclaim_processes[0].comm, "big");  // most time first
  EXPECT_EQ(m.reclaim_processes[0].pid, 8u);
  EXPECT_EQ(m.reclaim_processes[1].total_ns, 1'000'000u);
  EXPECT_EQ(m.oom_kills, 1u);
  ASSERT_EQ(m.oom_killed.size(), 1u);
  EXPECT_EQ(m.oom_killed[0].pid, 8u);
  EXPECT_EQ(m.oom_killed[0].comm, "big");

  in.process = nullptr;  // the process family is disabled: no count to copy
  EXPECT_EQ(aggregate_memory(in).oom_kills, 0u);
}

// A fixture host: /proc and /sys/fs/cgroup under a temporary root, pure v2 or hybrid (v2 at
// unified/, the v1 memory controller at memory/), as tests/tracer/cgroup_test.cpp builds them.
class MemoryFixture {
 public:
  explicit MemoryFixture(bool hybrid) : hybrid_(hybrid) {
    std::string tmpl = (fs::temp_directory_path() / "podtrace-memfix-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
    if (hybrid) {
      write(cgroup_root() / "unified/cgroup.procs", "");
      fs::create_directories(cgroup_root() / "memory");
    } else {
      write(cgroup_root() / "cgroup.controllers", "memory cpu");
    }
  }
  ~MemoryFixture() { fs::remove_all(root_); }
  fs::path cgroup_root() const { return root_ / "sys/fs/cgroup"; }
  fs::path proc() const { return root_ / "proc"; }
  HostRoots roots() const { return {cgroup_root(), proc()}; }
  fs::path v2(const std::string& rel) const {
    return cgroup_root() / (hybrid_ ? "unified/" : "") / rel;
  }
  fs::path v1_memory(const std::string& rel) const { return cgroup_root() / "memory" / rel; }
  static void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

 private:
  bool hybrid_;
  fs::path root_;
};

std::string psi(double some_avg10, uint64_t some_us, double full_avg10, uint64_t full_us) {
  return fmt::format(
      "some avg10={:.2f} avg60=0.00 avg300=0.00 total={}\nfull avg10={:.2f} avg60=0.00 "
      "avg300=0.00 total={}\n",
      some_avg10, some_us, full_avg10, full_us);
}

void write_v2(const fs::path& dir, const std::string& max, uint64_t current, uint64_t peak,
              uint64_t high, uint64_t max_events, uint64_t oom, uint64_t oom_kill) {
  MemoryFixture::write(dir / "cgroup.procs", "");
  MemoryFixture::write(dir / "memory.max", max + "\n");
  MemoryFixture::write(dir / "memory.current", std::to_string(current) + "\n");
  MemoryFixture::write(dir / "memory.peak", std::to_string(peak) + "\n");
  MemoryFixture::write(
      dir / "memory.events",
      fmt::format("low 0\nhigh {}\nmax {}\noom {}\noom_kill {}\noom_group_kill 0\n", high,
                  max_events, oom, oom_kill));
}

void write_v1(const fs::path& dir, uint64_t limit, uint64_t usage, uint64_t max_usage,
              uint64_t failcnt, bool under_oom, uint64_t oom_kill) {
  MemoryFixture::write(dir / "cgroup.procs", "");
  MemoryFixture::write(dir / "memory.limit_in_bytes", std::to_string(limit) + "\n");
  MemoryFixture::write(dir / "memory.usage_in_bytes", std::to_string(usage) + "\n");
  MemoryFixture::write(dir / "memory.max_usage_in_bytes", std::to_string(max_usage) + "\n");
  MemoryFixture::write(dir / "memory.failcnt", std::to_string(failcnt) + "\n");
  MemoryFixture::write(
      dir / "memory.oom_control",
      fmt::format("oom_kill_disable 0\nunder_oom {}\noom_kill {}\n", under_oom ? 1 : 0, oom_kill));
}

TEST(MemcgFiles, ParsesV2) {
  MemoryFixture host(false);
  const fs::path dir = host.v2("kubepods/pod1/app");
  write_v2(dir, "268435456", 104857600, 201326592, 3, 17, 2, 1);
  auto r = read_memcg(dir, true);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->v2);
  EXPECT_EQ(r->limit_bytes, 268435456);
  EXPECT_EQ(r->usage_bytes, 104857600u);
  EXPECT_EQ(r->peak_bytes, 201326592u);
  EXPECT_EQ(r->high_events, 3u);
  EXPECT_EQ(r->limit_hits, 17u);
  EXPECT_EQ(r->oom_events, 2u);
  EXPECT_EQ(r->oom_kills, 1u);
  EXPECT_FALSE(r->under_oom);

  // "max" is no limit; memory.peak is missing before Linux 5.19.
  write_v2(dir, "max", 1, 0, 0, 0, 0, 0);
  fs::remove(dir / "memory.peak");
  r = read_memcg(dir, true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit_bytes, -1);
  EXPECT_FALSE(r->peak_bytes);
  EXPECT_FALSE(read_memcg(host.v2("missing"), true));
}

TEST(MemcgFiles, ParsesV1) {
  MemoryFixture host(true);
  const fs::path dir = host.v1_memory("kubepods/pod1/app");
  write_v1(dir, 33554432, 30000000, 33554432, 412, true, 1);
  auto r = read_memcg(dir, false);
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->v2);
  EXPECT_EQ(r->limit_bytes, 33554432);
  EXPECT_EQ(r->usage_bytes, 30000000u);
  EXPECT_EQ(r->peak_bytes, 33554432u);
  EXPECT_EQ(r->limit_hits, 412u);
  EXPECT_EQ(r->oom_kills, 1u);
  EXPECT_EQ(r->under_oom, true);
  EXPECT_FALSE(r->high_events);
  EXPECT_FALSE(r->oom_events);

  // v1 writes "no limit" as PAGE_COUNTER_MAX pages.
  write_v1(dir, 9223372036854771712ull, 1, 1, 0, false, 0);
  r = read_memcg(dir, false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit_bytes, -1);
  EXPECT_EQ(r->under_oom, false);
}

TEST(MemcgFiles, ParsesPressure) {
  MemoryFixture host(false);
  const fs::path dir = host.v2("app");
  MemoryFixture::write(dir / "memory.pressure", psi(12.34, 5000, 3.5, 1200));
  auto p = read_memory_pressure(dir);
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(p->some_avg10, 12.34);
  EXPECT_DOUBLE_EQ(p->full_avg10, 3.5);
  EXPECT_EQ(p->some_total_us, 5000u);
  EXPECT_EQ(p->full_total_us, 1200u);
  EXPECT_FALSE(read_memory_pressure(host.v2("no-psi")));
}

TEST(MemcgMonitor, PureV2ReportsDeltasOverTheTrace) {
  MemoryFixture host(false);
  const fs::path dir = host.v2("kubepods/pod1/app");
  write_v2(dir, "268435456", 100, 150, 1, 10, 0, 0);
  MemoryFixture::write(dir / "memory.pressure", psi(0, 1000, 0, 500));
  CgroupFs cgroups(host.roots());
  MemcgMonitor monitor;
  monitor.watch(cgroups, {dir});

  write_v2(dir, "268435456", 260, 300, 4, 35, 2, 1);
  MemoryFixture::write(dir / "memory.pressure", psi(7.25, 4000, 2.5, 2500));
  auto states = monitor.since_start();
  ASSERT_EQ(states.size(), 1u);
  const MemcgState& s = states[0];
  EXPECT_EQ(s.cgroup, dir.string());
  EXPECT_EQ(s.source, "cgroup-v2");
  EXPECT_EQ(s.limit_bytes, 268435456);
  EXPECT_EQ(s.usage_start_bytes, 100u);
  EXPECT_EQ(s.usage_end_bytes, 260u);
  EXPECT_EQ(s.peak_bytes, 300u);
  EXPECT_EQ(s.limit_hits, 25u);
  EXPECT_EQ(s.high_events, 3u);
  EXPECT_EQ(s.oom_events, 2u);
  EXPECT_EQ(s.oom_kills, 1u);
  EXPECT_FALSE(s.under_oom);
  ASSERT_TRUE(s.pressure);
  EXPECT_DOUBLE_EQ(s.pressure->some_avg10, 7.25);
  EXPECT_DOUBLE_EQ(s.pressure->full_avg10, 2.5);
  EXPECT_EQ(s.pressure->some_ns, 3'000'000u);
  EXPECT_EQ(s.pressure->full_ns, 2'000'000u);

  // The cgroup went away with its pod: its last reading stays.
  fs::remove_all(dir);
  states = monitor.since_start();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].limit_hits, 25u);
  EXPECT_EQ(states[0].usage_end_bytes, 260u);
}

TEST(MemcgMonitor, HybridReadsTheV1ControllerAndPressureFromV2) {
  MemoryFixture host(true);
  // runc used the same relative path in every hierarchy for the pod ...
  const fs::path pod_v2 = host.v2("kubepods/pod1"), pod_v1 = host.v1_memory("kubepods/pod1");
  MemoryFixture::write(pod_v2 / "cgroup.procs", "");
  MemoryFixture::write(pod_v2 / "memory.pressure", psi(0, 0, 0, 0));
  write_v1(pod_v1, 67108864, 1000, 2000, 5, false, 0);
  // ... while the test's cgroup sits elsewhere in v1: found through its process's
  // /proc/PID/cgroup, and only once it has one.
  const fs::path app_v2 = host.v2("app"), app_v1 = host.v1_memory("agent/abc/app");
  MemoryFixture::write(app_v2 / "cgroup.procs", "");
  write_v1(app_v1, 33554432, 4096, 4096, 0, false, 0);

  CgroupFs cgroups(host.roots());
  ASSERT_EQ(cgroups.layout(), CgroupLayout::kHybrid);
  MemcgMonitor monitor;
  monitor.watch(cgroups, {pod_v2, app_v2});
  ASSERT_EQ(monitor.since_start().size(), 1u);  // app has no process to ask yet

  MemoryFixture::write(app_v2 / "cgroup.procs", "4242\n");
  MemoryFixture::write(host.proc() / "4242/cgroup", "4:memory:/agent/abc/app\n1:cpu:/\n0::/app\n");
  monitor.watch(cgroups, {pod_v2, app_v2});  // app's baseline is taken now

  write_v1(pod_v1, 67108864, 5000, 67108864, 9, true, 1);
  MemoryFixture::write(pod_v2 / "memory.pressure", psi(1.5, 250, 0.5, 100));
  write_v1(app_v1, 33554432, 8192, 33554432, 3, false, 0);
  const auto states = monitor.since_start();
  ASSERT_EQ(states.size(), 2u);
  const MemcgState& pod = states[0];
  EXPECT_EQ(pod.cgroup, pod_v1.string());
  EXPECT_EQ(pod.source, "cgroup-v1");
  EXPECT_EQ(pod.limit_bytes, 67108864);
  EXPECT_EQ(pod.usage_start_bytes, 1000u);
  EXPECT_EQ(pod.usage_end_bytes, 5000u);
  EXPECT_EQ(pod.peak_bytes, 67108864u);
  EXPECT_EQ(pod.limit_hits, 4u);
  EXPECT_EQ(pod.oom_kills, 1u);
  EXPECT_EQ(pod.under_oom, true);
  EXPECT_FALSE(pod.high_events);
  ASSERT_TRUE(pod.pressure);
  EXPECT_EQ(pod.pressure->some_ns, 250'000u);
  EXPECT_DOUBLE_EQ(pod.pressure->some_avg10, 1.5);
  const MemcgState& app = states[1];
  EXPECT_EQ(app.cgroup, app_v1.string());
  EXPECT_EQ(app.limit_hits, 3u);
  EXPECT_EQ(app.usage_start_bytes, 4096u);
  EXPECT_FALSE(app.pressure);  // no memory.pressure in the fixture's app directory
}

TEST(ProcMemory, ParsesStatAndStatus) {
  // A comm may hold spaces and parentheses; the fields count from the last ')'.
  auto c = parse_stat_faults(
      "4242 (we (ird) name) S 1 4242 4242 0 -1 4194560 1234 99 56 7 10 20 0 0 20 0 3 0 100");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->minor, 1234u);
  EXPECT_EQ(c->major, 56u);
  EXPECT_FALSE(parse_stat_faults("4242 (short) S 1 2"));

  MemoryFixture host(false);
  MemoryFixture::write(host.proc() / "77/task/78/stat",
                       "78 (worker) R 1 77 77 0 -1 0 500 0 3 0 0 0 0 0 20 0 1 0 1\n");
  auto t = read_thread_faults(host.proc(), 77, 78);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->minor, 500u);
  EXPECT_EQ(t->major, 3u);
  EXPECT_FALSE(read_thread_faults(host.proc(), 77, 79));

  MemoryFixture::write(host.proc() / "77/status",
                       "Name:\tpostgres\nState:\tS (sleeping)\nVmRSS:\t  204800 kB\nThreads:\t1\n");
  auto s = read_proc_status(host.proc(), 77);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->comm, "postgres");
  EXPECT_EQ(s->rss_bytes, 204800u * 1024);
  EXPECT_FALSE(read_proc_status(host.proc(), 78));
}

TEST(ProcMemory, RssTrackerKeepsTheFirstAndLatestReadings) {
  MemoryFixture host(false);
  auto status = [&](int pid, const char* comm, uint64_t kib) {
    MemoryFixture::write(host.proc() / std::to_string(pid) / "status",
                         fmt::format("Name:\t{}\nVmRSS:\t{} kB\n", comm, kib));
  };
  status(10, "grows", 1000);
  status(11, "exits", 500);
  RssTracker rss(host.proc());
  rss.observe({10, 11});
  status(10, "grows", 33768);
  status(12, "late", 64);
  fs::remove_all(host.proc() / "11");
  rss.observe({10, 12});
  status(10, "grows", 33800);
  status(12, "late", 128);
  rss.observe({10, 12});

  const auto rows = rss.report();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].pid, 10u);  // most growth first
  EXPECT_EQ(rows[0].comm, "grows");
  EXPECT_EQ(rows[0].start_bytes, 1000u * 1024);
  EXPECT_EQ(rows[0].end_bytes, 33800u * 1024);
  EXPECT_TRUE(rows[0].running);
  EXPECT_EQ(rows[1].pid, 12u);  // first seen late: its first reading is its start
  EXPECT_EQ(rows[1].start_bytes, 64u * 1024);
  EXPECT_EQ(rows[1].end_bytes, 128u * 1024);
  EXPECT_EQ(rows[2].pid, 11u);
  EXPECT_EQ(rows[2].end_bytes, 500u * 1024);  // last seen
  EXPECT_FALSE(rows[2].running);
}

MemoryReport troubled_report() {
  MemoryReport m;
  m.window_ns = 10'000'000'000;
  ReclaimStall memcg;
  memcg.kind = "memcg";
  memcg.count = 40;
  memcg.total_ns = 1'200'000'000;
  memcg.reclaimed_pages = 800;
  memcg.latency.count = 40;
  memcg.latency.max_ns = 90'000'000;
  m.reclaim.push_back(memcg);
  m.reclaim_processes.push_back({8, "big", "memcg", 40, 1'200'000'000, 90'000'000, 800});
  MemcgState cg;
  cg.cgroup = "/sys/fs/cgroup/memory/pod1";
  cg.source = "cgroup-v1";
  cg.limit_bytes = 33554432;
  cg.usage_start_bytes = 1048576;
  cg.usage_end_bytes = 33554432;
  cg.limit_hits = 412;
  cg.oom_kills = 1;
  m.cgroups.push_back(cg);
  m.oom_kills = 1;
  m.oom_killed.push_back({8, "big"});
  m.faults.push_back({9, "reader", 3000, 1000, 2000});  // 200 major faults/s
  m.faults.push_back({10, "quiet", 10, 10, 99});        // under 100 major faults: no finding
  return m;
}

TEST(MemoryFindings, RankStallsLimitHitsOomKillsAndMajorFaults) {
  std::vector<Finding> out;
  diagnose_section(troubled_report(), DiagnoseThresholds{}, out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].severity, "critical");  // 1.2 s stalled: critical
  EXPECT_EQ(out[0].title, "threads stalled 1.20s in memory-cgroup reclaim");
  EXPECT_NE(out[0].detail.find("mostly big (pid 8)"), std::string::npos) << out[0].detail;
  EXPECT_EQ(out[1].severity, "warning");
  EXPECT_EQ(out[1].title, "memory limit hit 412 times");
  EXPECT_NE(out[1].detail.find("limit 32.0 MiB"), std::string::npos) << out[1].detail;
  EXPECT_EQ(out[2].severity, "critical");
  EXPECT_EQ(out[2].title, "1 process OOM-killed");
  EXPECT_EQ(out[2].detail,
            "big (pid 8); the memory cgroup /sys/fs/cgroup/memory/pod1 hit its limit of 32.0 MiB");
  EXPECT_EQ(out[3].title, "reader (pid 9) took 2000 major page faults (200/s)");

  // A higher threshold silences the fault finding; a quiet report has none at all.
  DiagnoseThresholds strict;
  strict.major_faults_per_s = 500;
  out.clear();
  diagnose_section(troubled_report(), strict, out);
  EXPECT_EQ(out.size(), 3u);
  out.clear();
  diagnose_section(MemoryReport{}, DiagnoseThresholds{}, out);
  EXPECT_TRUE(out.empty());
}

TEST(MemoryFindings, OomKillsCountedOnlyByTheCgroupStillShow) {
  MemoryReport m = troubled_report();
  m.oom_kills = 0;  // the process family was disabled
  m.oom_killed.clear();
  std::vector<Finding> out;
  diagnose_section(m, DiagnoseThresholds{}, out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[2].title, "1 process OOM-killed");
  EXPECT_EQ(out[2].detail,
            "the memory cgroup /sys/fs/cgroup/memory/pod1 hit its limit of 32.0 MiB");
}

TEST(MemoryReportJson, LayoutSpecificMembersAreWrittenOnlyWhenRead) {
  MemcgState v1;
  v1.source = "cgroup-v1";
  v1.under_oom = false;
  nlohmann::json j = v1;
  EXPECT_TRUE(j.contains("under_oom"));
  EXPECT_FALSE(j.contains("high_events"));
  EXPECT_FALSE(j.contains("pressure"));
  MemcgState back = j.get<MemcgState>();
  EXPECT_EQ(back, v1);
  MemcgState v2;
  v2.high_events = 0;
  v2.oom_events = 0;
  v2.pressure = MemoryPressure{};
  j = v2;
  EXPECT_FALSE(j.contains("under_oom"));
  EXPECT_EQ(j.get<MemcgState>(), v2);
}

}  // namespace
}  // namespace podtrace::tracer
