// SPDX-License-Identifier: Apache-2.0
// memory_test.cpp: exact page faults, a memory limit's reclaim, limit hits and OOM kill, and RSS
// growth, from real workloads in real cgroups.
#include "sections/memory.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <vector>

#include "in_process_trace.h"
#include "kernel_features.h"
#include "kernel_test_util.h"
#include "probe_config.h"
#include "probes/memory_probe.h"
#include "report.h"
#include "row_fold.h"
#include "units.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;

constexpr long kPage = 4096;

// Faults the workload may take besides the pages it was told to touch, once released: code and
// data pages first used after the fork (a fork does not copy the page tables of file mappings),
// and the exit path. Measured 0 to 20 on the CI kernel, depending on what the test process had
// touched before forking; 64 leaves room while a lost or doubled page count would still show.
constexpr uint64_t kFaultSlack = 64;

// Maps n fresh anonymous pages and writes one byte to each: n minor faults. Huge pages are off
// for the mapping, so each page is its own fault.
int touch_anon_pages(long n) {
  char* p = static_cast<char*>(
      mmap(nullptr, n * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (p == MAP_FAILED) return 10;
  if (madvise(p, n * kPage, MADV_NOHUGEPAGE) != 0) return 11;
  for (long i = 0; i < n; ++i) p[i * kPage] = 1;
  return 0;
}

// Reads one byte of each of n pages of a file whose page cache was dropped: n major faults.
// MADV_RANDOM turns off read-ahead, so each page is read (and faulted) on its own.
int read_cold_file_pages(const fs::path& path, long n) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return 10;
  if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) return 11;
  char* p = static_cast<char*>(mmap(nullptr, n * kPage, PROT_READ, MAP_SHARED, fd, 0));
  if (p == MAP_FAILED) return 12;
  if (madvise(p, n * kPage, MADV_RANDOM) != 0) return 13;
  std::vector<unsigned char> resident(n);
  if (mincore(p, n * kPage, resident.data()) != 0) return 14;
  for (unsigned char r : resident)
    if (r & 1) return 15;  // still cached: the faults would be minor
  // volatile: each read must happen, or the compiler may drop reads nobody uses.
  const volatile char* pages = p;
  for (long i = 0; i < n; ++i) (void)pages[i * kPage];
  close(fd);
  return 0;
}

// Reads of a page-cache page are major faults only on a block device: tmpfs pages are memory.
fs::path disk_backed_dir() {
  for (const char* base : {"/var/tmp", "/tmp"}) {
    struct statfs st {};
    if (statfs(base, &st) == 0 && st.f_type != TMPFS_MAGIC && st.f_type != RAMFS_MAGIC) {
      std::string tmpl = std::string(base) + "/podtrace-majflt-XXXXXX";
      if (mkdtemp(tmpl.data())) return tmpl;
    }
  }
  throw std::runtime_error("no disk-backed directory for a cold page cache");
}

void write_file_pages(const fs::path& path, long n) {
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  std::vector<char> page(kPage, 'x');
  for (long i = 0; i < n; ++i) ASSERT_EQ(write(fd, page.data(), kPage), kPage);
  // Clean pages can be dropped from the cache; dirty ones cannot.
  ASSERT_EQ(fsync(fd), 0);
  close(fd);
}

// The process's memory controller directory, from /proc/PID/cgroup (v1 on hybrid hosts).
fs::path memory_dir_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  fs::path v2;
  while (std::getline(in, line)) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    std::string ctrls = "," + line.substr(a + 1, b - a - 1) + ",";
    fs::path rel = fs::path(line.substr(b + 1)).relative_path();
    if (ctrls.find(",memory,") != std::string::npos) return fs::path("/sys/fs/cgroup/memory") / rel;
    if (ctrls == ",,") v2 = fs::path("/sys/fs/cgroup") / rel;
  }
  return v2;
}

// The limit must end in reclaim that fails and an OOM kill even where swap is on.
void turn_off_swap(pid_t pid) {
  const fs::path dir = memory_dir_of(pid);
  for (const char* file : {"memory.swap.max", "memory.swappiness"})
    if (fs::exists(dir / file)) std::ofstream(dir / file) << "0";
}

std::optional<nlohmann::json> finding(const nlohmann::json& report, const std::string& title) {
  return find_entry(report["findings"], {{"family", "memory"}, {"title", title}});
}

TEST(MemoryTest, CountsMinorFaultsOfFreshPagesPerProcess) {
  constexpr long kPages = 2048;
  TestCgroup target("pt-minflt-target"), other("pt-minflt-other");
  Workload traced(target, [] { return touch_anon_pages(kPages); });
  Workload untraced(other, [] { return touch_anon_pages(kPages); });
  TracerProcess tracer({"--cgroup", target.v2().string(), "--disable", "fileio"});
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto memory = tracer.report()["memory"];
  auto faults = find_entry(memory["faults"], {{"pid", traced.pid()}});
  ASSERT_TRUE(faults) << memory["faults"].dump();
  const uint64_t minor = (*faults)["minor_faults"], user = (*faults)["user_faults"];
  EXPECT_GE(minor, uint64_t{kPages});
  EXPECT_LT(minor, kPages + kFaultSlack);
  EXPECT_GE(user, uint64_t{kPages});
  EXPECT_LT(user, kPages + kFaultSlack);
  EXPECT_EQ((*faults)["major_faults"], 0);
  EXPECT_FALSE(find_entry(memory["faults"], {{"pid", untraced.pid()}}));
}

// More short-lived processes than the probe keeps rows for (2048): each touches 16 fresh pages,
// exits, and is reaped before the next starts.
constexpr int kShortLived = 2100;
constexpr long kChildPages = 16;

int fork_page_touchers() {
  return fork_one_by_one(kShortLived, [] { return touch_anon_pages(kChildPages); });
}

// Processes that have exited leave the kernel's per-process map at each collect (a pod's shell
// loop filled its 8192 entries in under a minute) and stay in the report: each counted once
// however many collects follow, the folded ones included, with its own faults.
TEST(MemoryExitedProcsTest, LeaveTheKernelMapAndStayExactInTheReport) {
  TestCgroup target("pt-memory-exited");
  Workload traced(target, fork_page_touchers);
  LiveKernelFeatures live;
  MemoryProbe probe;
  auto started = probe.start(probe_config(target, live));
  ASSERT_TRUE(started) << started.error();
  traced.go();
  ASSERT_EQ(traced.wait(), 0);
  // The forking parent and its 2100 children, all exited.
  const size_t processes = kShortLived + 1;
  ASSERT_EQ(probe.kernel_procs(), processes);

  std::optional<ProcessFaults> first_total;
  for (int collect = 1; collect <= 2; ++collect) {
    SCOPED_TRACE(fmt::format("collect {}", collect));
    Report report;
    probe.fill(report);
    EXPECT_EQ(probe.kernel_procs(), 0u);
    const auto* memory = report.find<MemoryReport>();
    ASSERT_TRUE(memory);
    ASSERT_EQ(memory->faults.size(), kProcessRowsKept + 1);
    ProcessFaults total;
    for (const auto& f : memory->faults) {
      total.folded += rows_in(f);
      total.minor += f.minor;
      total.user_faults += f.user_faults;
      total.major += f.major;
      if (f.folded || f.pid == static_cast<uint32_t>(traced.pid())) continue;
      EXPECT_GE(f.minor, uint64_t{kChildPages}) << f.pid;
      EXPECT_LT(f.minor, kChildPages + kFaultSlack) << f.pid;
    }
    EXPECT_EQ(total.folded, processes);
    EXPECT_GE(total.minor, uint64_t{kShortLived * kChildPages});
    if (first_total)
      EXPECT_EQ(total, *first_total);
    else
      first_total = total;
  }
  EXPECT_EQ(probe.lost().map_full, 0u);
}

TEST(MemoryTest, CountsMajorFaultsOfAColdFileMapping) {
  constexpr long kPages = 256;
  const fs::path dir = disk_backed_dir();
  const fs::path mine = dir / "target.dat", theirs = dir / "other.dat";
  write_file_pages(mine, kPages);
  write_file_pages(theirs, kPages);
  TestCgroup target("pt-majflt-target"), other("pt-majflt-other");
  Workload traced(target, [&] { return read_cold_file_pages(mine, kPages); });
  Workload untraced(other, [&] { return read_cold_file_pages(theirs, kPages); });
  TracerProcess tracer({"--cgroup", target.v2().string(), "--disable", "fileio"});
  const auto statuses = run_under_tracer(tracer, {&traced, &untraced});
  fs::remove_all(dir);
  ASSERT_EQ(statuses, std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto memory = tracer.report()["memory"];
  auto faults = find_entry(memory["faults"], {{"pid", traced.pid()}});
  ASSERT_TRUE(faults) << memory["faults"].dump();
  // Every other page the workload touches is already in memory: at most a few more.
  const uint64_t major = (*faults)["major_faults"];
  EXPECT_GE(major, uint64_t{kPages});
  EXPECT_LT(major, kPages + 8u);
  EXPECT_FALSE(find_entry(memory["faults"], {{"pid", untraced.pid()}}));
}

// Touches 128 MiB, 1 MiB at a time, under a 32 MiB limit without swap: the charges hit the
// limit, reclaim finds nothing to free, and the OOM killer ends the workload.
int outgrow_limit() {
  for (int i = 0; i < 128; ++i)
    if (touch_anon_pages((1 << 20) / kPage) != 0) return 10;
  return 0;
}

TEST(MemoryTest, MemoryLimitReclaimLimitHitsAndOomKillAreLinked) {
  constexpr long kLimit = 32 << 20;
  TestCgroup target("pt-memcg-target"), other("pt-memcg-other");
  target.set_memory_limit(kLimit);
  other.set_memory_limit(kLimit);
  Workload traced(target, outgrow_limit);
  Workload untraced(other, outgrow_limit);
  turn_off_swap(traced.pid());
  turn_off_swap(untraced.pid());
  const fs::path memory_dir = memory_dir_of(traced.pid());  // before the OOM killer ends it
  TracerProcess tracer({"--cgroup", target.v2().string(), "--disable", "fileio"});
  const auto statuses = run_under_tracer(tracer, {&traced, &untraced});
  ASSERT_TRUE(WIFSIGNALED(statuses[0]) && WTERMSIG(statuses[0]) == SIGKILL) << statuses[0];
  ASSERT_TRUE(WIFSIGNALED(statuses[1]) && WTERMSIG(statuses[1]) == SIGKILL) << statuses[1];
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  const auto memory = report["memory"];
  auto memcg = find_entry(memory["reclaim"], {{"kind", "memcg"}});
  ASSERT_TRUE(memcg) << memory.dump();
  EXPECT_GT((*memcg)["count"].get<uint64_t>(), 0u);
  EXPECT_GT((*memcg)["total_ns"].get<uint64_t>(), 0u);
  EXPECT_EQ((*memcg)["latency"]["count"], (*memcg)["count"]);
  auto mine = find_entry(memory["reclaim_processes"], {{"pid", traced.pid()}, {"kind", "memcg"}});
  ASSERT_TRUE(mine) << memory["reclaim_processes"].dump();
  EXPECT_GT((*mine)["total_ns"].get<uint64_t>(), 0u);
  EXPECT_EQ((*mine)["count"], (*memcg)["count"]);  // the only reclaimer in the target
  EXPECT_FALSE(find_entry(memory["reclaim_processes"], {{"pid", untraced.pid()}}));

  // The memory cgroup of this host's layout: the exact limit, the limit hits and the kill.
  ASSERT_EQ(memory["cgroups"].size(), 1u) << memory["cgroups"].dump();
  const auto cg = memory["cgroups"][0];
  EXPECT_EQ(cg["cgroup"], memory_dir.string());
  EXPECT_EQ(cg["source"], target.hybrid() ? "cgroup-v1" : "cgroup-v2");
  EXPECT_EQ(cg["limit_bytes"], kLimit);
  EXPECT_GT(cg["limit_hits"].get<uint64_t>(), 0u);  // memory.failcnt / memory.events max
  EXPECT_EQ(cg["oom_kills"], 1);
  if (target.hybrid()) {
    EXPECT_EQ(cg["peak_bytes"], kLimit);  // memory.max_usage_in_bytes reached the limit
    EXPECT_EQ(cg["under_oom"], false);
  } else {
    EXPECT_GE(cg["oom_events"].get<uint64_t>(), 1u);
  }
  // Reclaim at the limit is a memory stall for PSI, read from the v2 directory on both layouts.
  ASSERT_TRUE(cg.contains("pressure")) << cg.dump();
  EXPECT_GT(cg["pressure"]["some_stall_ns"].get<uint64_t>(), 0u);

  // One count of OOM kills, the process family's, linked into the memory section. (A clean
  // failure, not a crash of the suite, where the process family is off.)
  ASSERT_TRUE(report.contains("process")) << report["diagnostics"].dump();
  EXPECT_EQ(report["process"]["oom_kills"], 1);
  EXPECT_EQ(memory["oom_kills"], 1);
  ASSERT_EQ(memory["oom_killed"].size(), 1u);
  EXPECT_EQ(memory["oom_killed"][0]["pid"], traced.pid());
  auto killed = finding(report, "1 process OOM-killed");
  ASSERT_TRUE(killed) << report["findings"].dump();
  EXPECT_NE((*killed)["detail"].get<std::string>().find("hit its limit of 32.0 MiB"),
            std::string::npos)
      << (*killed)["detail"];
  EXPECT_TRUE(
      finding(report, fmt::format("memory limit hit {} times", cg["limit_hits"].get<uint64_t>())));
  // The stall is a finding that names its time.
  EXPECT_TRUE(finding(
      report, "threads stalled " + format_ns((*memcg)["total_ns"]) + " in memory-cgroup reclaim"))
      << report["findings"].dump();
}

TEST(MemoryTest, RssAtStartAndEndShowsTheGrowth) {
  constexpr long kGrowth = 32 << 20;
  TestCgroup target("pt-rss-target");
  int grown[2], release[2];
  ASSERT_EQ(pipe(grown), 0);
  ASSERT_EQ(pipe(release), 0);
  Workload traced(target, [&] {
    // No transparent huge pages in this process at all: where THP is "always" (the 6.1 VM), a
    // heap fault after go() mapped a whole 2 MiB page, and the growth read 34 MiB, exactly.
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) return 9;
    if (touch_anon_pages(kGrowth / kPage) != 0) return 10;
    char c = 'g';
    if (write(grown[1], &c, 1) != 1) return 11;
    // Stay alive until the tracer has taken its last reading.
    return read(release[0], &c, 1) == 1 ? 0 : 12;
  });
  TracerProcess tracer({"--cgroup", target.v2().string(), "--disable", "fileio"});
  tracer.wait_for_start();  // the start reading is taken before this line
  traced.go();
  char c;
  ASSERT_EQ(read(grown[0], &c, 1), 1);
  ASSERT_EQ(tracer.stop(), 0) << tracer.stderr_text();
  ASSERT_EQ(write(release[1], "r", 1), 1);
  EXPECT_EQ(traced.wait(), 0);
  for (int fd : {grown[0], grown[1], release[0], release[1]}) close(fd);

  const auto rss = tracer.report()["memory"]["rss"];
  auto row = find_entry(rss, {{"pid", traced.pid()}});
  ASSERT_TRUE(row) << rss.dump();
  EXPECT_EQ((*row)["running"], true);
  const uint64_t start = (*row)["rss_start_bytes"], end = (*row)["rss_end_bytes"];
  ASSERT_GT(end, start);
  // Besides the 32 MiB: the code the workload runs after go() is mapped on first use, 16 pages
  // per fault (fault-around), and the pages of the forked test binary it writes are copied:
  // measured 0.7 MiB on 6.18, 2.0-2.2 MiB on 6.1 (its raw and classic rungs under qemu). A
  // reading taken at the wrong time, or of another process, is off by the 32 MiB itself.
  EXPECT_GE(end - start, uint64_t{kGrowth});
  EXPECT_LT(end - start, uint64_t{kGrowth} + (4 << 20));
}

// Each attach type the family can fall back to, offered alone: the same exact counts.
class MemoryFallbackTest : public ::testing::TestWithParam<std::pair<AttachType, std::string>> {};

TEST_P(MemoryFallbackTest, CountsFaultsAndReclaimOnEachAttachType) {
  const auto& [type, name] = GetParam();
  constexpr long kPages = 512, kLimit = 32 << 20;
  TestCgroup target("pt-memfb-target");
  target.set_memory_limit(kLimit);
  // One process touches 2 MiB and exits; then another outgrows the limit in the same cgroup.
  Workload toucher(target, [] { return touch_anon_pages(kPages); });
  Workload grower(target, outgrow_limit);
  turn_off_swap(grower.pid());
  int toucher_status = -1;
  const auto trace = trace_with_only(type, target.v2().string(), {"fileio"}, [&] {
    toucher.go();
    toucher_status = toucher.wait();
    grower.go();
  });
  const int grower_status = grower.wait();
  ASSERT_EQ(trace.exit_code, 0);
  ASSERT_EQ(toucher_status, 0);
  ASSERT_TRUE(WIFSIGNALED(grower_status) && WTERMSIG(grower_status) == SIGKILL) << grower_status;
  EXPECT_EQ(trace.diagnostic("memory")["enabled"], true) << trace.diagnostic("memory").dump();
  EXPECT_EQ(trace.diagnostic("memory")["attach"], name);

  const auto memory = trace.report()["memory"];
  auto faults = find_entry(memory["faults"], {{"pid", toucher.pid()}});
  ASSERT_TRUE(faults) << memory["faults"].dump();
  EXPECT_GE((*faults)["minor_faults"].get<uint64_t>(), uint64_t{kPages});
  EXPECT_LT((*faults)["minor_faults"].get<uint64_t>(), kPages + kFaultSlack);
  auto reclaim =
      find_entry(memory["reclaim_processes"], {{"pid", grower.pid()}, {"kind", "memcg"}});
  ASSERT_TRUE(reclaim) << memory.dump();
  EXPECT_GT((*reclaim)["total_ns"].get<uint64_t>(), 0u);
  EXPECT_FALSE(find_entry(memory["reclaim_processes"], {{"pid", toucher.pid()}}));
  ASSERT_EQ(memory["cgroups"].size(), 1u);
  EXPECT_EQ(memory["cgroups"][0]["limit_bytes"], kLimit);
}

INSTANTIATE_TEST_SUITE_P(
    Tracer, MemoryFallbackTest,
    ::testing::Values(std::pair{AttachType::kTpBtf, std::string("tp_btf")},
                      std::pair{AttachType::kRawTp, std::string("raw_tracepoint")},
                      std::pair{AttachType::kTracepoint, std::string("tracepoint")}));

}  // namespace
}  // namespace podtrace::tracer::testing
