// SPDX-License-Identifier: Apache-2.0
// json_access.h: defensive reads of API server objects for messages to the user: wrong types
// read as absent, and text comes back safe for a terminal. (Report JSON is read through the
// report library's typed readers instead.)
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "json_read.h"

namespace podtrace::plugin {

// The member `key` if `obj` is an object that has it, else nullptr.
inline const nlohmann::json* member(const nlohmann::json& obj, const char* key) {
  return json_member(obj, key);
}

// An integer (a float rounded down); std::nullopt otherwise.
std::optional<int64_t> get_i64(const nlohmann::json& obj, const char* key);

// The string sanitized for a terminal, or `fallback` when absent or not a string.
std::string get_text(const nlohmann::json& obj, const char* key, const std::string& fallback = {});

}  // namespace podtrace::plugin
