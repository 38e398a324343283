// SPDX-License-Identifier: Apache-2.0
// diagnose.cpp: collects every section's findings and the tracer's own, most severe first.
#include "diagnose.h"

#include <fmt/format.h>

#include <algorithm>

namespace podtrace {

std::vector<Finding> diagnose(const Report& r, const DiagnoseThresholds& t) {
  std::vector<Finding> out;
  for (const auto& s : r.sections) s->diagnose(t, out);
  const uint64_t lost = r.lost_ringbuf + r.lost_userspace;
  if (lost)
    out.push_back({"info", "tracer", fmt::format("{} events were dropped", lost),
                   "counts and histograms are exact; only individual event lines are missing"});
  if (r.lost_map_full)
    out.push_back({"info", "tracer",
                   fmt::format("{} per-key aggregates did not fit", r.lost_map_full),
                   "per-file or per-thread tables are incomplete; per-op totals are exact"});
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return severity_rank(a.severity) < severity_rank(b.severity);
  });
  return out;
}

}  // namespace podtrace
