// SPDX-License-Identifier: Apache-2.0
// Three significant digits are enough to compare latencies at a glance.
#include "units.h"

#include <fmt/format.h>

namespace podtrace {

std::string format_ns(uint64_t ns) {
  double v = static_cast<double>(ns);
  if (ns < 1'000) return fmt::format("{}ns", ns);
  if (ns < 1'000'000) return fmt::format("{:.{}f}µs", v / 1e3, v < 1e4 ? 2 : v < 1e5 ? 1 : 0);
  if (ns < 1'000'000'000) return fmt::format("{:.{}f}ms", v / 1e6, v < 1e7 ? 2 : v < 1e8 ? 1 : 0);
  return fmt::format("{:.2f}s", v / 1e9);
}

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  static const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    u++;
  }
  return fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace podtrace
