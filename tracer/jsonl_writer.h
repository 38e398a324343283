// SPDX-License-Identifier: Apache-2.0
// jsonl_writer.h: writes one JSON object per line with the schema envelope.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace podtrace::tracer {

// Serializes with invalid UTF-8 replaced by U+FFFD, so a hostile path cannot break the stream.
std::string to_jsonl(const std::string& type, nlohmann::json body, uint64_t ts_ns);

class JsonlWriter {
 public:
  explicit JsonlWriter(FILE* out) : out_(out) {}
  // `flush` false leaves the line in stdio's buffer: event lines, which can come by the hundred
  // thousand a second, are flushed once per poll tick (flush()) instead of one write(2) each.
  void write(const std::string& type, nlohmann::json body, bool flush = true);
  void flush();

 private:
  FILE* out_;
};

uint64_t wall_clock_ns();

}  // namespace podtrace::tracer
