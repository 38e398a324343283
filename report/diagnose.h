// SPDX-License-Identifier: Apache-2.0
// diagnose.h: turns a report into findings a user can act on, most severe first. Each section
// holds its own rules; this adds the tracer's own (lost events) and orders them.
#pragma once

#include <vector>

#include "report.h"

namespace podtrace {

std::vector<Finding> diagnose(const Report& report, const DiagnoseThresholds& t = {});

}  // namespace podtrace
