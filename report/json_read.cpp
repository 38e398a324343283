// SPDX-License-Identifier: Apache-2.0
// json_read.cpp: lenient typed reads of report JSON.
#include "json_read.h"

#include <cmath>
#include <limits>

namespace podtrace {

const nlohmann::json* json_member(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

namespace {

// Integers as JSON writes them; a float is accepted when the tracer's writer could have
// produced it (never negative for unsigned fields), rounded down.
template <typename Int>
bool read_integer(const nlohmann::json& j, std::string_view key, Int& out) {
  const auto* v = json_member(j, key);
  if (!v) return false;
  if (v->is_number_unsigned()) {
    const auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<Int>::max())) return false;
    out = static_cast<Int>(u);
    return true;
  }
  if (v->is_number_integer()) {
    const auto i = v->get<int64_t>();
    if (i < static_cast<int64_t>(std::numeric_limits<Int>::min())) return false;
    if (i > 0 && static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<Int>::max()))
      return false;
    out = static_cast<Int>(i);
    return true;
  }
  if (v->is_number_float()) {
    const double d = std::floor(v->get<double>());
    if (!std::isfinite(d) || d < static_cast<double>(std::numeric_limits<Int>::min()) ||
        d >= static_cast<double>(std::numeric_limits<Int>::max()))
      return false;
    out = static_cast<Int>(d);
    return true;
  }
  return false;
}

}  // namespace

bool read_field(const nlohmann::json& j, std::string_view key, uint64_t& out) {
  return read_integer(j, key, out);
}
bool read_field(const nlohmann::json& j, std::string_view key, uint32_t& out) {
  return read_integer(j, key, out);
}
bool read_field(const nlohmann::json& j, std::string_view key, uint16_t& out) {
  return read_integer(j, key, out);
}
bool read_field(const nlohmann::json& j, std::string_view key, int64_t& out) {
  return read_integer(j, key, out);
}
bool read_field(const nlohmann::json& j, std::string_view key, int& out) {
  return read_integer(j, key, out);
}

bool read_field(const nlohmann::json& j, std::string_view key, double& out) {
  const auto* v = json_member(j, key);
  if (!v || !v->is_number()) return false;
  out = v->get<double>();
  return true;
}

bool read_field(const nlohmann::json& j, std::string_view key, bool& out) {
  const auto* v = json_member(j, key);
  if (!v || !v->is_boolean()) return false;
  out = v->get<bool>();
  return true;
}

bool read_field(const nlohmann::json& j, std::string_view key, std::string& out) {
  const auto* v = json_member(j, key);
  if (!v || !v->is_string()) return false;
  out = v->get<std::string>();
  return true;
}

bool read_field(const nlohmann::json& j, std::string_view key,
                std::map<std::string, uint64_t>& out) {
  const auto* v = json_member(j, key);
  if (!v || !v->is_object()) return false;
  out.clear();
  for (const auto& [name, count] : v->items()) {
    uint64_t n = 0;
    if (read_integer(*v, name, n)) out[name] = n;
  }
  return true;
}

}  // namespace podtrace
