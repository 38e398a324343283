// SPDX-License-Identifier: Apache-2.0
// helper_support.cpp: libbpf_probe_bpf_helper() with a cache.
#include "probes/helper_support.h"

#include <bpf/libbpf.h>

#include <map>
#include <mutex>
#include <utility>

namespace podtrace::tracer {

bool helper_available(bpf_prog_type type, bpf_func_id helper) {
  static std::mutex mutex;
  static std::map<std::pair<int, int>, bool> cache;
  std::lock_guard lock(mutex);
  auto [it, inserted] = cache.try_emplace({type, helper}, false);
  // 1: available; 0: the verifier refused the call; <0: the probe itself failed (no answer,
  // so the program keeps the call and the load reports the real error).
  if (inserted) it->second = libbpf_probe_bpf_helper(type, helper, nullptr) != 0;
  return it->second;
}

CurrentHelpers current_helpers(bpf_prog_type type) {
  return {helper_available(type, BPF_FUNC_get_current_pid_tgid),
          helper_available(type, BPF_FUNC_get_current_comm)};
}

}  // namespace podtrace::tracer
