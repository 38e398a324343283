// SPDX-License-Identifier: Apache-2.0
// probe.cpp: the bounded copy-only event queue shared by every family.
#include "probe.h"

#include <cstring>

#include "podtrace_common.h"
#include "text.h"

namespace podtrace::tracer {

void Probe::enqueue(const void* data, size_t size) {
  if (queue_.size() >= kMaxQueued) {
    ++queue_dropped_;
    return;
  }
  const auto* bytes = static_cast<const uint8_t*>(data);
  queue_.emplace_back(bytes, bytes + size);
}

std::vector<std::vector<uint8_t>> Probe::take_queue() {
  std::vector<std::vector<uint8_t>> out(std::make_move_iterator(queue_.begin()),
                                        std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

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
