// SPDX-License-Identifier: Apache-2.0
// dns_message.h: pure DNS logic: wire-format names and messages (with compression pointers),
// rcode/qtype/EAI names, and the kernel's per-name tables turned into the report. No root.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "dns.h"
#include "result.h"
#include "sections/dns.h"

namespace podtrace::tracer {

// A name in a kernel key: length-prefixed labels, no compression, zero padded. Returns the
// dotted, lower-cased name ("." for the root); "…" marks a truncated name. Bytes outside
// printable ASCII are escaped as \DDD (RFC 1035 master-file style), so a name is always text.
std::string decode_key_name(std::span<const uint8_t> wire, bool truncated);

struct DnsQuestion {
  std::string name;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
};

struct DnsMessage {
  uint16_t id = 0;
  bool response = false;
  uint8_t opcode = 0;
  uint8_t rcode = 0;
  std::vector<DnsQuestion> questions;
  uint16_t answers = 0;
  std::vector<std::string> answer_names;  // owner names of the answer records
};

// Parses a whole message. Compression pointers must point backwards and are followed at most
// 32 times, so hostile packets cannot loop; any read past the end is an error.
Result<DnsMessage> parse_dns_message(std::span<const uint8_t> msg);

// Reads a (possibly compressed) name at `offset`; advances `offset` past it in the message.
Result<std::string> read_dns_name(std::span<const uint8_t> msg, size_t& offset);

// A standard recursive query for `name` (dotted), as a stub resolver sends it.
std::vector<uint8_t> build_dns_query(uint16_t id, const std::string& name, uint16_t qtype);

std::string qtype_name(uint16_t qtype);  // "A", "AAAA", "TYPE65"
std::string rcode_name(uint32_t rcode);  // "NOERROR", "NXDOMAIN", "RCODE11"
std::string gai_error_name(int code);    // "EAI_NONAME", "EAI_AGAIN"...

// Builds the DNS report section from the dns.bpf.c maps plus what user space counted.
class DnsAggregator {
 public:
  void add_name(const dns_name_key& key, const dns_name_stats& stats);
  void add_hist(const dns_hist_key& key, uint64_t count);
  // Queries that user space expired (no answer within the DNS timeout).
  void add_timeouts(const dns_name_key& key, uint64_t count);
  // Queries still in flight when the report is made.
  void add_unanswered(const dns_name_key& key, uint64_t count);
  void add_lookup(const gai_host_key& key, const gai_stats& stats);
  void set_global_hist(std::vector<uint64_t> answer_slots);
  DnsReport build() const;

 private:
  struct Entry {
    DnsNameReport report;
    uint64_t total_ns = 0, max_ns = 0;
    std::vector<uint64_t> slots;
    uint8_t transports = 0;
  };
  Entry& entry(const dns_name_key& key);
  std::map<std::pair<std::string, uint16_t>, Entry> names_;
  std::map<std::string, DnsLookupReport> lookups_;
  std::vector<uint64_t> global_;
};

}  // namespace podtrace::tracer
