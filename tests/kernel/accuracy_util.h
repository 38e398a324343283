// SPDX-License-Identifier: Apache-2.0
// accuracy_util.h: the check every accuracy scenario ends with: the injected fault is the
// report's first finding, and the figure the tracer measured is within 10% of the injected one.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace podtrace::tracer::testing {

struct AccuracyCase {
  std::string scenario;  // a short id: the row of docs/accuracy.md
  std::string figure;    // what was compared
  double injected = 0;
  double measured = 0;
  std::string unit;
  std::string family;        // the family the first finding must come from
  std::string title_prefix;  // and how its title starts
};

// The allowed error of a measured figure, as a share of the injected one.
inline constexpr double kAccuracyTolerance = 0.10;

// Prints one "ACCURACY|scenario|figure|injected|measured|unit|top|first title" line (what
// scripts/accuracy-table reads) and fails the test unless the finding is first and the figure
// is within the tolerance.
void check_accuracy(const nlohmann::json& report, const AccuracyCase& c);

}  // namespace podtrace::tracer::testing
