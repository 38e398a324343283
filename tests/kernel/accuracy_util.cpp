// SPDX-License-Identifier: Apache-2.0
#include "accuracy_util.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

namespace podtrace::tracer::testing {

void check_accuracy(const nlohmann::json& report, const AccuracyCase& c) {
  const auto& findings = report["findings"];
  std::string first = "(no finding)";
  bool top = false;
  if (findings.is_array() && !findings.empty()) {
    const auto& f = findings[0];
    first = f.value("title", "");
    top = f.value("family", "") == c.family && first.starts_with(c.title_prefix);
  }
  const double error = c.injected ? std::fabs(c.measured - c.injected) / c.injected : 1;
  std::printf("ACCURACY|%s|%s|%g|%.4g|%s|%s|%s\n", c.scenario.c_str(), c.figure.c_str(), c.injected,
              c.measured, c.unit.c_str(), top ? "yes" : "no", first.c_str());
  std::fflush(stdout);
  EXPECT_TRUE(top) << c.scenario << ": the first finding is not \"" << c.title_prefix << "…\" from "
                   << c.family << ": " << findings.dump(1);
  EXPECT_LE(error, kAccuracyTolerance) << fmt::format(
      "{}: measured {} {} for {} {} injected", c.scenario, c.measured, c.unit, c.injected, c.unit);
}

}  // namespace podtrace::tracer::testing
