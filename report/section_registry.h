// SPDX-License-Identifier: Apache-2.0
// section_registry.h: the one table of report sections. Every renderer (JSON, text, Prometheus,
// findings) loops over a report's sections; this table only says how to decode each family's
// JSON and in which order the sections come.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "section.h"

namespace podtrace {

struct SectionKind {
  std::string_view key;
  std::string_view title;
  std::unique_ptr<Section> (*decode)(const nlohmann::json& value);
};

// Known sections, in report order.
std::span<const SectionKind> section_kinds();

// The section for `key` decoded from `value`; a key no family owns becomes a generic section.
std::unique_ptr<Section> decode_section(std::string_view key, const nlohmann::json& value);

// Position of `key` in the report: registry order, unknown keys after every known one.
size_t section_order(std::string_view key);

// Members of a summary or report line that are not sections.
bool is_envelope_member(std::string_view key);

template <typename T>
constexpr SectionKind section_kind() {
  return {T::kKey, T::kTitle, [](const nlohmann::json& value) -> std::unique_ptr<Section> {
            T decoded{};
            from_json(value, decoded);
            return std::make_unique<SectionOf<T>>(std::move(decoded));
          }};
}

}  // namespace podtrace
