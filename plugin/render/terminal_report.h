// SPDX-License-Identifier: Apache-2.0
// The report for humans: findings first, then one section per diagnostic family.
#pragma once

#include <ostream>

#include "render/style.h"
#include "report/session_report.h"

namespace podtrace {

void render_terminal_report(const SessionReport &report, const Style &style, std::ostream &out);

} // namespace podtrace
