// SPDX-License-Identifier: Apache-2.0
// tcp_test.cpp: TCP per-endpoint diagnostics against a real echo server behind a veth pair, with
// a 50 ms NFQUEUE delay line, random loss and a closed port, and a non-target cgroup that must
// not appear.
#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "kernel_features.h"
#include "kernel_test_util.h"
#include "net_fixtures.h"
#include "probe_config.h"
#include "probes/tcp_probe.h"

namespace podtrace::tracer::testing {
namespace {

constexpr uint16_t kEchoPort = 8080;
constexpr uint16_t kClosedPort = 8081;
constexpr uint16_t kOtherClosedPort = 8082;

const std::vector<std::string> kTcpOnly = {"--disable", "fileio,cpu,process"};

std::vector<std::string> tracer_args(const TestCgroup& cg) {
  std::vector<std::string> args = {"--cgroup", cg.v2().string()};
  args.insert(args.end(), kTcpOnly.begin(), kTcpOnly.end());
  return args;
}

std::optional<nlohmann::json> endpoint(const nlohmann::json& report, const std::string& addr,
                                       int port) {
  return find_entry(report["tcp"]["endpoints"],
                    {{"address", addr}, {"port", port}, {"direction", "outbound"}});
}

void expect_near_50ms(uint64_t ns, const char* what) {
  EXPECT_GE(ns, 42'500'000u) << what;
  EXPECT_LE(ns, 57'500'000u) << what;
}

// tests/vm/run sets PODTRACE_TEST_EMULATED when the kernel runs under qemu's TCG: every packet
// then costs milliseconds of emulated work on top of the injected delay (the 6.1 VM measured a
// 61 ms mean), so there only the fastest sample is held to the upper bound, and the typical
// ones to the lower bound, which no slowness can break. Elsewhere all of them are held to both.
bool emulated() { return std::getenv("PODTRACE_TEST_EMULATED") != nullptr; }

void expect_typical_near_50ms(uint64_t ns, const char* what) {
  if (emulated())
    EXPECT_GE(ns, 42'500'000u) << what;
  else
    expect_near_50ms(ns, what);
}

class TcpTest : public ::testing::Test {
 protected:
  NetnsPair net_;
  EchoServer server_{net_, kEchoPort};
};

TEST_F(TcpTest, ConnectLatencyAndRttFollowInjectedDelayOnlyForTarget) {
  TestCgroup target("pt-tcp-target"), other("pt-tcp-other");
  // Every packet the server sends (SYN-ACK, echoes) waits 50 ms: connect and RTT become ~50 ms.
  DelayLine delay(net_, {"-p", "tcp", "--sport", std::to_string(kEchoPort)}, 50);
  const std::string ip = net_.server_ip();
  Workload traced(target, [&] {
    net_.enter_client();
    return tcp_echo_client(ip, kEchoPort, 10, 5, 100);
  });
  Workload untraced(other, [&] {
    net_.enter_client();
    int rc = tcp_echo_client(ip, kEchoPort, 7, 5, 100);
    return rc ? rc : tcp_failing_connects(ip, kOtherClosedPort, 3, ECONNREFUSED);
  });

  TracerProcess tracer(tracer_args(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  auto ep = endpoint(report, ip, kEchoPort);
  ASSERT_TRUE(ep) << report["tcp"].dump();
  // Exactly the target's 10 connections: the other cgroup's 7 are not counted.
  EXPECT_EQ((*ep)["connects"], 10);
  EXPECT_EQ((*ep)["connect_latency"]["count"], 10);
  std::printf(
      "measured with 50 ms delay: connect mean %.2f ms p50 %.2f ms, srtt mean %.2f ms p50 %.2f ms "
      "(%d samples)\n",
      (*ep)["connect_latency"]["mean_ns"].get<double>() / 1e6,
      (*ep)["connect_latency"]["p50_ns"].get<double>() / 1e6,
      (*ep)["rtt"]["mean_ns"].get<double>() / 1e6, (*ep)["rtt"]["p50_ns"].get<double>() / 1e6,
      (*ep)["rtt"]["count"].get<int>());
  std::printf("srtt histogram: %s\n", (*ep)["rtt"]["histogram"].dump().c_str());
  expect_typical_near_50ms((*ep)["connect_latency"]["mean_ns"], "connect mean");
  expect_typical_near_50ms((*ep)["connect_latency"]["p50_ns"], "connect p50");
  EXPECT_GE((*ep)["rtt"]["count"].get<uint64_t>(), 10u);
  expect_typical_near_50ms((*ep)["rtt"]["mean_ns"], "srtt mean");
  expect_typical_near_50ms((*ep)["rtt"]["p50_ns"], "srtt p50");
  expect_near_50ms((*ep)["rtt_min_us"].get<uint64_t>() * 1000, "srtt min");
  EXPECT_EQ((*ep)["failures"]["refused"], 0);
  EXPECT_FALSE(endpoint(report, ip, kOtherClosedPort))
      << "non-target connects leaked into the report";
  // Every slow connect was streamed, with the workload's pid.
  const auto slow = tracer.events("tcp", "slow_connect");
  EXPECT_EQ(slow.size(), 10u);
  uint64_t fastest = UINT64_MAX;
  for (const auto& e : slow) {
    EXPECT_EQ(e["pid"], traced.pid());
    EXPECT_EQ(e["remote"], ip + ":" + std::to_string(kEchoPort));
    fastest = std::min(fastest, e["latency_ns"].get<uint64_t>());
  }
  expect_near_50ms(fastest, "fastest connect");
}

TEST_F(TcpTest, LossCausesRetransmits) {
  TestCgroup target("pt-tcp-loss");
  // 20% of what the client sends never reaches the server.
  const std::vector<std::string> drop = {
      "INPUT", "-p",        "tcp",    "--dport", std::to_string(kEchoPort),
      "-m",    "statistic", "--mode", "random",  "--probability",
      "0.2",   "-j",        "DROP"};
  std::vector<std::string> add = {"iptables", "-A"};
  add.insert(add.end(), drop.begin(), drop.end());
  net_.server_exec(add);
  const std::string ip = net_.server_ip();
  Workload traced(target, [&] {
    net_.enter_client();
    return tcp_echo_client(ip, kEchoPort, 3, 10, 1000);
  });
  TracerProcess tracer(tracer_args(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced}), std::vector<int>({0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  auto ep = endpoint(report, ip, kEchoPort);
  ASSERT_TRUE(ep) << report["tcp"].dump();
  EXPECT_EQ((*ep)["connects"], 3);
  const uint64_t retrans = (*ep)["retransmits"];
  EXPECT_GT(retrans, 0u);
  std::printf("measured with 20%% loss: %llu retransmits, %llu RTO events\n",
              static_cast<unsigned long long>(retrans),
              (*ep)["rto_events"].get<unsigned long long>());
  EXPECT_EQ(report["tcp"]["retransmits"], retrans);
  const auto events = tracer.events("tcp", "retransmit");
  EXPECT_EQ(events.size(), retrans);
  for (const auto& e : events) EXPECT_EQ(e["pid"], traced.pid());
}

TEST_F(TcpTest, ConnectToClosedPortCountsAsRefused) {
  TestCgroup target("pt-tcp-refused"), other("pt-tcp-refused-other");
  const std::string ip = net_.server_ip();
  Workload traced(target, [&] {
    net_.enter_client();
    return tcp_failing_connects(ip, kClosedPort, 5, ECONNREFUSED);
  });
  Workload untraced(other, [&] {
    net_.enter_client();
    return tcp_failing_connects(ip, kClosedPort, 4, ECONNREFUSED);
  });
  TracerProcess tracer(tracer_args(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  auto ep = endpoint(report, ip, kClosedPort);
  ASSERT_TRUE(ep) << report["tcp"].dump();
  EXPECT_EQ((*ep)["connects"], 0);
  EXPECT_EQ((*ep)["failures"]["refused"], 5);
  EXPECT_EQ((*ep)["failures"]["timeout"], 0);
  EXPECT_EQ((*ep)["failures"]["unreachable"], 0);
  const auto failed = tracer.events("tcp", "connect_failed");
  ASSERT_EQ(failed.size(), 5u);
  for (const auto& e : failed) {
    EXPECT_EQ(e["failure"], "refused");
    EXPECT_EQ(e["error"], "ECONNREFUSED");
    EXPECT_EQ(e["pid"], traced.pid());
  }
  bool found = false;
  for (const auto& f : report["findings"])
    if (f["family"] == "tcp" &&
        f["title"].get<std::string>().find("refused") == std::string::npos &&
        f["detail"].get<std::string>().find("5 refused") != std::string::npos)
      found = true;
  EXPECT_TRUE(found) << report["findings"].dump();
}

// The resets the pod sends when it closes: SO_LINGER {on, 0} (tcp_disconnect()) and unread data
// (__tcp_close()) both move the socket to TCP_CLOSE before the reset goes out. Only the target's
// count.
TEST_F(TcpTest, ResetsSentOnCloseCountOnlyForTarget) {
  TestCgroup target("pt-tcp-rst"), other("pt-tcp-rst-other");
  const std::string ip = net_.server_ip();
  Workload traced(target, [&] {
    net_.enter_client();
    return tcp_resetting_closes(ip, kEchoPort, 2, 3);
  });
  Workload untraced(other, [&] {
    net_.enter_client();
    return tcp_resetting_closes(ip, kEchoPort, 4, 1);
  });
  TracerProcess tracer(tracer_args(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  auto ep = endpoint(report, ip, kEchoPort);
  ASSERT_TRUE(ep) << report["tcp"].dump();
  EXPECT_EQ((*ep)["connects"], 5);
  EXPECT_EQ((*ep)["resets_sent"], 5) << ep->dump();
  EXPECT_EQ((*ep)["resets_received"], 0);
  const auto sent = tracer.events("tcp", "reset_sent");
  EXPECT_EQ(sent.size(), 5u);
  for (const auto& e : sent) {
    EXPECT_EQ(e["pid"], traced.pid());
    EXPECT_EQ(e["remote"], ip + ":" + std::to_string(kEchoPort));
  }
}

// A cgroup that leaves the target (a restarted container's) takes its sockops link, and so its
// sockets' close callbacks, with it: the entries of its sockets still open go at the retarget,
// and only theirs. The probe runs in the test process, which reads its per-socket map.
TEST_F(TcpTest, SocketsOfCgroupsNoLongerTracedAreForgotten) {
  TestCgroup target("pt-tcp-forget"), other("pt-tcp-forget-other");
  LiveKernelFeatures live;
  TcpProbe probe;
  auto started = probe.start(probe_config(target, live));
  ASSERT_TRUE(started) << started.error();
  // Three connections held open until the test's byte, then closed.
  int connected[2], release[2];
  ASSERT_EQ(pipe(connected), 0);
  ASSERT_EQ(pipe(release), 0);
  const std::string ip = net_.server_ip();
  Workload holder(target, [&] {
    net_.enter_client();
    int socks[3];
    for (int& fd : socks) {
      fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(kEchoPort);
      inet_pton(AF_INET, ip.c_str(), &to.sin_addr);
      if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) return 1;
    }
    char byte = 1;
    if (write(connected[1], &byte, 1) != 1 || read(release[0], &byte, 1) != 1) return 2;
    for (int fd : socks) close(fd);
    return 0;
  });
  // The child has its copies: a child that fails before its byte leaves read() at end of file.
  close(connected[1]);
  close(release[0]);
  holder.go();
  char byte = 0;
  ASSERT_EQ(read(connected[0], &byte, 1), 1);
  EXPECT_EQ(bpf_map_keys(getpid(), "tcp_socks").size(), 3u);
  probe.set_targets({target.id(), other.id()});  // still traced: nothing goes
  EXPECT_EQ(bpf_map_keys(getpid(), "tcp_socks").size(), 3u);
  probe.set_targets({other.id()});
  EXPECT_EQ(bpf_map_keys(getpid(), "tcp_socks").size(), 0u);
  ASSERT_EQ(write(release[1], &byte, 1), 1);
  EXPECT_EQ(holder.wait(), 0);
  for (int fd : {connected[0], release[1]}) close(fd);
  EXPECT_EQ(probe.lost().map_full, 0u);
}

}  // namespace
}  // namespace podtrace::tracer::testing
