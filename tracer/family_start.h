// SPDX-License-Identifier: Apache-2.0
// family_start.h: starting every diagnostic family at once. A family's start is mostly the
// kernel verifying its programs (CPU) and waiting on grace periods (idle); one thread per family
// overlaps them, where one after the other they add up (docs/performance.md, start-up).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "probes/probe.h"
#include "report.h"

namespace podtrace::tracer {

struct StartedFamily {
  DiagnosticStatus status;       // enabled with its attach type, or why not
  std::unique_ptr<Probe> probe;  // null unless enabled
};

// Every family of families(), in its order; those named in `disabled` are not started. `config`
// and its KernelFeatures are shared by the threads, so the features must answer from several
// threads (LiveKernelFeatures does; probe them all first to keep the answers cached).
// `core_btf`: the file the loads' CO-RE relocations use (tracer/core_btf_cache.h), empty for
// the kernel's BTF.
std::vector<StartedFamily> start_families_at_once(const ProbeConfig& config,
                                                  const std::set<std::string>& disabled,
                                                  const std::string& core_btf = {});

// Destroys the probes, one thread each, and returns when all are gone: closing a link can wait
// for RCU grace periods, and the families' waits overlap.
void stop_families_at_once(std::vector<std::unique_ptr<Probe>> probes);

}  // namespace podtrace::tracer
