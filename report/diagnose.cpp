// SPDX-License-Identifier: Apache-2.0
// diagnose.cpp: collects every section's findings and the tracer's own, most severe first.
#include "diagnose.h"

#include <fmt/format.h>

#include <algorithm>

#include "sections/time.h"

namespace podtrace {

std::vector<Finding> diagnose(const Report& r, const DiagnoseThresholds& t) {
  std::vector<Finding> out;
  for (const auto& s : r.sections) s->diagnose(t, out);
  if (const uint64_t lost = r.lost_ringbuf)
    out.push_back({"info", "tracer", fmt::format("{} events were dropped", lost),
                   "counts and histograms are exact; only individual event lines are missing"});
  if (r.lost_map_full)
    out.push_back({"info", "tracer",
                   fmt::format("{} per-key aggregates did not fit", r.lost_map_full),
                   "per-file or per-thread tables are incomplete; per-op totals are exact"});
  explain_findings(r, out);
  rank_findings(out);
  return out;
}

namespace {

// The state a family's findings are about when a rule did not say.
std::string_view family_state(std::string_view family) {
  if (family == "fileio") return "file_io";
  if (family == "tcp" || family == "udp" || family == "netdev") return "network";
  if (family == "dns") return "dns";
  if (family == "locks") return "lock";
  if (family == "db") return "db";
  return {};
}

}  // namespace

void explain_findings(const Report& r, std::vector<Finding>& findings) {
  const TimeReport* time = r.find<TimeReport>();
  if (!time) return;
  const TimeShare total = time->total();
  if (!total.wall_ns) return;
  for (auto& f : findings) {
    // A note is no fault: the time of its family is not its doing.
    if (severity_rank(f.severity) > 1) continue;
    if (f.state.empty()) f.state = family_state(f.family);
    for (size_t s = 0; s < kTimeStates; ++s) {
      if (f.state != time_state_key(s)) continue;
      f.time_ns = total.ns[s];
      f.time_share = static_cast<double>(total.ns[s]) / static_cast<double>(total.wall_ns);
    }
  }
}

void rank_findings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (severity_rank(a.severity) != severity_rank(b.severity))
      return severity_rank(a.severity) < severity_rank(b.severity);
    return a.time_ns > b.time_ns;
  });
}

}  // namespace podtrace
