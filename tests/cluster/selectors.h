// SPDX-License-Identifier: Apache-2.0
// Label and field selectors of list/watch requests: parsing and matching.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

namespace podtrace::cluster {

enum class SelectorOp { Equals, NotEquals, In, NotIn, Exists, DoesNotExist };

struct Requirement {
  std::string key;
  SelectorOp op = SelectorOp::Equals;
  std::vector<std::string> values;

  bool operator==(const Requirement&) const = default;
};

struct Selector {
  std::vector<Requirement> requirements;

  bool empty() const { return requirements.empty(); }
};

// A selector, or the message of the 400 BadRequest the API server would answer.
using SelectorResult = std::variant<Selector, std::string>;

// "a=b,c!=d,e in (x,y),f notin (z),g,!h" (labels.Parse).
SelectorResult parse_label_selector(const std::string& text);
// "metadata.name=x,status.phase!=Running" (fields.ParseSelector): only =, == and !=.
SelectorResult parse_field_selector(const std::string& text);

// labels: the metadata.labels object (or null).
bool matches_labels(const Selector& selector, const nlohmann::json& labels);
// Field keys are dotted paths into the object; a missing field reads as "".
bool matches_fields(const Selector& selector, const nlohmann::json& object);
// Field keys the API server accepts for a resource ("pods", "jobs", "nodes", "namespaces").
bool field_supported(const std::string& resource, const std::string& key);

}  // namespace podtrace::cluster
