// SPDX-License-Identifier: Apache-2.0
// in_process_trace.h: a trace run inside the test process on a kernel that offers one attach
// type, so a family's fallback programs are exercised for real.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "kernel_features.h"

namespace podtrace::tracer::testing {

struct InProcessTrace {
  int exit_code = -1;
  std::vector<nlohmann::json> lines;
  // The family's entry of the start line's diagnostics (null when absent).
  nlohmann::json diagnostic(const std::string& family) const;
  const nlohmann::json& report() const { return lines.back(); }
};

// Traces `cgroup` with only `type` (and the ring buffer) working and `disabled` families off;
// `on_start` runs once the start line is out. Returns when the target's cgroup empties.
InProcessTrace trace_with_only(AttachType type, const std::string& cgroup,
                               const std::set<std::string>& disabled,
                               const std::function<void()>& on_start);

}  // namespace podtrace::tracer::testing
