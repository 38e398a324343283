// SPDX-License-Identifier: Apache-2.0
// units.h: human units for nanoseconds and bytes: "48.2ms", "1.50s", "812µs", "4.0 KiB".
#pragma once

#include <cstdint>
#include <string>

#include "result.h"

namespace podtrace {

std::string format_ns(uint64_t ns);
std::string format_bytes(uint64_t bytes);

// "10s", "250ms", "2m", "1h", "1500us", "0". Plain numbers are seconds; at most a week.
Result<uint64_t> parse_duration_ns(const std::string& text);

}  // namespace podtrace
