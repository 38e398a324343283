// SPDX-License-Identifier: Apache-2.0
// activity_map.cpp: creates the shared per-thread activity map and hands it to each object.
#include "activity_map.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include "activity.h"
#include "libbpf_util.h"

namespace podtrace::tracer {

ActivityMap::~ActivityMap() {
  if (fd_ >= 0) close(fd_);
}

Status ActivityMap::create(bool on_demand) {
  if (fd_ >= 0) return ok_status();
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = on_demand ? unsigned{BPF_F_NO_PREALLOC} : 0u);
  const int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "pt_activity", sizeof(__u32),
                                sizeof(pt_thread_activity), PT_ACTIVITY_MAX_THREADS, &opts);
  if (fd < 0) return make_error("cannot create the activity map: " + libbpf_error(fd));
  fd_ = fd;
  return ok_status();
}

Status share_activity_map(bpf_object* obj, int fd) {
  if (fd < 0) return ok_status();
  bpf_map* map = bpf_object__find_map_by_name(obj, "pt_activity");
  if (!map) return ok_status();
  if (int err = bpf_map__reuse_fd(map, fd); err)
    return make_error("cannot share the activity map: " + libbpf_error(err));
  return ok_status();
}

}  // namespace podtrace::tracer
