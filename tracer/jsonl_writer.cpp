// SPDX-License-Identifier: Apache-2.0
// jsonl_writer.cpp: the JSON-lines envelope and its safe serialization.
#include "jsonl_writer.h"

#include <chrono>

#include "report.h"

namespace podtrace::tracer {

uint64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string to_jsonl(const std::string& type, nlohmann::json body, uint64_t ts_ns) {
  nlohmann::json line = {{"schema_version", kSchemaVersion}, {"type", type}, {"ts_ns", ts_ns}};
  for (auto& [k, v] : body.items()) line[k] = std::move(v);
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void JsonlWriter::write(const std::string& type, nlohmann::json body, bool flush) {
  const std::string line = to_jsonl(type, std::move(body), wall_clock_ns());
  fwrite(line.data(), 1, line.size(), out_);
  if (flush) fflush(out_);
}

void JsonlWriter::flush() { fflush(out_); }

}  // namespace podtrace::tracer
