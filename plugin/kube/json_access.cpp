// SPDX-License-Identifier: Apache-2.0
// nlohmann::json accessors that never throw on hostile input.
#include "kube/json_access.h"

#include <cmath>

#include "terminal_safe.h"

namespace podtrace::plugin {

using json = nlohmann::json;

const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::optional<uint64_t> get_u64(const json& obj, const char* key) {
  const json* v = member(obj, key);
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  if (v->is_number_integer()) {
    int64_t i = v->get<int64_t>();
    return i < 0 ? std::nullopt : std::optional<uint64_t>(static_cast<uint64_t>(i));
  }
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (!std::isfinite(d) || d < 0 || d > 1.8e19) return std::nullopt;
    return static_cast<uint64_t>(d);
  }
  return std::nullopt;
}

std::optional<int64_t> get_i64(const json& obj, const char* key) {
  const json* v = member(obj, key);
  if (!v) return std::nullopt;
  if (v->is_number_integer() && !v->is_number_unsigned()) return v->get<int64_t>();
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    return u > INT64_MAX ? std::nullopt : std::optional<int64_t>(static_cast<int64_t>(u));
  }
  return std::nullopt;
}

std::optional<double> get_number(const json& obj, const char* key) {
  const json* v = member(obj, key);
  if (!v || !v->is_number()) return std::nullopt;
  double d = v->get<double>();
  return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
}

std::optional<bool> get_bool(const json& obj, const char* key) {
  const json* v = member(obj, key);
  if (!v || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}

std::string get_text(const json& obj, const char* key, const std::string& fallback) {
  const json* v = member(obj, key);
  if (!v || !v->is_string()) return fallback;
  return sanitize_for_terminal(v->get_ref<const std::string&>());
}

std::string scalar_text(const json& value) {
  if (value.is_string()) return sanitize_for_terminal(value.get_ref<const std::string&>());
  if (value.is_primitive())
    return sanitize_for_terminal(value.dump(-1, ' ', true, json::error_handler_t::replace));
  return {};
}

}  // namespace podtrace::plugin
