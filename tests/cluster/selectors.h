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
// The value of a selectable field of an object of `resource`, as the resource's
// ToSelectableFields builds it: mostly the dotted path into the object ("" when unset); events'
// "source" is source.component, else reportingComponent.
std::string field_value(const std::string& resource, const std::string& key,
                        const nlohmann::json& object);
// Whether every requirement holds for field_value(resource, key, object).
bool matches_fields(const Selector& selector, const std::string& resource,
                    const nlohmann::json& object);
// Field keys the API server accepts for a resource ("pods", "jobs", "nodes", "namespaces",
// "events"); metadata.name and metadata.namespace for every one.
bool field_supported(const std::string& resource, const std::string& key);

}  // namespace podtrace::cluster
