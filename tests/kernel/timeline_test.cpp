// SPDX-License-Identifier: Apache-2.0
// timeline_test.cpp: a workload with known bursts between quiet seconds (500 fsyncs, then 30
// connects refused by a closed loopback port, then two children), and the timeline finds each
// in the seconds it happened, with the exact counts; the same workload in another cgroup adds
// nothing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <set>

#include "kernel_test_util.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kFsyncs = 500;
constexpr int kRefused = 30;

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// When each burst ran, written by the workload into shared memory.
struct Marks {
  uint64_t fsync_from, fsync_to, connect_from, connect_to;
};

int burst_workload(const fs::path& file, uint16_t closed_port, Marks* marks) {
  const int fd = open(file.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) return 10;
  usleep(2'200'000);
  marks->fsync_from = monotonic_ns();
  for (int i = 0; i < kFsyncs; ++i)
    if (fsync(fd) != 0) return 11;
  marks->fsync_to = monotonic_ns();
  close(fd);
  usleep(1'600'000);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(closed_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  marks->connect_from = monotonic_ns();
  for (int i = 0; i < kRefused; ++i) {
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return 12;
    const bool refused =
        connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 && errno == ECONNREFUSED;
    close(s);
    if (!refused) return 13;
  }
  marks->connect_to = monotonic_ns();
  usleep(1'600'000);
  // Two children: one exec's /bin/true, one exits 3 without exec.
  const pid_t a = fork();
  if (a == 0) {
    execl("/bin/true", "/bin/true", "timeline-child", nullptr);
    _exit(127);
  }
  const pid_t b = fork();
  if (b == 0) _exit(3);
  int status = 0;
  if (a < 0 || b < 0 || waitpid(a, &status, 0) != a || status != 0) return 14;
  if (waitpid(b, &status, 0) != b || WEXITSTATUS(status) != 3) return 15;
  return 0;
}

// The points whose span (previous end, end] overlaps [from, to] (offsets from the trace's
// start), with `slack` for the time the tracer takes to read the kernel's maps at each end.
std::set<size_t> points_over(const std::vector<uint64_t>& ends, uint64_t from, uint64_t to,
                             uint64_t slack) {
  std::set<size_t> out;
  uint64_t begin = 0;
  for (size_t i = 0; i < ends.size(); ++i) {
    if (from <= ends[i] + slack && to + slack >= begin) out.insert(i);
    begin = ends[i];
  }
  return out;
}

const nlohmann::json* find_series(const nlohmann::json& t, const std::string& family,
                                  const std::string& name) {
  for (const auto& s : t["series"])
    if (s["family"] == family && s["name"] == name) return &s;
  return nullptr;
}

std::set<size_t> nonzero(const nlohmann::json& values) {
  std::set<size_t> out;
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].get<uint64_t>()) out.insert(i);
  return out;
}

uint64_t sum(const nlohmann::json& values) {
  uint64_t n = 0;
  for (const auto& v : values) n += v.get<uint64_t>();
  return n;
}

TEST(TimelineTest, FindsTheFsyncBurstTheReconnectStormAndTheChildrenInTheirSeconds) {
  const fs::path dir = make_temp_dir("podtrace-timeline");
  // Bound, never listening: connects to it are refused, and nothing else can take the port.
  const int holder = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const uint16_t port = ntohs(addr.sin_port);
  auto* marks = static_cast<Marks*>(
      mmap(nullptr, 2 * sizeof(Marks), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(marks, MAP_FAILED);

  TestCgroup target("pt-timeline-target"), other("pt-timeline-other");
  Workload traced(target, [&] { return burst_workload(dir / "target.dat", port, &marks[0]); });
  Workload untraced(other, [&] { return burst_workload(dir / "other.dat", port, &marks[1]); });
  TracerProcess tracer({"--cgroup", target.v2().string(), "--slow-threshold", "10s"});
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  close(holder);
  fs::remove_all(dir);

  const auto report = tracer.report();
  const auto& t = report["timeline"];
  ASSERT_TRUE(t.is_object()) << report.dump();
  EXPECT_EQ(t["interval_ns"], 1'000'000'000u);
  const auto ends = t["point_ends_ns"].get<std::vector<uint64_t>>();
  const uint64_t start = t["monotonic_start_ns"];
  ASSERT_GE(ends.size(), 6u) << t["point_ends_ns"].dump() << ", workload from "
                             << marks[0].fsync_from - start - 2'200'000'000 << " ns";
  constexpr uint64_t kSlack = 50'000'000;
  const Marks& m = marks[0];

  // 500 fsyncs, all in the point(s) the burst ran in, none from the other cgroup.
  const auto* fsync = find_series(t, "fileio", "fsync");
  ASSERT_TRUE(fsync) << t["series"].dump();
  EXPECT_EQ((*fsync)["total"], kFsyncs);
  EXPECT_EQ(sum((*fsync)["values"]), uint64_t{kFsyncs});
  const auto fsync_points = nonzero((*fsync)["values"]);
  const auto expected_fsync = points_over(ends, m.fsync_from - start, m.fsync_to - start, kSlack);
  ASSERT_FALSE(fsync_points.empty());
  for (size_t p : fsync_points)
    EXPECT_TRUE(expected_fsync.count(p))
        << "fsyncs in point " << p << ", ran at " << (m.fsync_from - start) << " ns";
  // ... and named as one burst over exactly those seconds.
  const nlohmann::json* burst = nullptr;
  for (const auto& b : t["bursts"])
    if (b["family"] == "fileio" && b["series"] == "fsync" && b["metric"] == "rate") burst = &b;
  ASSERT_TRUE(burst) << t["bursts"].dump();
  EXPECT_EQ((*burst)["start_s"], *fsync_points.begin());
  EXPECT_EQ((*burst)["end_s"], *fsync_points.rbegin() + 1);
  EXPECT_EQ((*burst)["total"], kFsyncs);
  EXPECT_EQ((*burst)["median"], 0);
  EXPECT_NE((*burst)["title"].get<std::string>().find("fileio fsync burst at"), std::string::npos);

  // 30 refused connects to the closed port: a reconnect storm, in its own second(s).
  const nlohmann::json* storm = nullptr;
  for (const auto& c : t["connections"])
    if (c["address"] == "127.0.0.1" && c["port"] == port) storm = &c;
  ASSERT_TRUE(storm) << t["connections"].dump();
  EXPECT_EQ((*storm)["direction"], "outbound");
  EXPECT_EQ((*storm)["pattern"], "reconnect storm");
  EXPECT_EQ((*storm)["failures"], kRefused);
  EXPECT_EQ((*storm)["connects"], 0);
  EXPECT_EQ(sum((*storm)["failure_values"]), uint64_t{kRefused});
  const auto expected_connect =
      points_over(ends, m.connect_from - start, m.connect_to - start, kSlack);
  for (size_t p : nonzero((*storm)["failure_values"]))
    EXPECT_TRUE(expected_connect.count(p)) << "refusals in point " << p;
  const auto* failures = find_series(t, "tcp", "connect failures");
  ASSERT_TRUE(failures);
  EXPECT_EQ((*failures)["total"], kRefused);

  // The workload, its two children, how they ended; the other cgroup's processes are absent.
  const auto& procs = t["processes"];
  auto proc = find_entry(procs, {{"pid", traced.pid()}});
  ASSERT_TRUE(proc) << procs.dump();
  EXPECT_EQ((*proc)["children"], 2);
  EXPECT_TRUE((*proc)["started_before"]);
  EXPECT_TRUE((*proc)["exited"]);
  EXPECT_EQ((*proc)["exit_code"], 0);
  size_t children = 0;
  for (const auto& p : procs) {
    EXPECT_NE(p["pid"], untraced.pid());
    EXPECT_NE(p["ppid"], untraced.pid());
    if (p["ppid"] != traced.pid()) continue;
    ++children;
    EXPECT_FALSE(p["started_before"]);
    EXPECT_TRUE(p["exited"]);
    EXPECT_GE(p["start_ns"].get<uint64_t>(), m.connect_to - start);
    if (p["execs"].empty()) {
      EXPECT_EQ(p["exit_code"], 3);
    } else {
      ASSERT_EQ(p["execs"].size(), 1u);
      EXPECT_EQ(p["execs"][0]["argv"], nlohmann::json::array({"/bin/true", "timeline-child"}));
      EXPECT_EQ(p["comm"], "true");
      EXPECT_EQ(p["exit_code"], 0);
    }
  }
  EXPECT_EQ(children, 2u);
  munmap(marks, 2 * sizeof(Marks));
}

}  // namespace
}  // namespace podtrace::tracer::testing
