// SPDX-License-Identifier: Apache-2.0
// json_read.h: lenient readers for report JSON that came over the wire. A member that is missing
// or has the wrong type leaves the field at its default and reads as false: a damaged or newer
// report degrades field by field instead of failing as a whole.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace podtrace {

// The member `key` if `j` is an object that has it, else nullptr.
const nlohmann::json* json_member(const nlohmann::json& j, std::string_view key);

bool read_field(const nlohmann::json& j, std::string_view key, uint64_t& out);
bool read_field(const nlohmann::json& j, std::string_view key, uint32_t& out);
bool read_field(const nlohmann::json& j, std::string_view key, uint16_t& out);
bool read_field(const nlohmann::json& j, std::string_view key, int64_t& out);
bool read_field(const nlohmann::json& j, std::string_view key, int& out);
bool read_field(const nlohmann::json& j, std::string_view key, double& out);
bool read_field(const nlohmann::json& j, std::string_view key, bool& out);
bool read_field(const nlohmann::json& j, std::string_view key, std::string& out);
bool read_field(const nlohmann::json& j, std::string_view key,
                std::map<std::string, uint64_t>& out);

// A nested object of a type with its own from_json.
template <typename T>
bool read_object(const nlohmann::json& j, std::string_view key, T& out) {
  const auto* v = json_member(j, key);
  if (!v || !v->is_object()) return false;
  from_json(*v, out);
  return true;
}

// An array of objects of a type with its own from_json; non-object elements are skipped.
template <typename T>
bool read_array(const nlohmann::json& j, std::string_view key, std::vector<T>& out) {
  const auto* v = json_member(j, key);
  if (!v || !v->is_array()) return false;
  out.clear();
  for (const auto& element : *v) {
    if (!element.is_object()) continue;
    T item{};
    from_json(element, item);
    out.push_back(std::move(item));
  }
  return true;
}

}  // namespace podtrace
