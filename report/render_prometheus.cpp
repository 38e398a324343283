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
  out.sample("podtrace_lost_events_total", {{"reason", "userspace"}}, r.lost_userspace);
  out.sample("podtrace_lost_events_total", {{"reason", "map_full"}}, r.lost_map_full);
  for (const auto& s : r.sections) s->write_metrics(out);
  return out.str();
}

}  // namespace podtrace
