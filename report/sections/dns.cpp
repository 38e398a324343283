// SPDX-License-Identifier: Apache-2.0
// sections/dns.cpp: JSON, text, metrics and findings of the DNS section.
#include "sections/dns.h"

#include <fmt/format.h>

#include "json_read.h"
#include "metrics_top.h"
#include "section_util.h"
#include "units.h"

namespace podtrace {

void to_json(nlohmann::json& j, const DnsNameReport& n) {
  j = {{"name", n.name},          {"qtype", n.qtype},       {"queries", n.queries},
       {"answers", n.answers},    {"timeouts", n.timeouts}, {"unanswered", n.unanswered},
       {"rcodes", n.rcodes},      {"latency", n.latency},   {"server", n.server},
       {"transport", n.transport}};
}

void from_json(const nlohmann::json& j, DnsNameReport& n) {
  read_field(j, "name", n.name);
  read_field(j, "qtype", n.qtype);
  read_field(j, "queries", n.queries);
  read_field(j, "answers", n.answers);
  read_field(j, "timeouts", n.timeouts);
  read_field(j, "unanswered", n.unanswered);
  read_field(j, "rcodes", n.rcodes);
  read_object(j, "latency", n.latency);
  read_field(j, "server", n.server);
  read_field(j, "transport", n.transport);
}

void to_json(nlohmann::json& j, const DnsLookupReport& l) {
  j = {{"host", l.host},     {"calls", l.calls},     {"failures", l.failures},
       {"errors", l.errors}, {"queries", l.queries}, {"latency", l.latency}};
}

void from_json(const nlohmann::json& j, DnsLookupReport& l) {
  read_field(j, "host", l.host);
  read_field(j, "calls", l.calls);
  read_field(j, "failures", l.failures);
  read_field(j, "errors", l.errors);
  read_field(j, "queries", l.queries);
  read_object(j, "latency", l.latency);
}

void to_json(nlohmann::json& j, const DnsReport& d) {
  j = {{"queries", d.queries},       {"answers", d.answers}, {"timeouts", d.timeouts},
       {"unanswered", d.unanswered}, {"errors", d.errors},   {"latency", d.latency},
       {"names", d.names},           {"lookups", d.lookups}};
  if (!d.lookup_status.empty()) j["lookup_status"] = d.lookup_status;
}

void from_json(const nlohmann::json& j, DnsReport& d) {
  read_field(j, "queries", d.queries);
  read_field(j, "answers", d.answers);
  read_field(j, "timeouts", d.timeouts);
  read_field(j, "unanswered", d.unanswered);
  read_field(j, "errors", d.errors);
  read_object(j, "latency", d.latency);
  read_array(j, "names", d.names);
  read_array(j, "lookups", d.lookups);
  read_field(j, "lookup_status", d.lookup_status);
}

namespace {

std::string rcode_text(const std::map<std::string, uint64_t>& rcodes) {
  std::string out;
  for (const auto& [rc, c] : rcodes) out += fmt::format("{}{} x{}", out.empty() ? "" : ", ", rc, c);
  return out;
}

}  // namespace

void render_section(TextWriter& out, const DnsReport& d) {
  out.section(DnsReport::kTitle);
  out.line(fmt::format("{} queries · {} answers · {} timeouts · {} unanswered · {} error answers",
                       d.queries, d.answers, d.timeouts, d.unanswered, d.errors));
  if (!d.names.empty()) {
    Table names = latency_table("name", "queries",
                                {"qtype", "answers", "timeouts", "rcodes", "server", "transport"});
    for (const auto& n : d.names) {
      names.add_row(latency_row(
          n.name, n.queries, n.latency,
          {{n.qtype},
           {std::to_string(n.answers)},
           n.unanswered
               ? Cell{fmt::format("{} (+{} unanswered)", n.timeouts, n.unanswered), Tone::kYellow}
               : error_cell(n.timeouts),
           {rcode_text(n.rcodes)},
           {n.server},
           {n.transport}}));
      names.add_detail(out.histogram_lines(n.latency));
    }
    out.table(names);
  }
  if (!d.lookups.empty()) {
    out.line("getaddrinfo() as the application saw it", Tone::kDim);
    Table lookups =
        latency_table("host", "calls", {"failed", "errors", "queries", "queries/call", "mean"});
    for (const auto& l : d.lookups) {
      lookups.add_row(latency_row(l.host, l.calls, l.latency,
                                  {error_cell(l.failures),
                                   {rcode_text(l.errors)},
                                   {std::to_string(l.queries)},
                                   {fmt::format("{:.1f}", l.calls ? static_cast<double>(l.queries) /
                                                                        static_cast<double>(l.calls)
                                                                  : 0.0)},
                                   {l.latency.count ? format_ns(l.latency.mean_ns) : "-"}}));
      lookups.add_detail(out.histogram_lines(l.latency));
    }
    out.table(lookups);
  }
  if (!d.lookup_status.empty()) out.line("getaddrinfo(): " + d.lookup_status, Tone::kDim);
}

void write_section_metrics(MetricsWriter& out, const DnsReport& d) {
  // The most queried names keep their name; the rest are name="other".
  std::vector<uint64_t> weights;
  for (const auto& n : d.names) weights.push_back(n.queries);
  const std::vector<bool> keep = top_entities(weights, out.top());
  SummedSeries latency, responses, timeouts;
  for (size_t i = 0; i < d.names.size(); ++i) {
    const auto& n = d.names[i];
    const Labels l = {{"name", keep[i] ? n.name : std::string(kOtherLabelValue)},
                      {"qtype", n.qtype}};
    if (n.latency.count) latency.add_histogram(l, n.latency, n.latency.mean_ns * n.latency.count);
    for (const auto& [rc, c] : n.rcodes) {
      Labels with = l;
      with.emplace_back("rcode", rc);
      responses.add(with, c);
    }
    timeouts.add(l, n.timeouts);
  }
  out.family("podtrace_dns_latency_seconds", "histogram",
             "DNS answer latency on the wire, by name and query type.");
  latency.write(out, "podtrace_dns_latency_seconds");
  out.family("podtrace_dns_responses_total", "counter",
             "DNS answers, by name, query type and response code.");
  responses.write(out, "podtrace_dns_responses_total");
  out.family("podtrace_dns_timeouts_total", "counter",
             "DNS queries that got no answer in time, by name and query type.");
  timeouts.write(out, "podtrace_dns_timeouts_total");
}

void diagnose_section(const DnsReport& d, const DiagnoseThresholds&, std::vector<Finding>& out) {
  for (const auto& n : d.names) {
    // A program that gives up on DNS and exits leaves its queries unanswered, not timed out:
    // exactly the case to show, not to lose.
    if (n.unanswered)
      out.push_back({"warning", "dns",
                     fmt::format("{} DNS queries for {} {} were still unanswered when the trace "
                                 "ended",
                                 n.unanswered, n.name, n.qtype),
                     "they had waited less than the DNS timeout; if the target exited, it likely "
                     "gave up waiting for its resolver"});
    if (n.timeouts)
      out.push_back(
          {"critical", "dns",
           fmt::format("{} DNS queries for {} {} got no answer", n.timeouts, n.name, n.qtype),
           "the resolver or its upstream does not answer; each timeout stalls the lookup "
           "for seconds"});
    uint64_t bad = 0;
    for (const auto& [rc, c] : n.rcodes)
      if (rc != "NOERROR" && rc != "NXDOMAIN") bad += c;
    if (bad)
      out.push_back(
          {"warning", "dns", fmt::format("{} error answers for {} {}", bad, n.name, n.qtype), ""});
    if (n.latency.count && n.latency.p99_ns >= 100'000'000)
      out.push_back({"warning", "dns",
                     fmt::format("slow DNS for {}: p99 {}", n.name, format_ns(n.latency.p99_ns)),
                     "answered by " + n.server});
  }
  uint64_t nx = 0, total = 0;
  for (const auto& n : d.names) {
    total += n.queries;
    auto it = n.rcodes.find("NXDOMAIN");
    if (it != n.rcodes.end()) nx += it->second;
  }
  if (total >= 10 && nx * 2 >= total)
    out.push_back({"info", "dns", fmt::format("{} of {} DNS queries returned NXDOMAIN", nx, total),
                   "typical of the search list with ndots:5: use fully qualified names (trailing "
                   "dot) or lower ndots"});
  for (const auto& l : d.lookups)
    if (l.calls && l.queries >= 4 * l.calls)
      out.push_back({"info", "dns",
                     fmt::format("each lookup of {} sent {:.1f} DNS queries", l.host,
                                 static_cast<double>(l.queries) / static_cast<double>(l.calls)),
                     "the search list and ndots expand short names; a trailing dot avoids it"});
}

bool section_quiet(const DnsReport& d) {
  return d.names.empty() && d.lookups.empty() && d.queries == 0;
}

}  // namespace podtrace
