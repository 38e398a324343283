// SPDX-License-Identifier: Apache-2.0
// event_line.cpp: live event lines: the fields a human scans first, then the rest as key=value.
#include "event_line.h"

#include <fmt/format.h>

#include <ctime>
#include <set>

#include "terminal_safe.h"
#include "units.h"

namespace podtrace {

namespace {

std::string value_text(const EventValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>)
          return "";
        else if constexpr (std::is_same_v<T, bool>)
          return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::string>)
          return sanitize_for_terminal(x);
        else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string joined;
          for (const auto& a : x) joined += (joined.empty() ? "" : " ") + sanitize_for_terminal(a);
          return "[" + joined + "]";
        } else
          return fmt::format("{}", x);
      },
      v.get());
}

std::string field_text(const Event& e, std::string_view key) {
  const EventValue* v = e.find(key);
  return v ? value_text(*v) : "";
}

}  // namespace

std::string format_event(const Event& e, const std::string& pod, const Style& style) {
  std::string line;
  if (e.ts_ns) {
    const time_t secs = static_cast<time_t>(e.ts_ns / 1'000'000'000);
    std::tm tm{};
    localtime_r(&secs, &tm);
    char buf[16];
    std::strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
    line += style.dim(fmt::format("{}.{:03} ", buf, (e.ts_ns / 1'000'000) % 1000));
  }
  if (!pod.empty()) line += style.cyan(sanitize_for_terminal(pod)) + " ";
  const std::string family = e.family.empty() ? "?" : sanitize_for_terminal(e.family);
  const std::string kind = e.kind.empty() ? "?" : sanitize_for_terminal(e.kind);
  line += family + " ";
  line += kind == "error" ? style.red(kind) : kind == "slow" ? style.yellow(kind) : kind;
  if (auto op = field_text(e, "op"); !op.empty()) line += " " + style.bold(op);
  if (auto path = field_text(e, "path"); !path.empty()) line += " " + path;
  if (auto argv = field_text(e, "argv"); !argv.empty()) line += " " + argv;
  if (const EventValue* lat = e.find("latency_ns"))
    if (auto ns = lat->as_u64()) line += " " + format_ns(*ns);
  if (auto error = field_text(e, "error"); !error.empty()) line += " " + style.red(error);
  if (e.pid) line += fmt::format(" {}[{}]", sanitize_for_terminal(e.comm), e.pid);
  // Fields not shown above, so new tracer fields are visible without a plugin update.
  static const std::set<std::string, std::less<>> shown = {"op",         "path",  "argv",
                                                           "latency_ns", "error", "errno"};
  for (const auto& [key, value] : e.fields) {
    if (shown.count(key) || std::holds_alternative<std::monostate>(value.get())) continue;
    line += style.dim(fmt::format(" {}={}", sanitize_for_terminal(key), value_text(value)));
  }
  return line;
}

}  // namespace podtrace
