// SPDX-License-Identifier: Apache-2.0
// report_text.h: the report for people (--output text).
#pragma once

#include <string>

#include "report.h"

namespace podtrace {

std::string render_text(const Report& report, const std::string& target);

}  // namespace podtrace
