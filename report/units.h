// SPDX-License-Identifier: Apache-2.0
// units.h: human units for nanoseconds and bytes: "48.2ms", "1.50s", "812µs", "4.0 KiB".
#pragma once

#include <cstdint>
#include <string>

namespace podtrace {

std::string format_ns(uint64_t ns);
std::string format_bytes(uint64_t bytes);

}  // namespace podtrace
