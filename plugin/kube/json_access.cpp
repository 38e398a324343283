// SPDX-License-Identifier: Apache-2.0
// json_access.cpp: defensive reads of API server objects.
#include "kube/json_access.h"

#include "terminal_safe.h"

namespace podtrace::plugin {

std::optional<int64_t> get_i64(const nlohmann::json& obj, const char* key) {
  int64_t value = 0;
  if (!read_field(obj, key, value)) return std::nullopt;
  return value;
}

std::string get_text(const nlohmann::json& obj, const char* key, const std::string& fallback) {
  std::string value;
  if (!read_field(obj, key, value)) return fallback;
  return sanitize_for_terminal(value);
}

}  // namespace podtrace::plugin
