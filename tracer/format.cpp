// SPDX-License-Identifier: Apache-2.0
// format.cpp: human units for durations and sizes.
#include "format.h"

#include <fmt/format.h>

namespace podtrace {

std::string human_ns(uint64_t ns) {
  if (ns < 1000) return fmt::format("{} ns", ns);
  if (ns < 1000'000) return fmt::format("{:.1f} us", ns / 1e3);
  if (ns < 1000'000'000) return fmt::format("{:.1f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

std::string human_bytes(uint64_t n) {
  if (n < 1024) return fmt::format("{} B", n);
  if (n < 1024 * 1024) return fmt::format("{:.1f} KiB", n / 1024.0);
  if (n < 1024ull * 1024 * 1024) return fmt::format("{:.1f} MiB", n / (1024.0 * 1024));
  return fmt::format("{:.2f} GiB", n / (1024.0 * 1024 * 1024));
}

}  // namespace podtrace
