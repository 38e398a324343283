// SPDX-License-Identifier: Apache-2.0
// Parses Go-style durations: a sequence of <number><unit> with units ms, s, m, h.
#include "util/duration.h"

#include <fmt/format.h>

#include <cctype>

namespace podtrace::plugin {

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return make_error("empty duration");
  long long total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    long long value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      value = value * 10 + (text[i] - '0');
      if (value > 1'000'000'000)
        return make_error(fmt::format("duration \"{}\" is too large", text));
      i++;
    }
    if (i == start)
      return make_error(fmt::format("invalid duration \"{}\": expected a number, e.g. 30s", text));
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) i++;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    long long factor;
    if (unit == "ms")
      factor = 1;
    else if (unit == "s")
      factor = 1000;
    else if (unit == "m")
      factor = 60'000;
    else if (unit == "h")
      factor = 3'600'000;
    else
      return make_error(fmt::format("invalid duration \"{}\": unit must be ms, s, m or h", text));
    total_ms += value * factor;
  }
  if (total_ms <= 0) return make_error(fmt::format("duration \"{}\" must be positive", text));
  return std::chrono::milliseconds(total_ms);
}

std::string format_duration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}ms", d.count());
}

}  // namespace podtrace::plugin
