// SPDX-License-Identifier: Apache-2.0
// terminal_report.h: the plugin's report for people: one block per traced pod.
#pragma once

#include <ostream>

#include "style.h"
#include "text_writer.h"
#include "trace/session_report.h"

namespace podtrace::plugin {

// One pod: its heading, what went wrong with its trace, and its report (terminal or HTML mode).
void render_pod(TextWriter& out, const PodTrace& pod);

void render_terminal_report(const SessionReport& report, const Style& style, std::ostream& out,
                            const RenderOptions& options = {});

}  // namespace podtrace::plugin
