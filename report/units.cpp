// SPDX-License-Identifier: Apache-2.0
// Three significant digits are enough to compare latencies at a glance.
#include "units.h"

#include <cctype>
#include <stdexcept>
#include <string>

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

Result<uint64_t> parse_duration_ns(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  const std::string number = text.substr(0, i), unit = text.substr(i);
  double value = 0;
  try {
    size_t used = 0;
    value = std::stod(number, &used);
    if (used != number.size()) throw std::invalid_argument("trailing");
  } catch (...) {
    return make_error("invalid duration \"" + text + "\": use e.g. 30s, 500ms, 2m");
  }
  double scale = 0;
  if (unit.empty() || unit == "s")
    scale = 1e9;
  else if (unit == "ms")
    scale = 1e6;
  else if (unit == "us")
    scale = 1e3;
  else if (unit == "ns")
    scale = 1;
  else if (unit == "m")
    scale = 60e9;
  else if (unit == "h")
    scale = 3600e9;
  else
    return make_error("invalid duration \"" + text + "\": unknown unit \"" + unit + "\"");
  const double ns = value * scale;
  if (ns > 7 * 24 * 3600e9)
    return make_error("invalid duration \"" + text + "\": longer than a week");
  return static_cast<uint64_t>(ns);
}

}  // namespace podtrace
