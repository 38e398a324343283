// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the kernel-side DNS parser (bpf/dns.bpf.c), run by BPF_PROG_TEST_RUN on fuzzed
// packets. Its programs are cgroup_skb, a type test_run supports, so the very programs the dns
// family attaches run here, loaded (and so verified) once per process. Needs root.
//
// First input byte: 0x80 = the rest is a whole IPv4/IPv6 packet (the IP header parser's input);
// otherwise bit 0 = IPv6, bit 1 = TCP, bits 2-5 = the answer's rcode, and the rest is the DNS
// message the client sends, wrapped in a well-formed packet to port 53. For those, the name the
// kernel keys the query by is checked against the user-space parser (tracer/dns_message), and
// an answer with the same id is sent back and must be counted against that name.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <vector>

#include "dns.skel.h"
#include "dns_message.h"
#include "fuzz_support.h"

using namespace podtrace::tracer;

namespace {

constexpr uint16_t kClientPort = 40000;

struct Loaded {
  dns_bpf* skel = nullptr;
  ring_buffer* events = nullptr;
};

Loaded& loaded() {
  static Loaded l = [] {
    Loaded out;
    out.skel = dns_bpf__open();
    FUZZ_CHECK(out.skel != nullptr);
    // Only the packet parser: the getaddrinfo() uprobes are not under test.
    bpf_program__set_autoload(out.skel->progs.gai_enter_uprobe, false);
    bpf_program__set_autoload(out.skel->progs.gai_exit_uprobe, false);
    if (int err = dns_bpf__load(out.skel)) {
      std::fprintf(stderr, "dns.bpf.o failed to load (verifier or not root): %d\n", err);
      std::abort();
    }
    out.events = ring_buffer__new(
        bpf_map__fd(out.skel->maps.events), [](void*, void*, size_t) { return 0; }, nullptr,
        nullptr);
    FUZZ_CHECK(out.events != nullptr);
    return out;
  }();
  return l;
}

void clear(int fd, size_t key_size) {
  std::vector<uint8_t> key(key_size);
  while (bpf_map_get_next_key(fd, nullptr, key.data()) == 0) bpf_map_delete_elem(fd, key.data());
}

// Runs one program on `l3` (behind an Ethernet header test_run strips); returns its verdict, or
// 1 for a packet shorter than its IP header, which test_run refuses (EINVAL) as the stack never
// hands such a packet to a cgroup_skb program.
int run(bpf_program* prog, const std::vector<uint8_t>& l3, bool v6) {
  std::vector<uint8_t> frame(ETH_HLEN);
  const uint16_t proto = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
  std::memcpy(frame.data() + 12, &proto, 2);
  frame[0] = 0x02;  // a unicast destination
  frame.insert(frame.end(), l3.begin(), l3.end());
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()), .repeat = 1);
  const int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
  if (err == -EINVAL && l3.size() < (v6 ? sizeof(ipv6hdr) : sizeof(iphdr))) return 1;
  if (err) std::fprintf(stderr, "BPF_PROG_TEST_RUN: %s\n", std::strerror(-err));
  FUZZ_CHECK(err == 0);
  return static_cast<int>(opts.retval);
}

// A packet from `src` to `dst` carrying `dns` over UDP or TCP (after TCP's length prefix).
std::vector<uint8_t> packet(bool v6, bool tcp, bool to_server, std::span<const uint8_t> dns) {
  std::vector<uint8_t> l4;
  const uint16_t sport = htons(to_server ? kClientPort : 53);
  const uint16_t dport = htons(to_server ? 53 : kClientPort);
  if (tcp) {
    tcphdr th{};
    th.source = sport;
    th.dest = dport;
    th.doff = 5;
    th.psh = th.ack = 1;
    l4.resize(sizeof(th));
    std::memcpy(l4.data(), &th, sizeof(th));
    l4.push_back(static_cast<uint8_t>(dns.size() >> 8));
    l4.push_back(static_cast<uint8_t>(dns.size()));
  } else {
    udphdr uh{};
    uh.source = sport;
    uh.dest = dport;
    uh.len = htons(static_cast<uint16_t>(sizeof(uh) + dns.size()));
    l4.resize(sizeof(uh));
    std::memcpy(l4.data(), &uh, sizeof(uh));
  }
  l4.insert(l4.end(), dns.begin(), dns.end());
  const uint8_t proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
  std::vector<uint8_t> out;
  if (v6) {
    ipv6hdr ip{};
    ip.version = 6;
    ip.nexthdr = proto;
    ip.hop_limit = 64;
    ip.payload_len = htons(static_cast<uint16_t>(l4.size()));
    ip.saddr.s6_addr[15] = to_server ? 2 : 1;  // client ::2, server ::1
    ip.daddr.s6_addr[15] = to_server ? 1 : 2;
    out.resize(sizeof(ip));
    std::memcpy(out.data(), &ip, sizeof(ip));
  } else {
    iphdr ip{};
    ip.version = 4;
    ip.ihl = 5;
    ip.ttl = 64;
    ip.protocol = proto;
    ip.tot_len = htons(static_cast<uint16_t>(sizeof(ip) + l4.size()));
    ip.saddr = htonl(to_server ? 0x0a000002 : 0x0a000001);
    ip.daddr = htonl(to_server ? 0x0a000001 : 0x0a000002);
    out.resize(sizeof(ip));
    std::memcpy(out.data(), &ip, sizeof(ip));
  }
  out.insert(out.end(), l4.begin(), l4.end());
  return out;
}

// The dns_names entries (at most one is expected).
std::vector<std::pair<dns_name_key, dns_name_stats>> names(int fd) {
  std::vector<std::pair<dns_name_key, dns_name_stats>> out;
  dns_name_key key{};
  const dns_name_key* prev = nullptr;
  dns_name_key next{};
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    dns_name_stats stats{};
    if (bpf_map_lookup_elem(fd, &next, &stats) == 0) out.emplace_back(next, stats);
    key = next;
    prev = &key;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)loaded();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 1400) return 0;  // one packet's worth
  Loaded& l = loaded();
  const int names_fd = bpf_map__fd(l.skel->maps.dns_names);
  const uint8_t mode = data[0];
  const std::span<const uint8_t> rest(data + 1, size - 1);

  if (mode & 0x80) {
    // Any IP packet: the programs observe and never drop.
    const std::vector<uint8_t> l3(rest.begin(), rest.end());
    const bool v6 = !l3.empty() && (l3[0] >> 4) == 6;
    FUZZ_CHECK(run(l.skel->progs.dns_egress_skb, l3, v6) == 1);
    FUZZ_CHECK(run(l.skel->progs.dns_ingress_skb, l3, v6) == 1);
  } else {
    const bool v6 = mode & 1, tcp = mode & 2;
    const uint8_t rcode = (mode >> 2) & 0xf;
    FUZZ_CHECK(run(l.skel->progs.dns_egress_skb, packet(v6, tcp, true, rest), v6) == 1);
    const auto seen = names(names_fd);
    FUZZ_CHECK(seen.size() <= 1);

    const bool query = rest.size() > 12 && !(rest[2] & 0x80) && (rest[4] | rest[5]) != 0;
    // The user-space reading of the first question's name, when it has no compression pointer
    // and fits the kernel's key: then both must agree exactly.
    size_t offset = 12;
    auto name = rest.size() > 12 ? read_dns_name(rest, offset)
                                 : podtrace::Result<std::string>(podtrace::make_error("short"));
    bool plain = name.ok();
    for (size_t pos = 12; plain && pos < rest.size() && rest[pos] != 0; pos += 1 + rest[pos])
      if (rest[pos] & 0xc0) plain = false;
    const size_t wire = offset - 12;
    if (query && plain && wire <= DNS_NAME_LEN) {
      FUZZ_CHECK(seen.size() == 1);
      const auto& [key, stats] = seen[0];
      FUZZ_CHECK(!key.truncated);
      FUZZ_CHECK(decode_key_name(key.qname, false) == *name);
      const uint16_t qtype = offset + 2 <= rest.size()
                                 ? static_cast<uint16_t>(rest[offset] << 8 | rest[offset + 1])
                                 : 0;
      FUZZ_CHECK(key.qtype == qtype);
      FUZZ_CHECK(stats.queries == 1 && stats.answers == 0);

      // The answer: same message with QR set and the rcode, from the server back to the client.
      std::vector<uint8_t> answer(rest.begin(), rest.end());
      answer[2] |= 0x80;
      answer[3] = static_cast<uint8_t>((answer[3] & 0xf0) | rcode);
      FUZZ_CHECK(run(l.skel->progs.dns_ingress_skb, packet(v6, tcp, false, answer), v6) == 1);
      const auto after = names(names_fd);
      FUZZ_CHECK(after.size() == 1);
      FUZZ_CHECK(after[0].second.answers == 1 && after[0].second.rcodes[rcode] == 1);
    }
    if (!query || (rest.size() > 12 && rest[12] > 63)) FUZZ_CHECK(seen.empty());
  }
  // Forget this input: the next one starts from empty maps.
  clear(names_fd, sizeof(dns_name_key));
  clear(bpf_map__fd(l.skel->maps.dns_inflight), sizeof(dns_query_key));
  clear(bpf_map__fd(l.skel->maps.dns_name_hist), sizeof(dns_hist_key));
  ring_buffer__consume(l.events);
  return 0;
}
