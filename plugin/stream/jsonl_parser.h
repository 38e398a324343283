// SPDX-License-Identifier: Apache-2.0
// Incremental parser for the tracer's JSON lines: fed arbitrary chunks, yields typed records.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace podtrace::plugin {

enum class LineType { start, event, summary, report, error, unknown };

struct TracerLine {
  LineType type = LineType::unknown;
  nlohmann::json data;  // always an object
};

// Parses one complete line; std::nullopt for garbage (not JSON, not an object, no string
// "type", nested deeper than max_depth). Unknown types are returned as LineType::unknown.
std::optional<TracerLine> parse_tracer_line(std::string_view line);

class JsonLinesParser {
 public:
  using Sink = std::function<void(TracerLine&&)>;

  // Longest accepted line; anything longer is dropped as garbage without being buffered.
  static constexpr size_t max_line = 8u << 20;
  static constexpr int max_depth = 64;

  explicit JsonLinesParser(Sink sink) : sink_(std::move(sink)) {}

  void feed(std::string_view chunk);

  // End of stream: a last line without '\n' is parsed too.
  void finish();

  // The connection dropped mid-line: forget the partial line, it will be sent again.
  void discard_partial();

  size_t lines() const { return lines_; }  // complete lines seen (incl. garbage, blank excluded)
  size_t garbage() const { return garbage_; }  // lines that were skipped

 private:
  void take_line(std::string_view line);

  Sink sink_;
  std::string partial_;
  bool overflow_ = false;
  size_t lines_ = 0;
  size_t garbage_ = 0;
};

}  // namespace podtrace::plugin
