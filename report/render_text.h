// SPDX-License-Identifier: Apache-2.0
// render_text.h: the terminal report, written once for `podtrace-tracer --output text` and for
// `kubectl podtrace`: findings first, one compact section per family, then the tracer's health.
#pragma once

#include <string>

#include "report.h"
#include "text_writer.h"

namespace podtrace {

// Everything below the caller's heading line: duration, findings (final reports), every section
// in registry order, lost events and disabled diagnostics.
void render_report_body(TextWriter& out, const Report& report);

}  // namespace podtrace
