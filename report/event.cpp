// SPDX-License-Identifier: Apache-2.0
// event.cpp: the event model and its JSON form.
#include "event.h"

#include <nlohmann/json.hpp>
#include <tuple>

#include "json_read.h"

namespace podtrace {

std::optional<uint64_t> EventValue::as_u64() const {
  if (const auto* u = std::get_if<uint64_t>(&v_)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v_); i && *i >= 0) return static_cast<uint64_t>(*i);
  return std::nullopt;
}

std::string EventValue::as_string() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  return {};
}

EventValue& Event::operator[](std::string_view key) {
  for (auto& [k, v] : fields)
    if (k == key) return v;
  return fields.emplace_back(std::string(key), EventValue{}).second;
}

const EventValue* Event::find(std::string_view key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return &v;
  return nullptr;
}

bool Event::operator==(const Event& o) const {
  if (std::tie(ts_ns, ktime_ns, family, kind, pid, tid, comm, cgroup_id) !=
          std::tie(o.ts_ns, o.ktime_ns, o.family, o.kind, o.pid, o.tid, o.comm, o.cgroup_id) ||
      fields.size() != o.fields.size())
    return false;
  for (const auto& [key, value] : fields) {
    const EventValue* other = o.find(key);
    if (!other || !(*other == value)) return false;
  }
  return true;
}

namespace {

constexpr std::string_view kHeader[] = {"schema_version", "type", "ts_ns", "ktime_ns", "family",
                                        "kind",           "pid",  "tid",   "comm",     "cgroup_id"};

bool is_header(std::string_view key) {
  for (auto h : kHeader)
    if (h == key) return true;
  return false;
}

nlohmann::json value_json(const EventValue& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::json {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>)
          return nullptr;
        else
          return x;
      },
      v.get());
}

}  // namespace

void to_json(nlohmann::json& j, const Event& e) {
  j = {{"family", e.family}, {"kind", e.kind},           {"pid", e.pid},          {"tid", e.tid},
       {"comm", e.comm},     {"cgroup_id", e.cgroup_id}, {"ktime_ns", e.ktime_ns}};
  for (const auto& [key, value] : e.fields) j[key] = value_json(value);
}

void from_json(const nlohmann::json& j, Event& e) {
  read_field(j, "ts_ns", e.ts_ns);
  read_field(j, "ktime_ns", e.ktime_ns);
  read_field(j, "family", e.family);
  read_field(j, "kind", e.kind);
  read_field(j, "pid", e.pid);
  read_field(j, "tid", e.tid);
  read_field(j, "comm", e.comm);
  read_field(j, "cgroup_id", e.cgroup_id);
  e.fields.clear();
  if (!j.is_object()) return;
  for (const auto& [key, v] : j.items()) {
    if (is_header(key)) continue;
    if (v.is_boolean())
      e[key] = v.get<bool>();
    else if (v.is_number_unsigned())
      e[key] = v.get<uint64_t>();
    else if (v.is_number_integer())
      e[key] = v.get<int64_t>();
    else if (v.is_number_float())
      e[key] = v.get<double>();
    else if (v.is_string())
      e[key] = v.get<std::string>();
    else if (v.is_array()) {
      std::vector<std::string> items;
      for (const auto& item : v)
        if (item.is_string()) items.push_back(item.get<std::string>());
      e[key] = std::move(items);
    }
  }
}

}  // namespace podtrace
