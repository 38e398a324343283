// SPDX-License-Identifier: Apache-2.0
// render_prometheus.cpp: the tracer's own health, then every section's metrics.
#include "render_prometheus.h"

#include "metrics_writer.h"

namespace podtrace {

std::string render_prometheus(const Report& r, const Labels& constant, size_t top) {
  MetricsWriter out(constant, top);
  out.family("podtrace_lost_events_total", "counter",
             "Events the tracer could not deliver, by where they were lost.");
  out.sample("podtrace_lost_events_total", {{"reason", "ringbuf"}}, r.lost_ringbuf);
  out.sample("podtrace_lost_events_total", {{"reason", "map_full"}}, r.lost_map_full);
  out.family("podtrace_events_not_streamed_total", "counter",
             "Events counted in full whose line was held back by the family's line budget.");
  for (const auto& [family, n] : r.event_lines.not_streamed)
    out.sample("podtrace_events_not_streamed_total", {{"family", family}}, n);
  for (const auto& s : r.sections) s->write_metrics(out);
  return out.str();
}

}  // namespace podtrace
