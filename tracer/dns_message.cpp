// SPDX-License-Identifier: Apache-2.0
// dns_message.cpp: DNS wire parsing and the per-name aggregation of the dns family.
#include "dns_message.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "histogram.h"
#include "net_endpoint.h"

namespace podtrace::tracer {

namespace {

void append_label(std::string& out, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = p[i];
    if (c == '.' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x21 || c > 0x7e) {
      out += fmt::format("\\{:03d}", c);
    } else {
      out += static_cast<char>(std::tolower(c));
    }
  }
}

uint16_t be16(std::span<const uint8_t> m, size_t off) {
  return static_cast<uint16_t>(m[off] << 8 | m[off + 1]);
}

}  // namespace

std::string decode_key_name(std::span<const uint8_t> wire, bool truncated) {
  std::string out;
  size_t pos = 0;
  while (pos < wire.size()) {
    const uint8_t l = wire[pos];
    if (l == 0) break;
    if (l > 63) {  // the kernel rejects these; a broken key still renders as text
      truncated = true;
      break;
    }
    const size_t n = std::min<size_t>(l, wire.size() - pos - 1);
    if (!out.empty()) out += '.';
    append_label(out, wire.data() + pos + 1, n);
    if (n < l) {
      truncated = true;
      break;
    }
    pos += 1 + l;
  }
  if (out.empty() && !truncated) return ".";
  if (truncated) out += "…";
  return out;
}

Result<std::string> read_dns_name(std::span<const uint8_t> msg, size_t& offset) {
  std::string out;
  size_t pos = offset;
  bool jumped = false;
  int jumps = 0;
  size_t total = 0;
  for (;;) {
    if (pos >= msg.size()) return make_error("name runs past the end of the message");
    const uint8_t l = msg[pos];
    if ((l & 0xc0) == 0xc0) {
      if (pos + 1 >= msg.size()) return make_error("truncated compression pointer");
      const size_t target = static_cast<size_t>(l & 0x3f) << 8 | msg[pos + 1];
      // Only backwards: a forward or self pointer could loop.
      if (target >= pos) return make_error("compression pointer does not point backwards");
      if (++jumps > 32) return make_error("too many compression pointers");
      if (!jumped) offset = pos + 2;
      jumped = true;
      pos = target;
      continue;
    }
    if (l & 0xc0) return make_error("reserved label type");
    if (l == 0) {
      if (!jumped) offset = pos + 1;
      break;
    }
    if (pos + 1 + l > msg.size()) return make_error("label runs past the end of the message");
    total += l + 1;
    if (total > 255) return make_error("name longer than 255 bytes");
    if (!out.empty()) out += '.';
    append_label(out, msg.data() + pos + 1, l);
    pos += 1 + l;
  }
  return out.empty() ? std::string(".") : out;
}

Result<DnsMessage> parse_dns_message(std::span<const uint8_t> msg) {
  if (msg.size() < 12) return make_error("shorter than a DNS header");
  DnsMessage m;
  m.id = be16(msg, 0);
  const uint16_t flags = be16(msg, 2);
  m.response = flags & 0x8000;
  m.opcode = (flags >> 11) & 0xf;
  m.rcode = flags & 0xf;
  const uint16_t qd = be16(msg, 4);
  m.answers = be16(msg, 6);
  size_t off = 12;
  for (uint16_t i = 0; i < qd; ++i) {
    auto name = read_dns_name(msg, off);
    if (!name) return make_error("question " + std::to_string(i) + ": " + name.error());
    if (off + 4 > msg.size()) return make_error("question runs past the end of the message");
    m.questions.push_back({*name, be16(msg, off), be16(msg, off + 2)});
    off += 4;
  }
  for (uint16_t i = 0; i < m.answers; ++i) {
    auto name = read_dns_name(msg, off);
    if (!name) return make_error("answer " + std::to_string(i) + ": " + name.error());
    if (off + 10 > msg.size()) return make_error("answer runs past the end of the message");
    const uint16_t rdlen = be16(msg, off + 8);
    off += 10;
    if (off + rdlen > msg.size()) return make_error("answer data runs past the end of the message");
    off += rdlen;
    m.answer_names.push_back(*name);
  }
  return m;
}

std::vector<uint8_t> build_dns_query(uint16_t id, const std::string& name, uint16_t qtype) {
  std::vector<uint8_t> q = {
      static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    const size_t n = std::min<size_t>(dot - start, 63);
    if (n) {
      q.push_back(static_cast<uint8_t>(n));
      q.insert(q.end(), name.begin() + start, name.begin() + start + n);
    }
    start = dot + 1;
  }
  q.push_back(0);
  q.push_back(static_cast<uint8_t>(qtype >> 8));
  q.push_back(static_cast<uint8_t>(qtype));
  q.push_back(0);
  q.push_back(1);  // IN
  return q;
}

std::string qtype_name(uint16_t t) {
  switch (t) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 255:
      return "ANY";
  }
  return "TYPE" + std::to_string(t);
}

std::string rcode_name(uint32_t rc) {
  static const char* names[] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  if (rc < std::size(names)) return names[rc];
  return "RCODE" + std::to_string(rc);
}

std::string gai_error_name(int code) {
  // glibc's values; musl uses the same numbers for these.
  switch (code) {
    case 0:
      return "OK";
    case -1:
      return "EAI_BADFLAGS";
    case -2:
      return "EAI_NONAME";
    case -3:
      return "EAI_AGAIN";
    case -4:
      return "EAI_FAIL";
    case -6:
      return "EAI_FAMILY";
    case -7:
      return "EAI_SOCKTYPE";
    case -8:
      return "EAI_SERVICE";
    case -10:
      return "EAI_MEMORY";
    case -11:
      return "EAI_SYSTEM";
    case -12:
      return "EAI_OVERFLOW";
    case -5:
      return "EAI_NODATA";
    case -9:
      return "EAI_ADDRFAMILY";
  }
  return "EAI_" + std::to_string(code);
}

DnsAggregator::Entry& DnsAggregator::entry(const dns_name_key& key) {
  const std::string name = decode_key_name({key.qname, sizeof(key.qname)}, key.truncated);
  auto& e = names_[{name, key.qtype}];
  if (e.report.name.empty()) {
    e.report.name = name;
    e.report.qtype = qtype_name(key.qtype);
    e.slots.assign(PT_HIST_SLOTS, 0);
  }
  return e;
}

void DnsAggregator::add_name(const dns_name_key& key, const dns_name_stats& s) {
  auto& e = entry(key);
  e.report.queries += s.queries;
  e.report.answers += s.answers;
  e.report.timeouts += s.timeouts;
  for (uint32_t rc = 0; rc < DNS_RCODES; ++rc)
    if (s.rcodes[rc]) e.report.rcodes[rcode_name(rc)] += s.rcodes[rc];
  e.total_ns += s.latency_ns_total;
  e.max_ns = std::max<uint64_t>(e.max_ns, s.latency_ns_max);
  if (s.answers) e.report.server = format_endpoint(s.server_family, s.server, s.server_port);
  e.transports |= s.transports;
}

void DnsAggregator::add_hist(const dns_hist_key& key, uint64_t count) {
  if (key.slot >= PT_HIST_SLOTS) return;
  entry(key.name).slots[key.slot] += count;
}

void DnsAggregator::add_timeouts(const dns_name_key& key, uint64_t count) {
  entry(key).report.timeouts += count;
}

void DnsAggregator::add_unanswered(const dns_name_key& key, uint64_t count) {
  entry(key).report.unanswered += count;
}

void DnsAggregator::add_lookup(const gai_host_key& key, const gai_stats& s) {
  const std::string host(key.host, strnlen(key.host, sizeof(key.host)));
  auto& l = lookups_[host];
  l.host = host;
  l.calls += s.calls;
  l.failures += s.failures;
  l.queries += s.queries;
  for (int i = 0; i < GAI_ERROR_SLOTS; ++i)
    if (s.errors[i]) l.errors[i ? gai_error_name(-i) : "other"] += s.errors[i];
  // No per-host histogram: count, mean and max are exact.
  l.latency.count = l.calls;
  l.latency.max_ns = std::max<uint64_t>(l.latency.max_ns, s.latency_ns_max);
  const uint64_t total = l.latency.mean_ns * (l.calls - s.calls) + s.latency_ns_total;
  l.latency.mean_ns = l.calls ? total / l.calls : 0;
}

void DnsAggregator::set_global_hist(std::vector<uint64_t> slots) { global_ = std::move(slots); }

DnsReport DnsAggregator::build() const {
  DnsReport r;
  uint64_t total_ns = 0, max_ns = 0;
  for (const auto& [key, e] : names_) {
    DnsNameReport n = e.report;
    n.latency = summarize(e.slots, e.total_ns, e.max_ns);
    n.transport = e.transports == (DNS_TRANSPORT_UDP | DNS_TRANSPORT_TCP) ? "udp+tcp"
                  : e.transports == DNS_TRANSPORT_TCP                     ? "tcp"
                                                                          : "udp";
    r.queries += n.queries;
    r.answers += n.answers;
    r.timeouts += n.timeouts;
    r.unanswered += n.unanswered;
    for (const auto& [rc, c] : n.rcodes)
      if (rc != "NOERROR") r.errors += c;
    total_ns += e.total_ns;
    max_ns = std::max(max_ns, e.max_ns);
    r.names.push_back(std::move(n));
  }
  if (!global_.empty()) r.latency = summarize(global_, total_ns, max_ns);
  // Problems first: timeouts, then error answers, then time spent.
  std::sort(r.names.begin(), r.names.end(), [](const DnsNameReport& a, const DnsNameReport& b) {
    if (a.timeouts + a.unanswered != b.timeouts + b.unanswered)
      return a.timeouts + a.unanswered > b.timeouts + b.unanswered;
    if (a.queries != b.queries) return a.queries > b.queries;
    return a.name < b.name;
  });
  for (const auto& [h, l] : lookups_) r.lookups.push_back(l);
  std::sort(
      r.lookups.begin(), r.lookups.end(),
      [](const DnsLookupReport& a, const DnsLookupReport& b) { return a.queries > b.queries; });
  return r;
}

}  // namespace podtrace::tracer
