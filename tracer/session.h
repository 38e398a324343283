// SPDX-License-Identifier: Apache-2.0
// session.h: one trace from start to final report: resolve, start probes, poll, summarize, end.
#pragma once

#include <cstdio>
#include <memory>
#include <vector>

#include "kernel_features.h"
#include "options.h"
#include "probes/probe.h"

namespace podtrace::tracer {

// Runs the trace and writes to `out`. Returns the process exit code.
int run_session(const SessionOptions& options, const KernelFeatures& features, FILE* out);

// --check: the feature table and each diagnostic's choice.
int run_check(const KernelFeatures& features, SyscallHooks syscall_hooks, FILE* out);

}  // namespace podtrace::tracer
