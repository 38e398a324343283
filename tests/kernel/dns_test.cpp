// SPDX-License-Identifier: Apache-2.0
// dns_test.cpp: DNS diagnostics against the test's own dnsmasq (127.0.0.77 and ::1), with normal
// records, an NXDOMAIN name and a domain forwarded to a server that never answers. Workloads
// resolve through glibc's resolver (UDP and TCP), through getaddrinfo() with a search list, and
// with raw UDP packets as Go's resolver does; a non-target cgroup does the same and must not show.
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "dns_message.h"
#include "kernel_test_util.h"
#include "net_fixtures.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kServer4 = "127.0.0.77";
constexpr const char* kBlackhole = "127.0.0.78";

// Raw DNS over UDP, no libc resolver: what Go's pure resolver and many runtimes do.
int raw_queries(int family, const char* server, const std::string& name, uint16_t qtype, int n) {
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(53);
    inet_pton(AF_INET, server, &a->sin_addr);
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(53);
    inet_pton(AF_INET6, server, &a->sin6_addr);
    len = sizeof(*a);
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return 30;
  for (int i = 0; i < n; ++i) {
    auto q = build_dns_query(static_cast<uint16_t>(0x4000 + i), name, qtype);
    if (send(fd, q.data(), q.size(), 0) != static_cast<ssize_t>(q.size())) return 31;
    uint8_t buf[1500];
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 3000) != 1) return 32;
    ssize_t r = recv(fd, buf, sizeof(buf), 0);
    auto m = parse_dns_message({buf, static_cast<size_t>(r > 0 ? r : 0)});
    if (!m || m->id != 0x4000 + i) return 33;
  }
  close(fd);
  return 0;
}

// glibc's resolver, pointed at our server only, one attempt of one second.
int libc_queries(const std::string& name, int n, bool tcp, int expect_rcode_class) {
  struct __res_state st {};
  if (res_ninit(&st) != 0) return 40;
  st.nscount = 1;
  st.nsaddr_list[0].sin_family = AF_INET;
  st.nsaddr_list[0].sin_port = htons(53);
  inet_pton(AF_INET, kServer4, &st.nsaddr_list[0].sin_addr);
  st.retrans = 1;
  st.retry = 1;
  if (tcp) st.options |= RES_USEVC;
  for (int i = 0; i < n; ++i) {
    unsigned char answer[4096];
    int r = res_nquery(&st, name.c_str(), ns_c_in, ns_t_a, answer, sizeof(answer));
    // 0: expect an answer; 1: expect NXDOMAIN; 2: expect no answer at all.
    if (expect_rcode_class == 0 && r < 0) return 41;
    if (expect_rcode_class == 1 && !(r < 0 && st.res_h_errno == HOST_NOT_FOUND)) return 42;
    if (expect_rcode_class == 2 && !(r < 0 && st.res_h_errno == TRY_AGAIN)) return 43;
  }
  res_nclose(&st);
  return 0;
}

int resolve_everything() {
  int rc = 0;
  if ((rc = libc_queries("ok.podtrace.test", 3, false, 0))) return rc;
  if ((rc = libc_queries("api.podtrace.test", 2, true, 0))) return rc;
  if ((rc = libc_queries("missing.podtrace.test", 2, false, 1))) return rc;
  if ((rc = libc_queries("slow.blackhole.podtrace.test", 1, false, 2))) return rc;
  if ((rc = raw_queries(AF_INET, kServer4, "raw.podtrace.test", 1, 4))) return rc;
  if ((rc = raw_queries(AF_INET6, "::1", "raw6.podtrace.test", 28, 2))) return rc;
  return 0;
}

class DnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("podtrace-dns");
    // The blackhole: a bound socket nobody reads, so queries vanish without an ICMP error.
    blackhole_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(5353);
    inet_pton(AF_INET, kBlackhole, &a.sin_addr);
    ASSERT_EQ(bind(blackhole_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    dnsmasq_ = Background(
        {"dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
         "--listen-address=127.0.0.77,::1", "--port=53", "--pid-file=" + (dir_ / "pid").string(),
         "--user=root", "--cache-size=0", "--local=/podtrace.test/",
         "--address=/ok.podtrace.test/10.1.2.3", "--address=/api.podtrace.test/10.1.2.4",
         "--address=/raw.podtrace.test/10.1.2.5", "--address=/raw6.podtrace.test/::5",
         "--address=/svc.b.podtrace.test/10.1.2.6", "--address=/other.podtrace.test/10.1.2.7",
         "--server=/blackhole.podtrace.test/127.0.0.78#5353"});
    // Ready when it answers.
    for (int i = 0; i < 50; ++i) {
      if (raw_queries(AF_INET, kServer4, "ok.podtrace.test", 1, 1) == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "dnsmasq did not start";
  }
  void TearDown() override {
    dnsmasq_ = Background();
    if (blackhole_ >= 0) close(blackhole_);
    fs::remove_all(dir_);
  }
  fs::path dir_;
  int blackhole_ = -1;
  Background dnsmasq_;
};

std::optional<nlohmann::json> name_entry(const nlohmann::json& report, const std::string& name,
                                         const std::string& qtype) {
  return find_entry(report["dns"]["names"], {{"name", name}, {"qtype", qtype}});
}

TEST_F(DnsTest, ExactCountsRcodesAndTimeoutsPerNameOnlyForTarget) {
  TestCgroup target("pt-dns-target"), other("pt-dns-other");
  Workload traced(target, resolve_everything);
  Workload untraced(other, [] {
    int rc = resolve_everything();
    return rc ? rc : raw_queries(AF_INET, kServer4, "other.podtrace.test", 1, 5);
  });
  TracerProcess tracer({"--cgroup", target.v2().string(), "--disable", "fileio,cpu,process,tcp",
                        "--dns-timeout", "500ms", "--slow-threshold", "10s"});
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  ASSERT_TRUE(report.contains("dns")) << report.dump();

  auto ok = name_entry(report, "ok.podtrace.test", "A");
  ASSERT_TRUE(ok) << report["dns"].dump();
  EXPECT_EQ((*ok)["queries"], 3);
  EXPECT_EQ((*ok)["answers"], 3);
  EXPECT_EQ((*ok)["rcodes"]["NOERROR"], 3);
  EXPECT_EQ((*ok)["timeouts"], 0);
  EXPECT_EQ((*ok)["server"], "127.0.0.77:53");
  EXPECT_EQ((*ok)["transport"], "udp");
  EXPECT_EQ((*ok)["latency"]["count"], 3);

  auto api = name_entry(report, "api.podtrace.test", "A");
  ASSERT_TRUE(api);
  EXPECT_EQ((*api)["queries"], 2);
  EXPECT_EQ((*api)["answers"], 2);
  EXPECT_EQ((*api)["transport"], "tcp");

  auto missing = name_entry(report, "missing.podtrace.test", "A");
  ASSERT_TRUE(missing);
  EXPECT_EQ((*missing)["queries"], 2);
  EXPECT_EQ((*missing)["rcodes"]["NXDOMAIN"], 2);
  EXPECT_FALSE((*missing)["rcodes"].contains("NOERROR"));

  auto slow = name_entry(report, "slow.blackhole.podtrace.test", "A");
  ASSERT_TRUE(slow);
  EXPECT_EQ((*slow)["queries"], 1);
  EXPECT_EQ((*slow)["answers"], 0);
  EXPECT_EQ((*slow)["timeouts"], 1);
  const auto timeouts = tracer.events("dns", "timeout");
  ASSERT_EQ(timeouts.size(), 1u);
  EXPECT_EQ(timeouts[0]["name"], "slow.blackhole.podtrace.test");
  EXPECT_EQ(timeouts[0]["pid"], traced.pid());

  auto raw = name_entry(report, "raw.podtrace.test", "A");
  ASSERT_TRUE(raw);
  EXPECT_EQ((*raw)["queries"], 4);
  EXPECT_EQ((*raw)["rcodes"]["NOERROR"], 4);
  auto raw6 = name_entry(report, "raw6.podtrace.test", "AAAA");
  ASSERT_TRUE(raw6);
  EXPECT_EQ((*raw6)["queries"], 2);
  EXPECT_EQ((*raw6)["answers"], 2);
  EXPECT_EQ((*raw6)["server"], "[::1]:53");

  // The non-target cgroup's queries: none of its unique name, and no extra counts above.
  EXPECT_FALSE(name_entry(report, "other.podtrace.test", "A"));
  EXPECT_EQ(report["dns"]["queries"], 14);
  EXPECT_EQ(report["dns"]["timeouts"], 1);
}

// A target that sends its queries and exits before any answer (or timeout) leaves them
// unanswered: the report counts them and says so, instead of showing 2 queries and 0 answers.
TEST_F(DnsTest, QueriesTheTargetGaveUpOnAreUnansweredAndAFinding) {
  TestCgroup target("pt-dns-gaveup");
  Workload traced(target, [] {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(53);
    inet_pton(AF_INET, kServer4, &a.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return 30;
    for (uint16_t id = 0x5000; id < 0x5002; ++id) {
      auto q = build_dns_query(id, "gone.blackhole.podtrace.test", 1);
      if (send(fd, q.data(), q.size(), 0) != static_cast<ssize_t>(q.size())) return 31;
    }
    return 0;  // exits without waiting
  });
  TracerProcess tracer({"--cgroup", target.v2().string(), "--disable", "fileio,cpu,process,tcp",
                        "--dns-timeout", "30s"});
  ASSERT_EQ(run_under_tracer(tracer, {&traced}), std::vector<int>({0}));
  const auto report = tracer.report();
  auto gone = name_entry(report, "gone.blackhole.podtrace.test", "A");
  ASSERT_TRUE(gone) << report["dns"].dump();
  EXPECT_EQ((*gone)["queries"], 2);
  EXPECT_EQ((*gone)["answers"], 0);
  EXPECT_EQ((*gone)["timeouts"], 0);
  EXPECT_EQ((*gone)["unanswered"], 2);
  EXPECT_EQ(report["dns"]["unanswered"], 2);
  bool found = false;
  for (const auto& f : report["findings"])
    found = found || f["title"] ==
                         "2 DNS queries for gone.blackhole.podtrace.test A were still "
                         "unanswered when the trace ended";
  EXPECT_TRUE(found) << report["findings"].dump();
}

TEST_F(DnsTest, GetaddrinfoShowsSearchListExpansion) {
  // ndots:5 and two search domains: "svc" is tried as svc.a.podtrace.test (NXDOMAIN), then
  // svc.b.podtrace.test (found): two queries for each call the application makes.
  const fs::path resolv = dir_ / "resolv.conf";
  std::ofstream(resolv) << "nameserver 127.0.0.77\nsearch a.podtrace.test b.podtrace.test\n"
                           "options ndots:5 timeout:1 attempts:1\n";
  TestCgroup target("pt-gai-target");
  Workload traced(target, [&] {
    // A private mount namespace with our resolv.conf, as a container image has its own.
    if (unshare(CLONE_NEWNS) != 0) return 50;
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 51;
    if (mount(resolv.c_str(), "/etc/resolv.conf", nullptr, MS_BIND, nullptr) != 0) return 52;
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    for (int i = 0; i < 3; ++i) {
      addrinfo* res = nullptr;
      if (getaddrinfo("svc", nullptr, &hints, &res) != 0) return 53;
      freeaddrinfo(res);
    }
    addrinfo* res = nullptr;
    if (getaddrinfo("nothere", nullptr, &hints, &res) == 0) return 54;
    return 0;
  });
  TracerProcess tracer({"--cgroup", target.v2().string(), "--disable", "fileio,cpu,process,tcp"});
  ASSERT_EQ(run_under_tracer(tracer, {&traced}), std::vector<int>({0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  ASSERT_TRUE(report.contains("dns")) << report.dump();
  auto svc = find_entry(report["dns"]["lookups"], {{"host", "svc"}});
  ASSERT_TRUE(svc) << report["dns"].dump();
  EXPECT_EQ((*svc)["calls"], 3);
  EXPECT_EQ((*svc)["failures"], 0);
  EXPECT_EQ((*svc)["queries"], 6);
  auto a = name_entry(report, "svc.a.podtrace.test", "A");
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)["rcodes"]["NXDOMAIN"], 3);
  auto b = name_entry(report, "svc.b.podtrace.test", "A");
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)["rcodes"]["NOERROR"], 3);
  auto nothere = find_entry(report["dns"]["lookups"], {{"host", "nothere"}});
  ASSERT_TRUE(nothere);
  EXPECT_EQ((*nothere)["calls"], 1);
  EXPECT_EQ((*nothere)["failures"], 1);
  EXPECT_EQ((*nothere)["queries"], 3);  // two search domains, then the name as given
  const auto failed = tracer.events("dns", "getaddrinfo_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["host"], "nothere");
  EXPECT_EQ(failed[0]["pid"], traced.pid());
}

}  // namespace
}  // namespace podtrace::tracer::testing
