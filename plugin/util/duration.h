// SPDX-License-Identifier: Apache-2.0
// Go-style durations ("30s", "1m30s", "500ms") as accepted by --diagnose and passed to the tracer.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "result.h"

namespace podtrace::plugin {

Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// Formats as the tracer expects it: whole seconds as "20s", otherwise "1500ms".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace podtrace::plugin
