// SPDX-License-Identifier: Apache-2.0
// format.h: human units for durations and sizes.
#pragma once

#include <cstdint>
#include <string>

namespace podtrace {

std::string human_ns(uint64_t ns);     // "812 ns", "4.2 ms", "1.30 s"
std::string human_bytes(uint64_t n);   // "512 B", "4.0 KiB"

}  // namespace podtrace
