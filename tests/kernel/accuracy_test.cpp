// SPDX-License-Identifier: Apache-2.0
// accuracy_test.cpp: the diagnosis against faults of a known size. Each test injects one fault
// (a slow DNS server, a closed port, a delayed network path, packet loss, a CPU quota, a held
// mutex, a slow fsync), traces the workload with every family on, as a user would, and checks
// that the fault is the report's first finding and that the figure it measured is within 10% of
// what was injected. Each prints one "ACCURACY|…" line; scripts/accuracy-table collects them
// into docs/accuracy.md. The slow query is in db_test.cpp, next to its servers.
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <sstream>
#include <thread>

#include "accuracy_util.h"
#include "kernel_test_util.h"
#include "net_fixtures.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;

constexpr uint16_t kEchoPort = 8080;
constexpr uint16_t kClosedPort = 8081;

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000ull + ts.tv_nsec;
}

void sleep_ns(uint64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// Every family on: the fault has to stand out from everything else the tracer sees.
std::vector<std::string> all_families(const TestCgroup& cg) {
  return {"--cgroup", cg.v2().string()};
}

// ---- DNS: a resolver whose answers wait 200 ms on the way back ----

constexpr int kDnsDelayMs = 200;
constexpr int kDnsQueries = 5;

// glibc's resolver, pointed at `server` only, one attempt with a timeout well above the delay.
int resolve_n(const std::string& server, const char* name, int n) {
  struct __res_state st {};
  if (res_ninit(&st) != 0) return 40;
  st.nscount = 1;
  st.nsaddr_list[0].sin_family = AF_INET;
  st.nsaddr_list[0].sin_port = htons(53);
  inet_pton(AF_INET, server.c_str(), &st.nsaddr_list[0].sin_addr);
  st.retrans = 3;
  st.retry = 1;
  for (int i = 0; i < n; ++i) {
    unsigned char answer[4096];
    if (res_nquery(&st, name, ns_c_in, ns_t_a, answer, sizeof(answer)) < 0) return 41;
  }
  res_nclose(&st);
  return 0;
}

TEST(Accuracy, DnsDelay) {
  NetnsPair net;
  const fs::path dir = make_temp_dir("podtrace-acc-dns");
  Background dnsmasq({"ip", "netns", "exec", net.server_ns(), "dnsmasq", "--keep-in-foreground",
                      "--no-resolv", "--no-hosts", "--bind-interfaces",
                      "--listen-address=" + net.server_ip(), "--port=53",
                      "--pid-file=" + (dir / "pid").string(), "--user=root", "--cache-size=0",
                      "--local=/podtrace.test/", "--address=/api.podtrace.test/10.1.2.3"});
  const std::string server = net.server_ip();
  // Ready when it answers, before the delay line is in place.
  bool ready = false;
  for (int i = 0; i < 50 && !ready; ++i) {
    Workload probe([&] { net.enter_client(); },
                   [&] { return resolve_n(server, "api.podtrace.test", 1); });
    probe.go();
    ready = probe.wait() == 0;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(ready) << "dnsmasq did not answer";
  DelayLine delay(net, {"-p", "udp", "--sport", "53"}, kDnsDelayMs);

  TestCgroup target("pt-acc-dns");
  Workload traced(target, [&] {
    net.enter_client();
    return resolve_n(server, "api.podtrace.test", kDnsQueries);
  });
  TracerProcess tracer(all_families(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced}), std::vector<int>({0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  auto name = find_entry(report["dns"]["names"], {{"name", "api.podtrace.test"}, {"qtype", "A"}});
  ASSERT_TRUE(name) << report["dns"].dump();
  EXPECT_EQ((*name)["queries"], kDnsQueries);
  const double measured_ms = (*name)["latency"]["mean_ns"].get<double>() / 1e6;
  check_accuracy(report, {"dns_delay", "DNS answer latency (mean)", kDnsDelayMs, measured_ms, "ms",
                          "dns", "slow DNS for api.podtrace.test"});
  fs::remove_all(dir);
}

// ---- A closed port: every connect refused ----

constexpr int kRefusedConnects = 20;

TEST(Accuracy, ClosedPort) {
  NetnsPair net;
  TestCgroup target("pt-acc-refused");
  const std::string ip = net.server_ip();
  Workload traced(target, [&] {
    net.enter_client();
    return tcp_failing_connects(ip, kClosedPort, kRefusedConnects, ECONNREFUSED);
  });
  TracerProcess tracer(all_families(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced}), std::vector<int>({0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  auto ep = find_entry(report["tcp"]["endpoints"],
                       {{"address", ip}, {"port", kClosedPort}, {"direction", "outbound"}});
  ASSERT_TRUE(ep) << report["tcp"].dump();
  check_accuracy(report, {"closed_port", "refused connects (count)", kRefusedConnects,
                          (*ep)["failures"]["refused"].get<double>(), "connects", "tcp",
                          fmt::format("{} of {} connects to {}:{} failed", kRefusedConnects,
                                      kRefusedConnects, ip, kClosedPort)});
}

// ---- A network delay: every packet from the server waits 150 ms ----

constexpr int kNetDelayMs = 150;

TEST(Accuracy, NetworkDelay) {
  NetnsPair net;
  EchoServer server(net, kEchoPort);
  DelayLine delay(net, {"-p", "tcp", "--sport", std::to_string(kEchoPort)}, kNetDelayMs);
  TestCgroup target("pt-acc-delay");
  const std::string ip = net.server_ip();
  Workload traced(target, [&] {
    net.enter_client();
    return tcp_echo_client(ip, kEchoPort, 2, 4, 100);
  });
  TracerProcess tracer(all_families(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced}), std::vector<int>({0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  auto ep = find_entry(report["tcp"]["endpoints"],
                       {{"address", ip}, {"port", kEchoPort}, {"direction", "outbound"}});
  ASSERT_TRUE(ep) << report["tcp"].dump();
  check_accuracy(report, {"network_delay", "smoothed RTT (mean)", kNetDelayMs,
                          (*ep)["rtt"]["mean_ns"].get<double>() / 1e6, "ms", "tcp",
                          fmt::format("slow TCP connects to {}:{}", ip, kEchoPort)});
}

// ---- Packet loss: every fourth data segment the client sends is dropped ----

// The DROP rule's packet counter: what was really lost.
uint64_t dropped_packets(const NetnsPair& net) {
  auto r = run_command(
      {"ip", "netns", "exec", net.server_ns(), "iptables", "-L", "INPUT", "-v", "-x", "-n"});
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line))
    if (line.find("DROP") != std::string::npos) return std::stoull(line);
  return 0;
}

TEST(Accuracy, PacketLoss) {
  NetnsPair net;
  EchoServer server(net, kEchoPort);
  // Only segments that carry data (pure ACKs and SYNs are under 100 bytes): each loss is one
  // segment the client must send again, so retransmits should equal drops. `nth` keeps the
  // number of losses the same in every run.
  net.server_exec({"iptables",
                   "-A",
                   "INPUT",
                   "-p",
                   "tcp",
                   "--dport",
                   std::to_string(kEchoPort),
                   "-m",
                   "length",
                   "--length",
                   "100:65535",
                   "-m",
                   "statistic",
                   "--mode",
                   "nth",
                   "--every",
                   "4",
                   "--packet",
                   "0",
                   "-j",
                   "DROP"});
  TestCgroup target("pt-acc-loss");
  const std::string ip = net.server_ip();
  Workload traced(target, [&] {
    net.enter_client();
    return tcp_echo_client(ip, kEchoPort, 2, 20, 1000);
  });
  TracerProcess tracer(all_families(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced}), std::vector<int>({0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  auto ep = find_entry(report["tcp"]["endpoints"],
                       {{"address", ip}, {"port", kEchoPort}, {"direction", "outbound"}});
  ASSERT_TRUE(ep) << report["tcp"].dump();
  const uint64_t dropped = dropped_packets(net);
  ASSERT_GT(dropped, 0u);
  check_accuracy(
      report, {"packet_loss", "retransmits (count) vs segments dropped",
               static_cast<double>(dropped), (*ep)["retransmits"].get<double>(), "segments", "tcp",
               fmt::format("{} retransmits to {}:{}", (*ep)["retransmits"].get<uint64_t>(), ip,
                           kEchoPort)});
}

// ---- A CPU quota squeeze: a hog that wants a whole CPU gets 20% of one ----

TEST(Accuracy, CpuQuota) {
  constexpr long kQuotaUs = 20'000, kPeriodUs = 100'000;
  TestCgroup target("pt-acc-cpu");
  target.set_cpu_quota(kQuotaUs, kPeriodUs);
  Workload hog(target, [] {
    const uint64_t end = now_ns() + 1'500'000'000;
    volatile uint64_t x = 0;
    while (now_ns() < end) x = x + 1;
    return 0;
  });
  TracerProcess tracer(all_families(target));
  ASSERT_EQ(run_under_tracer(tracer, {&hog}), std::vector<int>({0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  // The share of its time the hog was held back: runnable but not running, which is where the
  // throttled time of a thread goes.
  auto thread = find_entry(report["cpu"]["threads"], {{"tid", hog.pid()}});
  ASSERT_TRUE(thread) << report["cpu"].dump();
  const double on = (*thread)["on_cpu_ns"].get<double>();
  const double waiting = (*thread)["run_queue_ns"].get<double>();
  const double expected = 100.0 * (1.0 - static_cast<double>(kQuotaUs) / kPeriodUs);
  check_accuracy(report, {"cpu_quota", "share of the hog's time held back (%)", expected,
                          100.0 * waiting / (on + waiting), "%", "cpu", "CPU throttled in "});
}

// ---- Mutex contention: one thread holds a mutex 200 ms at a time, another waits for it ----

constexpr int kHolds = 5;
constexpr uint64_t kHoldNs = 200'000'000;

pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;

int hold_and_wait() {
  std::atomic<int> held{0}, acquired{0};
  std::thread holder([&] {
    for (int i = 1; i <= kHolds; ++i) {
      pthread_mutex_lock(&g_mutex);
      held = i;
      sleep_ns(kHoldNs);
      pthread_mutex_unlock(&g_mutex);
      while (acquired.load() != i) sched_yield();
    }
  });
  for (int i = 1; i <= kHolds; ++i) {
    while (held.load() != i) sched_yield();
    pthread_mutex_lock(&g_mutex);  // waits out the rest of the hold
    acquired = i;
    pthread_mutex_unlock(&g_mutex);
  }
  holder.join();
  return 0;
}

TEST(Accuracy, MutexContention) {
  TestCgroup target("pt-acc-mutex");
  Workload traced(target, hold_and_wait);
  TracerProcess tracer(all_families(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced}), std::vector<int>({0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  const std::string addr = fmt::format("{:#x}", reinterpret_cast<uintptr_t>(&g_mutex));
  auto lock = find_entry(report["locks"]["locks"],
                         {{"kind", "mutex"}, {"addr", addr}, {"pid", traced.pid()}});
  ASSERT_TRUE(lock) << report["locks"].dump();
  EXPECT_EQ((*lock)["waits"], kHolds);
  check_accuracy(report,
                 {"mutex_contention", "time waited on the mutex (total)", kHolds * kHoldNs / 1e6,
                  (*lock)["total_ns"].get<double>() / 1e6, "ms", "locks",
                  fmt::format("contended mutex {} in pid {}", addr, traced.pid())});
}

// ---- Slow fsync: a FUSE file whose fsync takes 200 ms ----

constexpr int kFsyncDelayMs = 200;
constexpr int kFsyncs = 5;

// The FUSE filesystem of tests/tools/slow_fsync_fs.c, mounted for the test's lifetime.
class SlowFsyncMount {
 public:
  explicit SlowFsyncMount(const fs::path& dir) : mnt_(dir / "mnt") {
    fs::create_directory(mnt_);
    fs_ = Background({helper_path("PODTRACE_SLOW_FSYNC_FS", "slow_fsync_fs"), mnt_.string(),
                      std::to_string(kFsyncDelayMs)},
                     true);
  }
  ~SlowFsyncMount() {
    fs_ = Background();  // the daemon is killed first: a lazy unmount then cannot hang
    umount2(mnt_.c_str(), MNT_DETACH);
  }
  fs::path file() const { return mnt_ / "data"; }

 private:
  fs::path mnt_;
  Background fs_;
};

TEST(Accuracy, SlowFsync) {
  const fs::path dir = make_temp_dir("podtrace-acc-fsync");
  {
    SlowFsyncMount mount(dir);
    const std::string path = mount.file().string();
    TestCgroup target("pt-acc-fsync");
    Workload traced(target, [&] {
      int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) return 60;
      char block[4096] = {};
      for (int i = 0; i < kFsyncs; ++i) {
        if (pwrite(fd, block, sizeof(block), 0) != sizeof(block)) return 61;
        if (fsync(fd) != 0) return 62;
      }
      close(fd);
      return 0;
    });
    TracerProcess tracer(all_families(target));
    ASSERT_EQ(run_under_tracer(tracer, {&traced}), std::vector<int>({0}));
    ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
    const auto report = tracer.report();
    auto op = find_entry(report["fileio"]["ops"], {{"op", "fsync"}});
    ASSERT_TRUE(op) << report["fileio"].dump();
    EXPECT_EQ((*op)["count"], kFsyncs);
    check_accuracy(report, {"slow_fsync", "fsync latency (mean)", kFsyncDelayMs,
                            (*op)["latency"]["mean_ns"].get<double>() / 1e6, "ms", "fileio",
                            "slow fsync: p99 "});
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace podtrace::tracer::testing
