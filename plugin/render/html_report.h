// SPDX-License-Identifier: Apache-2.0
// html_report.h: --html FILE: the session's pods on one self-contained page, each as the
// terminal report shows it (trace errors included), plus the flame graph and kernel table.
#pragma once

#include <string>

#include "result.h"
#include "trace/session_report.h"

namespace podtrace::plugin {

std::string render_html_report(const SessionReport& report);

// Writes the page; the error names the file.
Status write_html_report(const SessionReport& report, const std::string& path);

}  // namespace podtrace::plugin
