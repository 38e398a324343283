// SPDX-License-Identifier: Apache-2.0
// net_test.cpp: pure network logic without root: the DNS parser (names, compression pointers,
// malformed packets), key-name decoding, covering cgroups, TCP endpoint aggregation, libc
// discovery, and the layout of the structs shared with the BPF side.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

#include "dns.h"
#include "dns_message.h"
#include "histogram.h"
#include "net_endpoint.h"
#include "target_libraries.h"
#include "tcp.h"

namespace podtrace::tracer {
namespace {

// The BPF side and user space must agree byte for byte.
static_assert(sizeof(tcp_endpoint) == 24);
static_assert(offsetof(tcp_endpoint, port) == 16);
static_assert(sizeof(tcp_hist_key) == 32);
static_assert(sizeof(tcp_endpoint_stats) == 20 * 8);
static_assert(offsetof(tcp_event, ep) == sizeof(pt_event_header));
static_assert(sizeof(dns_name_key) == DNS_NAME_LEN + 8);
static_assert(sizeof(dns_query_key) == 24);
static_assert(sizeof(dns_hist_key) == sizeof(dns_name_key) + 8);
static_assert(offsetof(dns_event, name) == sizeof(pt_event_header));

std::vector<uint8_t> bytes(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

TEST(DnsParser, ParsesQueryItBuilds) {
  auto q = build_dns_query(0x1234, "api.Example.com", 28);
  auto m = parse_dns_message(q);
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m->id, 0x1234);
  EXPECT_FALSE(m->response);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name, "api.example.com");
  EXPECT_EQ(m->questions[0].qtype, 28);
  EXPECT_EQ(m->questions[0].qclass, 1);
}

TEST(DnsParser, FollowsCompressionPointersInAnswers) {
  // Response: question example.com A; two answers, the second owner "www" + pointer to offset 12.
  auto m = bytes({0xab, 0xcd, 0x81, 0x83, 0,   1,   0,   2,  0, 0, 0,  0, 7,    'e', 'x', 'a',  'm',
                  'p',  'l',  'e',  3,    'c', 'o', 'm', 0,  0, 1, 0,  1, 0xc0, 12,  0,   1,    0,
                  1,    0,    0,    0,    60,  0,   4,   10, 0, 0, 1,  3, 'w',  'w', 'w', 0xc0, 12,
                  0,    1,    0,    1,    0,   0,   0,   60, 0, 4, 10, 0, 0,    2});
  auto r = parse_dns_message(m);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->response);
  EXPECT_EQ(r->rcode, 3);
  EXPECT_EQ(rcode_name(r->rcode), "NXDOMAIN");
  ASSERT_EQ(r->answer_names.size(), 2u);
  EXPECT_EQ(r->answer_names[0], "example.com");
  EXPECT_EQ(r->answer_names[1], "www.example.com");
}

TEST(DnsParser, RejectsMalformedPackets) {
  EXPECT_FALSE(parse_dns_message(bytes({0, 1, 0, 0})));  // shorter than a header
  // Label runs past the end.
  EXPECT_FALSE(parse_dns_message(bytes({0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 'a', 'b'})));
  // Pointer to itself: would loop forever if followed.
  EXPECT_FALSE(
      parse_dns_message(bytes({0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1})));
  // Forward pointer.
  EXPECT_FALSE(
      parse_dns_message(bytes({0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 20, 0, 1, 0, 1})));
  // Reserved label type 0x40.
  EXPECT_FALSE(
      parse_dns_message(bytes({0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1})));
  // Question without its type and class.
  EXPECT_FALSE(parse_dns_message(bytes({0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0})));
  // Answer count larger than the records present.
  EXPECT_FALSE(parse_dns_message(bytes({0, 1, 0x81, 0, 0, 0, 0, 1, 0, 0, 0, 0})));
  // Pointer chain longer than 32 hops (each points one back... to another pointer).
  std::vector<uint8_t> chain = bytes({0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0});
  for (int i = 0; i < 40; ++i) {
    const size_t here = chain.size();
    chain.push_back(0xc0);
    chain.push_back(static_cast<uint8_t>(here == 13 ? 12 : here - 2));
  }
  size_t off = chain.size() - 2;
  EXPECT_FALSE(read_dns_name(chain, off));
}

TEST(DnsParser, EscapesBytesThatAreNotPrintable) {
  auto q = bytes({0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 0x1b, 0, 0, 1, 0, 1});
  auto m = parse_dns_message(q);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->questions[0].name, "a\\.\\027");
}

TEST(DnsKeyName, DecodesPaddedAndTruncatedNames) {
  uint8_t key[DNS_NAME_LEN] = {3, 'A', 'p', 'I', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
  EXPECT_EQ(decode_key_name(key, false), "api.example");
  EXPECT_EQ(decode_key_name(key, true), "api.example…");
  uint8_t root[DNS_NAME_LEN] = {};
  EXPECT_EQ(decode_key_name(root, false), ".");
  uint8_t cut[4] = {10, 'a', 'b', 'c'};  // label longer than the buffer
  EXPECT_EQ(decode_key_name(cut, false), "abc…");
}

TEST(DnsNames, QtypeRcodeAndEaiNames) {
  EXPECT_EQ(qtype_name(1), "A");
  EXPECT_EQ(qtype_name(28), "AAAA");
  EXPECT_EQ(qtype_name(99), "TYPE99");
  EXPECT_EQ(rcode_name(2), "SERVFAIL");
  EXPECT_EQ(rcode_name(15), "RCODE15");
  EXPECT_EQ(gai_error_name(-2), "EAI_NONAME");
  EXPECT_EQ(gai_error_name(-3), "EAI_AGAIN");
}

TEST(DnsAggregation, MergesCaseAndAddsExpiredTimeouts) {
  DnsAggregator agg;
  dns_name_key lower{}, upper{};
  const uint8_t a[] = {2, 'o', 'k', 0}, b[] = {2, 'O', 'K', 0};
  std::memcpy(lower.qname, a, sizeof(a));
  std::memcpy(upper.qname, b, sizeof(b));
  lower.qtype = upper.qtype = 1;
  dns_name_stats s{};
  s.queries = 2;
  s.answers = 2;
  s.rcodes[0] = 1;
  s.rcodes[3] = 1;
  s.latency_ns_total = 2000;
  s.latency_ns_max = 1500;
  s.server_family = DNS_AF_INET;
  s.server_port = 53;
  inet_pton(AF_INET, "10.0.0.10", s.server);
  s.transports = DNS_TRANSPORT_UDP;
  agg.add_name(lower, s);
  agg.add_name(upper, s);
  agg.add_timeouts(lower, 3);
  dns_hist_key hk{};
  hk.name = lower;
  hk.slot = hist_slot(1000);
  agg.add_hist(hk, 4);
  auto r = agg.build();
  ASSERT_EQ(r.names.size(), 1u);
  EXPECT_EQ(r.names[0].name, "ok");
  EXPECT_EQ(r.names[0].queries, 4u);
  EXPECT_EQ(r.names[0].timeouts, 3u);
  EXPECT_EQ(r.names[0].rcodes["NOERROR"], 2u);
  EXPECT_EQ(r.names[0].rcodes["NXDOMAIN"], 2u);
  EXPECT_EQ(r.names[0].server, "10.0.0.10:53");
  EXPECT_EQ(r.names[0].latency.count, 4u);
  EXPECT_EQ(r.names[0].latency.mean_ns, 1000u);
  EXPECT_EQ(r.errors, 2u);
  EXPECT_EQ(r.timeouts, 3u);
}

TEST(CoveringCgroups, DropsDescendantsAndDuplicates) {
  auto out = covering_cgroups(
      {"/cg/pod/b", "/cg/pod", "/cg/pod/a/x", "/cg/other", "/cg/pod/", "/cg/podx"});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], "/cg/other");
  EXPECT_EQ(out[1], "/cg/pod");
  EXPECT_EQ(out[2], "/cg/podx");  // a sibling whose name starts the same is not a descendant
}

TEST(TcpAggregation, SumsEndpointsAndBuildsHistograms) {
  TcpAggregator agg;
  tcp_endpoint ep{};
  ep.family = PT_AF_INET;
  ep.port = 443;
  inet_pton(AF_INET, "192.0.2.7", ep.addr);
  tcp_endpoint_stats s{};
  s.connects = 2;
  s.connect_ns_total = 100'000'000;
  s.connect_ns_max = 60'000'000;
  s.failures[PT_TCP_FAIL_REFUSED] = 1;
  s.rtt_samples = 4;
  s.rtt_us_total = 200'000;
  s.rtt_us_max = 60'000;
  s.rtt_us_min = 40'000;
  s.retransmits = 3;
  agg.add_stats(ep, s);
  s.rtt_us_min = 30'000;
  agg.add_stats(ep, s);  // the same endpoint again (e.g. read twice): sums, min of mins
  tcp_hist_key k{};
  k.ep = ep;
  k.metric = PT_TCP_METRIC_CONNECT;
  k.slot = hist_slot(50'000'000);
  agg.add_hist(k, 4);
  tcp_endpoint v6 = ep;
  v6.family = PT_AF_INET6;
  inet_pton(AF_INET6, "2001:db8::1", v6.addr);
  v6.direction = PT_TCP_DIR_INBOUND;
  agg.add_stats(v6, tcp_endpoint_stats{});
  auto r = agg.build();
  ASSERT_EQ(r.endpoints.size(), 2u);
  const auto& e = r.endpoints[0];  // the one with failures sorts first
  EXPECT_EQ(e.address, "192.0.2.7");
  EXPECT_EQ(e.port, 443);
  EXPECT_EQ(e.direction, "outbound");
  EXPECT_EQ(e.connects, 4u);
  EXPECT_EQ(e.refused, 2u);
  EXPECT_EQ(e.retransmits, 6u);
  EXPECT_EQ(e.rtt_min_us, 30'000u);
  EXPECT_EQ(e.connect_latency.count, 4u);
  EXPECT_EQ(e.connect_latency.mean_ns, 50'000'000u);
  EXPECT_EQ(e.connect_latency.max_ns, 60'000'000u);
  EXPECT_EQ(r.endpoints[1].address, "2001:db8::1");
  EXPECT_EQ(r.endpoints[1].direction, "inbound");
  EXPECT_EQ(r.connects, 4u);
  EXPECT_EQ(r.failures, 2u);
  EXPECT_EQ(format_endpoint(PT_AF_INET6, v6.addr, 53), "[2001:db8::1]:53");
}

TEST(LibcDiscovery, FindsGlibcAndMuslInMaps) {
  const std::string maps =
      "7f00-7f10 r--p 00000000 08:01 123 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
      "7f10-7f20 r-xp 00010000 08:01 123 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
      "7f20-7f30 r-xp 00000000 08:01 124 /lib/ld-musl-x86_64.so.1\n"
      "7f30-7f40 r-xp 00000000 08:01 125 /usr/lib/libcurl.so.4\n"
      "7f40-7f50 r-xp 00000000 08:01 126 /lib/libc-2.31.so (deleted)\n"
      "7ffd-7ffe rw-p 00000000 00:00 0 [stack]\n";
  auto libs = libc_paths_in_maps(maps);
  ASSERT_EQ(libs.size(), 2u);
  EXPECT_EQ(libs[0], "/usr/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(libs[1], "/lib/ld-musl-x86_64.so.1");
}

}  // namespace
}  // namespace podtrace::tracer
