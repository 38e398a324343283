// SPDX-License-Identifier: Apache-2.0
// smoke_checks.h: the verdicts of `kubectl podtrace smoke`, one row per check, and the pure
// judgement of the canary's report: the counts the canary caused must be exactly there.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report.h"
#include "smoke/canary.h"

namespace podtrace::plugin {

enum class CheckResult { pass, fail, skip };

struct SmokeCheck {
  std::string name;
  CheckResult result = CheckResult::skip;
  std::string detail;
};

std::string_view check_result_name(CheckResult r);

// The attach types every family has a rung on: a node with all of them working must run every
// family, so a disabled one there is a failure, not a kernel limit.
const std::vector<std::string>& base_attach_types();

// file-io, dns, families and kernel rows from the tracer's final report of the canary, given
// what the canary says it did (nullopt: it never printed its `done` line).
std::vector<SmokeCheck> check_canary_report(const Report& report, const CanaryWorkload& workload,
                                            const std::optional<CanaryDone>& done);

}  // namespace podtrace::plugin
