// SPDX-License-Identifier: Apache-2.0
// Defensive accessors for API server JSON: wrong types read as absent, strings come back sanitized.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace podtrace::plugin {

// The member `key` if `obj` is an object that has it, else nullptr.
const nlohmann::json* member(const nlohmann::json& obj, const char* key);

// A non-negative integer (or a float rounded down); std::nullopt otherwise.
std::optional<uint64_t> get_u64(const nlohmann::json& obj, const char* key);
std::optional<int64_t> get_i64(const nlohmann::json& obj, const char* key);
std::optional<double> get_number(const nlohmann::json& obj, const char* key);
std::optional<bool> get_bool(const nlohmann::json& obj, const char* key);

// The string sanitized for a terminal, or `fallback` when absent or not a string.
std::string get_text(const nlohmann::json& obj, const char* key, const std::string& fallback = {});

// Any scalar as sanitized text (numbers as JSON writes them).
std::string scalar_text(const nlohmann::json& value);

}  // namespace podtrace::plugin
