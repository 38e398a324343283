// SPDX-License-Identifier: Apache-2.0
// thresholds.h: the findings' thresholds by name, so a user can set them (`--threshold
// NAME=VALUE`, or a file of such lines) and the docs can list them from one table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "finding.h"
#include "result.h"

namespace podtrace {

struct ThresholdInfo {
  std::string_view name;
  std::string_view kind;  // "duration" (10ms), "ratio" (0.1 or 10%), "rate" (per second), "count"
  std::string_view meaning;
};

// Every settable threshold, in documentation order.
const std::vector<ThresholdInfo>& threshold_catalogue();

// Applies "name=value". The error names the threshold and what it accepts.
Status set_threshold(DiagnoseThresholds& t, std::string_view assignment);

// Applies every "name=value" line of a file's text; blank lines and `#` comments are skipped.
Status set_thresholds_from_text(DiagnoseThresholds& t, std::string_view text);

// The current value, in the form set_threshold() accepts ("10ms", "0.1", "100").
std::string threshold_value(const DiagnoseThresholds& t, std::string_view name);

}  // namespace podtrace
