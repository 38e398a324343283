// SPDX-License-Identifier: Apache-2.0
// activity_map.h: the one per-thread activity map of a trace (bpf/activity.bpf.h). The dns, db
// and locks objects write it from their uprobes and the cpu object reads it when a thread
// leaves the CPU, so all of them must use the same map: the session creates it and every object
// that declares `pt_activity` reuses its fd before load.
#pragma once

#include <bpf/libbpf.h>

#include "result.h"

namespace podtrace::tracer {

// Owns the map's fd.
class ActivityMap {
 public:
  ActivityMap() = default;
  ~ActivityMap();
  ActivityMap(const ActivityMap&) = delete;
  ActivityMap& operator=(const ActivityMap&) = delete;

  // `on_demand`: entries allocated on update (AttachType::kHashOnDemand), as the families' own
  // hash maps are where the kernel allows it.
  Status create(bool on_demand);
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// Points the object's `pt_activity` map, if it has one, at `fd`. With fd < 0 the object keeps
// its own (a family loaded alone, as in --check).
Status share_activity_map(bpf_object* obj, int fd);

}  // namespace podtrace::tracer
