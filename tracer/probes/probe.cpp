// SPDX-License-Identifier: Apache-2.0
// probe.cpp: what every family shares: the header of its streamed events.
#include "probe.h"

#include <cstring>

#include "podtrace_common.h"
#include "text.h"

namespace podtrace::tracer {

Event event_json(const pt_event_header& h, std::string_view family, std::string_view kind) {
  Event e;
  e.family = family;
  e.kind = kind;
  e.pid = h.pid;
  e.tid = h.tid;
  e.comm = c_string(h.comm, sizeof(h.comm));
  e.cgroup_id = h.cgroup_id;
  e.ktime_ns = h.ts_ns;
  return e;
}

}  // namespace podtrace::tracer
