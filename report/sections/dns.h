// SPDX-License-Identifier: Apache-2.0
// sections/dns.h: the DNS section: queries on the wire per name, and getaddrinfo() as the
// application saw it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "latency.h"
#include "section.h"

namespace podtrace {

// One DNS name and query type as seen on the wire.
struct DnsNameReport {
  std::string name;
  std::string qtype;  // "A", "AAAA", "SRV", or the number
  uint64_t queries = 0;
  uint64_t answers = 0;
  uint64_t timeouts = 0;  // no answer within the DNS timeout, or retried before one came
  // Still waiting for an answer when the report was made, not yet timed out: at the end of a
  // trace, queries the target gave up on (it exited) or that the trace cut short.
  uint64_t unanswered = 0;
  std::map<std::string, uint64_t> rcodes;  // {"NOERROR": 3, "NXDOMAIN": 1}
  LatencySummary latency;
  std::string server;     // last server that answered, "addr:port"
  std::string transport;  // "udp", "tcp", "udp+tcp"
  bool operator==(const DnsNameReport&) const = default;
};

// One getaddrinfo() call site as the application saw it: the whole resolution.
struct DnsLookupReport {
  std::string host;
  uint64_t calls = 0;
  uint64_t failures = 0;
  std::map<std::string, uint64_t> errors;  // {"EAI_NONAME": 2}
  uint64_t queries = 0;  // DNS packets the calls sent (search list x ndots x A/AAAA x retries)
  LatencySummary latency;
  bool operator==(const DnsLookupReport&) const = default;
};

struct DnsReport {
  static constexpr std::string_view kKey = "dns";
  static constexpr std::string_view kTitle = "DNS";
  uint64_t queries = 0;
  uint64_t answers = 0;
  uint64_t timeouts = 0;
  uint64_t unanswered = 0;
  uint64_t errors = 0;  // answers with an rcode other than NOERROR
  LatencySummary latency;
  std::vector<DnsNameReport> names;
  std::vector<DnsLookupReport> lookups;  // from the getaddrinfo uprobe
  std::string lookup_status;             // why lookups are missing, when they are
  bool operator==(const DnsReport&) const = default;
};

void to_json(nlohmann::json& j, const DnsNameReport& n);
void from_json(const nlohmann::json& j, DnsNameReport& n);
void to_json(nlohmann::json& j, const DnsLookupReport& l);
void from_json(const nlohmann::json& j, DnsLookupReport& l);
void to_json(nlohmann::json& j, const DnsReport& d);
void from_json(const nlohmann::json& j, DnsReport& d);
void render_section(TextWriter& out, const DnsReport& d);
void write_section_metrics(MetricsWriter& out, const DnsReport& d);
void diagnose_section(const DnsReport& d, const DiagnoseThresholds& t, std::vector<Finding>& out);
// Nothing of the pod seen: the text report folds the section into one line.
bool section_quiet(const DnsReport& d);

}  // namespace podtrace
