// SPDX-License-Identifier: Apache-2.0
// diagnose.h: turns a report into findings a user can act on, most severe first. Each section
// holds its own rules; this adds the tracer's own (lost events) and orders them.
#pragma once

#include <vector>

#include "report.h"

namespace podtrace {

std::vector<Finding> diagnose(const Report& report, const DiagnoseThresholds& t = {});

// Sets each finding's share of the pod's time from the time section (state, time_ns,
// time_share); without a time section they stay unset.
void explain_findings(const Report& r, std::vector<Finding>& findings);

// Most severe first, then the most time explained, keeping the order among equals. The tracer calls it again after adding its
// own findings (the target exited, restarts), so an informational note never sits above a fault.
void rank_findings(std::vector<Finding>& findings);

}  // namespace podtrace
