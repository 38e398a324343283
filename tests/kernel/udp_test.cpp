// SPDX-License-Identifier: Apache-2.0
// udp_test.cpp: UDP bytes, packets and errors per remote endpoint and packet drops with the
// kernel's drop reason, from workloads on loopback with a real UDP server, a closed port and a
// receiver whose tiny buffer the test floods; a non-target cgroup's traffic must not appear.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "kernel_test_util.h"
#include "net_fixtures.h"

namespace podtrace::tracer::testing {
namespace {

const std::vector<std::string> kUdpOnly = {"--disable", "fileio,cpu,process,tcp,dns"};

std::vector<std::string> tracer_args(const TestCgroup& cg) {
  std::vector<std::string> args = {"--cgroup", cg.v2().string()};
  args.insert(args.end(), kUdpOnly.begin(), kUdpOnly.end());
  return args;
}

// Closes on destruction.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A UDP socket bound to 127.0.0.1 on a free port; returns the port.
uint16_t bind_loopback(int fd) {
  auto a = loopback(0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) throw std::runtime_error("bind");
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// A port with nothing bound to it (bound once, then released).
uint16_t closed_port() {
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  return bind_loopback(s.fd);
}

void set_timeout(int fd, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

constexpr size_t kReplySize = 40;

// A UDP server on 127.0.0.1 in the test's own cgroup (not a target): answers every datagram
// that starts with 'R' with kReplySize bytes and ignores the others. Killed on destruction.
class UdpServer {
 public:
  UdpServer() {
    Fd s(socket(AF_INET, SOCK_DGRAM, 0));
    port_ = bind_loopback(s.fd);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      char buf[2048], reply[kReplySize];
      std::memset(reply, 'r', sizeof(reply));
      for (;;) {
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(s.fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0 && buf[0] == 'R')
          sendto(s.fd, reply, sizeof(reply), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    }
  }
  ~UdpServer() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// `datagrams` of `size` bytes to 127.0.0.1:port over a connected socket; every other one (the
// even ones) asks for a reply, which must arrive. 0 on success.
int udp_client(uint16_t port, int datagrams, size_t size) {
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  auto a = loopback(port);
  if (connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return 2;
  set_timeout(s.fd, 2);
  std::vector<char> buf(size, 'x');
  char reply[256];
  for (int i = 0; i < datagrams; ++i) {
    buf[0] = i % 2 == 0 ? 'R' : 'N';
    if (send(s.fd, buf.data(), buf.size(), 0) != static_cast<ssize_t>(size)) return 3;
    if (i % 2 == 0 && recv(s.fd, reply, sizeof(reply), 0) != static_cast<ssize_t>(kReplySize))
      return 4;
  }
  return 0;
}

// `n` datagrams to a closed port over a connected socket; each must come back as ECONNREFUSED
// (ICMP port unreachable). 0 on success.

// Sends n datagrams to a closed port on a connected socket; each recv() must fail with
// ECONNREFUSED. With step fds, after each send it writes a byte to `sent_fd` and waits for one on
// `seen_fd` before its recv(): the tracer reads the error's errno from the socket after the
// kernel has woken the socket's readers, so a recv() already blocked could take (and clear) the
// error first; the test then lets recv() run only once the tracer has streamed the error's event.
int udp_refused(uint16_t port, int n, size_t size, int sent_fd = -1, int seen_fd = -1) {
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  auto a = loopback(port);
  if (connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return 2;
  set_timeout(s.fd, 2);
  std::vector<char> buf(size, 'x');
  char reply[64], step = 0;
  for (int i = 0; i < n; ++i) {
    if (send(s.fd, buf.data(), buf.size(), 0) != static_cast<ssize_t>(size)) return 3;
    if (sent_fd >= 0 && (write(sent_fd, &step, 1) != 1 || read(seen_fd, &step, 1) != 1)) return 5;
    if (recv(s.fd, reply, sizeof(reply), 0) != -1 || errno != ECONNREFUSED) return 4;
  }
  return 0;
}

uint64_t drops_of(const nlohmann::json& report, const std::string& reason,
                  const std::string& protocol) {
  auto d = find_entry(report["udp"]["drops"], {{"reason", reason}, {"protocol", protocol}});
  return d ? (*d)["count"].get<uint64_t>() : 0;
}

TEST(UdpTest, BytesAndPacketsPerEndpointOnlyForTarget) {
  TestCgroup target("pt-udp-target"), other("pt-udp-other");
  UdpServer server, other_server;
  const uint16_t port = server.port(), other_port = other_server.port();
  // 20 datagrams of 100 bytes; 10 of them ask for a 40-byte reply.
  Workload traced(target, [port] { return udp_client(port, 20, 100); });
  Workload untraced(other, [other_port] { return udp_client(other_port, 30, 100); });

  TracerProcess tracer(tracer_args(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  ASSERT_TRUE(report.contains("udp")) << report.dump();
  auto ep = find_entry(report["udp"]["endpoints"], {{"address", "127.0.0.1"}, {"port", port}});
  ASSERT_TRUE(ep) << report["udp"].dump();
  std::printf("udp endpoint: %s\n", ep->dump().c_str());
  EXPECT_EQ((*ep)["packets_sent"], 20);
  EXPECT_EQ((*ep)["bytes_sent"], 2000);
  EXPECT_EQ((*ep)["packets_received"], 10);
  EXPECT_EQ((*ep)["bytes_received"], 10 * kReplySize);
  EXPECT_EQ((*ep)["errors"], 0);
  // The target talked to one endpoint only: the other cgroup's 30 datagrams are not counted,
  // and neither is the server's side (it is not in the target).
  EXPECT_EQ(report["udp"]["endpoints"].size(), 1u) << report["udp"].dump();
  EXPECT_FALSE(find_entry(report["udp"]["endpoints"], {{"port", other_port}}));
  EXPECT_TRUE(report["udp"]["drops"].empty()) << report["udp"].dump();
}

TEST(UdpTest, ClosedPortCountsAsRefusedError) {
  TestCgroup target("pt-udp-refused"), other("pt-udp-refused-other");
  const uint16_t port = closed_port(), other_port = closed_port();
  int sent[2], seen[2];
  ASSERT_EQ(pipe(sent), 0);
  ASSERT_EQ(pipe(seen), 0);
  Workload traced(target, [&] { return udp_refused(port, 3, 10, sent[1], seen[0]); });
  Workload untraced(other, [other_port] { return udp_refused(other_port, 4, 10); });
  close(sent[1]);
  close(seen[0]);

  TracerProcess tracer(tracer_args(target));
  tracer.wait_for_start();
  const uint64_t target_id = target.id();
  traced.go();
  untraced.go();
  for (int i = 0; i < 3; ++i) {
    char step = 0;
    ASSERT_EQ(read(sent[0], &step, 1), 1) << "datagram " << i;
    tracer.wait_for_event("udp", "socket_error");
    ASSERT_EQ(write(seen[1], &step, 1), 1);
  }
  close(sent[0]);
  close(seen[1]);
  ASSERT_EQ(traced.wait(), 0);
  ASSERT_EQ(untraced.wait(), 0);
  ASSERT_EQ(tracer.stop(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  auto ep = find_entry(report["udp"]["endpoints"], {{"address", "127.0.0.1"}, {"port", port}});
  ASSERT_TRUE(ep) << report["udp"].dump();
  std::printf("udp endpoint: %s\n", ep->dump().c_str());
  EXPECT_EQ((*ep)["packets_sent"], 3);
  EXPECT_EQ((*ep)["bytes_sent"], 30);
  EXPECT_EQ((*ep)["errors"], 3);
  EXPECT_EQ((*ep)["last_error"], "ECONNREFUSED");
  EXPECT_FALSE(find_entry(report["udp"]["endpoints"], {{"port", other_port}}))
      << report["udp"].dump();
  bool finding = false;
  for (const auto& f : report["findings"])
    if (f["family"] == "udp" &&
        f["title"] == "3 UDP errors with 127.0.0.1:" + std::to_string(port) + ": ECONNREFUSED")
      finding = true;
  EXPECT_TRUE(finding) << report["findings"].dump();
  const auto errors = tracer.events("udp", "socket_error");
  ASSERT_EQ(errors.size(), 3u);
  for (const auto& e : errors) {
    EXPECT_EQ(e["error"], "ECONNREFUSED");
    EXPECT_EQ(e["remote"], "127.0.0.1:" + std::to_string(port));
    EXPECT_EQ(e["cgroup_id"], target_id);
  }
}

// A receiver with the smallest SO_RCVBUF in `cg`, on a port it reports through `port_pipe`; it
// reads nothing until `done_pipe` says the flood is over, then counts what it got and reports
// that count through `port_pipe`.
int tiny_receiver(int port_pipe, int done_pipe) {
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  int one = 1;
  setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
  uint16_t port = bind_loopback(s.fd);
  if (write(port_pipe, &port, sizeof(port)) != sizeof(port)) return 2;
  char c;
  if (read(done_pipe, &c, 1) != 1) return 3;
  uint32_t got = 0;
  char buf[2048];
  while (recv(s.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) ++got;
  if (write(port_pipe, &got, sizeof(got)) != sizeof(got)) return 4;
  return 0;
}

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (pipe2(fd, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) close(f);
  }
};

// Floods the receiver of `w` with `n` datagrams of `size` bytes from the test's own cgroup;
// returns how many the receiver got.
uint32_t flood(Workload& w, const Pipe& to_parent, const Pipe& done, int n, size_t size,
               uint16_t* sender_port) {
  w.go();
  uint16_t port = 0;
  if (read(to_parent.fd[0], &port, sizeof(port)) != sizeof(port))
    throw std::runtime_error("receiver port");
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  *sender_port = bind_loopback(s.fd);
  auto a = loopback(port);
  std::vector<char> buf(size, 'f');
  for (int i = 0; i < n; ++i)
    sendto(s.fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  char c = 'd';
  if (write(done.fd[1], &c, 1) != 1) throw std::runtime_error("done pipe");
  uint32_t got = 0;
  if (read(to_parent.fd[0], &got, sizeof(got)) != sizeof(got))
    throw std::runtime_error("receiver count");
  return got;
}

TEST(UdpTest, ReceiveBufferOverflowDropsWithReasonOnlyForTarget) {
  TestCgroup target("pt-udp-drops"), other("pt-udp-drops-other");
  Pipe t_up, t_done, o_up, o_done;
  Workload traced(target, [&] { return tiny_receiver(t_up.fd[1], t_done.fd[0]); });
  Workload untraced(other, [&] { return tiny_receiver(o_up.fd[1], o_done.fd[0]); });

  TracerProcess tracer(tracer_args(target));
  tracer.wait_for_start();
  constexpr int kSent = 200;
  uint16_t sender = 0, other_sender = 0;
  const uint32_t got = flood(traced, t_up, t_done, kSent, 1000, &sender);
  const uint32_t other_got = flood(untraced, o_up, o_done, kSent, 1000, &other_sender);
  ASSERT_EQ(traced.wait(), 0);
  ASSERT_EQ(untraced.wait(), 0);
  ASSERT_EQ(tracer.stop(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  std::printf("flood of %d: target received %u, other received %u; udp: %s\n", kSent, got,
              other_got, report["udp"].dump().c_str());
  ASSERT_GT(got, 0u);
  ASSERT_LT(got, static_cast<uint32_t>(kSent));
  // Every datagram the target's receiver did not get was dropped for its full buffer, and
  // the other cgroup's drops are not counted.
  EXPECT_EQ(drops_of(report, "SOCKET_RCVBUFF", "udp"), kSent - got);
  uint64_t all = 0;
  for (const auto& d : report["udp"]["drops"]) all += d["count"].get<uint64_t>();
  EXPECT_EQ(all, kSent - got);
  auto ep = find_entry(report["udp"]["endpoints"], {{"address", "127.0.0.1"}, {"port", sender}});
  ASSERT_TRUE(ep) << report["udp"].dump();
  EXPECT_EQ((*ep)["packets_received"], kSent);
  EXPECT_EQ((*ep)["bytes_received"], kSent * 1000);
  EXPECT_EQ((*ep)["receive_errors"], kSent - got);
  EXPECT_FALSE(find_entry(report["udp"]["endpoints"], {{"port", other_sender}}));
  // The flood is counted, not streamed: at most one event per reason per second.
  const auto drops = tracer.events("udp", "drop");
  ASSERT_GE(drops.size(), 1u);
  EXPECT_LE(drops.size(), 3u);
  for (const auto& e : drops) {
    EXPECT_EQ(e["reason"], "SOCKET_RCVBUFF");
    EXPECT_EQ(e["protocol"], "udp");
    EXPECT_EQ(e["remote"], "127.0.0.1:" + std::to_string(sender));  // from the dropped packet
    EXPECT_EQ(e["cgroup_id"], target.id());
  }
  bool found = false;
  for (const auto& f : report["findings"])
    if (f["title"].get<std::string>().find("SOCKET_RCVBUFF") != std::string::npos) found = true;
  EXPECT_TRUE(found) << report["findings"].dump();
}

// `n` datagrams from the client namespace to the server; each must be refused locally with
// EPERM by the iptables DROP rule. 0 on success.
int udp_to_dropping_rule(const NetnsPair& net, uint16_t port, int n) {
  net.enter_client();
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, net.server_ip().c_str(), &a.sin_addr);
  char buf[64] = {};
  for (int i = 0; i < n; ++i)
    if (sendto(s.fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != -1 ||
        errno != EPERM)
      return 2;
  return 0;
}

TEST(UdpTest, NetfilterDropOnEgressCountsWithReasonOnlyForTarget) {
  NetnsPair net;
  constexpr uint16_t kPort = 9053;
  // In the client namespace (removed with it): everything to the port is dropped on output.
  auto rc = run_command({"ip", "netns", "exec", net.client_ns(), "iptables", "-A", "OUTPUT", "-p",
                         "udp", "--dport", std::to_string(kPort), "-j", "DROP"});
  ASSERT_EQ(rc.exit_code, 0) << rc.err;
  TestCgroup target("pt-udp-nfdrop"), other("pt-udp-nfdrop-other");
  Workload traced(target, [&] { return udp_to_dropping_rule(net, kPort, 7); });
  Workload untraced(other, [&] { return udp_to_dropping_rule(net, kPort, 5); });

  TracerProcess tracer(tracer_args(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  std::printf("netfilter drops: %s\n", report["udp"].dump().c_str());
  // The sending socket owns the skb: exactly the target's 7, not the other cgroup's 5.
  EXPECT_EQ(drops_of(report, "NETFILTER_DROP", "udp"), 7u);
  ASSERT_EQ(report["udp"]["drops"].size(), 1u) << report["udp"].dump();
  // cgroup egress runs after the OUTPUT chain: the dropped datagrams were never sent.
  EXPECT_FALSE(find_entry(report["udp"]["endpoints"], {{"port", kPort}})) << report["udp"].dump();
  const auto drops = tracer.events("udp", "drop");
  ASSERT_GE(drops.size(), 1u);
  EXPECT_EQ(drops[0]["reason"], "NETFILTER_DROP");
  EXPECT_EQ(drops[0]["remote"], net.server_ip() + ":" + std::to_string(kPort));
}

}  // namespace
}  // namespace podtrace::tracer::testing
