// SPDX-License-Identifier: Apache-2.0
// event.h: one streamed event (a slow or failed operation, an exec, a drop...). The tracer
// decodes ring-buffer records into it and writes JSON only at the edge; the plugin decodes event
// lines back into it, so the live view and later consumers never read JSON themselves.
#pragma once

#include <concepts>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace podtrace {

// A family-specific field's value: integers keep their signedness, text stays raw (untrusted).
class EventValue {
 public:
  using Variant = std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string,
                               std::vector<std::string>>;

  EventValue() = default;
  template <std::integral T>
  requires(!std::same_as<T, bool>) EventValue(T v) {
    if constexpr (std::is_signed_v<T>)
      v_ = static_cast<int64_t>(v);
    else
      v_ = static_cast<uint64_t>(v);
  }
  EventValue(bool v) : v_(v) {}
  EventValue(double v) : v_(v) {}
  EventValue(std::string v) : v_(std::move(v)) {}
  EventValue(std::string_view v) : v_(std::string(v)) {}
  EventValue(const char* v) : v_(std::string(v)) {}
  EventValue(std::vector<std::string> v) : v_(std::move(v)) {}

  const Variant& get() const { return v_; }
  std::optional<uint64_t> as_u64() const;
  // The text of a string value, or "" for other types.
  std::string as_string() const;
  bool operator==(const EventValue&) const = default;

 private:
  Variant v_;
};

struct Event {
  uint64_t ts_ns = 0;     // wall clock, from the line envelope (0 before it is written)
  uint64_t ktime_ns = 0;  // kernel monotonic time of the event
  std::string family;
  std::string kind;
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::string comm;
  uint64_t cgroup_id = 0;
  std::vector<std::pair<std::string, EventValue>> fields;  // in the order they were set

  // The field `key`, added empty when missing (for `e["op"] = op`).
  EventValue& operator[](std::string_view key);
  const EventValue* find(std::string_view key) const;
  // Field order is not part of an event's meaning (JSON objects have none).
  bool operator==(const Event& other) const;
};

void to_json(nlohmann::json& j, const Event& e);
// Lenient: wrong header types read as absent; nested objects and nulls among the fields are
// skipped, arrays keep their string members.
void from_json(const nlohmann::json& j, Event& e);

}  // namespace podtrace
