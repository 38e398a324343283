// SPDX-License-Identifier: Apache-2.0
// probe_config.h: a family's probe run inside the test process, for tests that read its maps and
// fill reports themselves.
#pragma once

#include "kernel_features.h"
#include "kernel_test_util.h"
#include "probes/probe.h"

namespace podtrace::tracer::testing {

// The configuration of a probe on `target`'s cgroup; `features` must outlive the probe's start.
inline ProbeConfig probe_config(const TestCgroup& target, const KernelFeatures& features) {
  ProbeConfig config;
  config.features = &features;
  config.cgroup_ids = {target.id()};
  config.cgroup_paths = {target.v2()};
  return config;
}

}  // namespace podtrace::tracer::testing
