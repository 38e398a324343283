// SPDX-License-Identifier: Apache-2.0
// live_screen.h: `--live`: a compact, top-like screen redrawn once a second from the tracers'
// latest summaries: where each process's time goes, the findings so far, and the busiest files,
// endpoints and statements. Pure: the session decides when and where to draw it.
#pragma once

#include <string>

#include "style.h"
#include "trace/session_report.h"

namespace podtrace::plugin {

struct LiveClock {
  double elapsed_s = 0;
  double total_s = 0;
};

// The whole screen, lines of at most `width` columns (traced names are cut to fit).
std::string render_live_screen(const SessionReport& report, LiveClock clock, const Style& style,
                               size_t width);

// One plain line per pod, for output that is not a terminal (no cursor movement).
std::string render_live_lines(const SessionReport& report, LiveClock clock);

}  // namespace podtrace::plugin
