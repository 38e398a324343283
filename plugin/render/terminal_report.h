// SPDX-License-Identifier: Apache-2.0
// terminal_report.h: the plugin's report for people: one block per traced pod.
#pragma once

#include <ostream>

#include "style.h"
#include "text_writer.h"
#include "trace/session_report.h"

namespace podtrace::plugin {

void render_terminal_report(const SessionReport& report, const Style& style, std::ostream& out,
                            const RenderOptions& options = {});

}  // namespace podtrace::plugin
