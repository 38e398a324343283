// SPDX-License-Identifier: Apache-2.0
// Selector grammar of k8s.io/apimachinery labels.Parse and fields.ParseSelector.
#include "selectors.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace podtrace::cluster {

using nlohmann::json;

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits on commas that are not inside parentheses ("e in (x,y)" stays whole).
std::vector<std::string> split_top_level(const std::string& text, std::string& error) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) {
      error = "unexpected ')' in selector";
      return {};
    }
    if (c == ',' && depth == 0) {
      parts.push_back(trim(current));
      current.clear();
      continue;
    }
    current += c;
  }
  if (depth != 0) {
    error = "unterminated '(' in selector";
    return {};
  }
  parts.push_back(trim(current));
  return parts;
}

bool valid_label_value(const std::string& v) {
  if (v.size() > 63) return false;
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

bool valid_key(const std::string& k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != '/')
      return false;
  return true;
}

// "key in (a, b)" / "key notin (a)".
bool parse_set(const std::string& part, Requirement& req, std::string& error) {
  size_t open = part.find('(');
  size_t close = part.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close != part.size() - 1) {
    error = "found '" + part + "', expected: '(' ... ')'";
    return false;
  }
  std::string head = trim(part.substr(0, open));
  size_t space = head.find_last_of(" \t");
  if (space == std::string::npos) {
    error = "unable to parse requirement: " + part;
    return false;
  }
  std::string op = trim(head.substr(space + 1));
  req.key = trim(head.substr(0, space));
  if (op == "in")
    req.op = SelectorOp::In;
  else if (op == "notin")
    req.op = SelectorOp::NotIn;
  else {
    error = "found '" + op + "', expected: in, notin";
    return false;
  }
  std::string inner = part.substr(open + 1, close - open - 1);
  size_t start = 0;
  while (true) {
    size_t comma = inner.find(',', start);
    std::string value =
        trim(inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!valid_label_value(value)) {
      error = "invalid label value: \"" + value + "\"";
      return false;
    }
    req.values.push_back(value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::sort(req.values.begin(), req.values.end());
  return true;
}

bool parse_equality(const std::string& part, Requirement& req, bool labels, std::string& error) {
  size_t pos;
  if ((pos = part.find("!=")) != std::string::npos) {
    req.op = SelectorOp::NotEquals;
    req.key = trim(part.substr(0, pos));
    req.values = {trim(part.substr(pos + 2))};
  } else if ((pos = part.find("==")) != std::string::npos) {
    req.key = trim(part.substr(0, pos));
    req.values = {trim(part.substr(pos + 2))};
  } else if ((pos = part.find('=')) != std::string::npos) {
    req.key = trim(part.substr(0, pos));
    req.values = {trim(part.substr(pos + 1))};
  } else {
    error = "invalid selector: '" + part + "'; can't understand '" + part + "'";
    return false;
  }
  if (!valid_key(req.key)) {
    error = "invalid selector key: \"" + req.key + "\"";
    return false;
  }
  if (labels && !valid_label_value(req.values[0])) {
    error = "invalid label value: \"" + req.values[0] + "\"";
    return false;
  }
  return true;
}

std::string lookup_path(const json& object, const std::string& path) {
  const json* node = &object;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object() || !node->contains(part)) return "";
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (node->is_string()) return node->get<std::string>();
  if (node->is_null()) return "";
  return node->dump();
}

bool requirement_matches(const Requirement& req, bool present, const std::string& value) {
  switch (req.op) {
    case SelectorOp::Equals:
      return present && value == req.values[0];
    case SelectorOp::NotEquals:
      return !present || value != req.values[0];
    case SelectorOp::In:
      return present && std::find(req.values.begin(), req.values.end(), value) != req.values.end();
    case SelectorOp::NotIn:
      return !present || std::find(req.values.begin(), req.values.end(), value) == req.values.end();
    case SelectorOp::Exists:
      return present;
    case SelectorOp::DoesNotExist:
      return !present;
  }
  return false;
}

}  // namespace

SelectorResult parse_label_selector(const std::string& text) {
  Selector selector;
  if (trim(text).empty()) return selector;
  std::string error;
  auto parts = split_top_level(text, error);
  if (!error.empty()) return error;
  for (const auto& part : parts) {
    Requirement req;
    if (part.empty()) return std::string("found '', expected: !, identifier, or 'end of string'");
    bool has_eq = part.find('=') != std::string::npos;
    if (!has_eq && part.find('(') != std::string::npos) {
      if (!parse_set(part, req, error)) return error;
    } else if (has_eq) {
      if (!parse_equality(part, req, true, error)) return error;
    } else if (part[0] == '!') {
      req.key = trim(part.substr(1));
      req.op = SelectorOp::DoesNotExist;
    } else {
      req.key = part;
      req.op = SelectorOp::Exists;
    }
    if (!valid_key(req.key)) return "invalid label key \"" + req.key + "\"";
    selector.requirements.push_back(std::move(req));
  }
  return selector;
}

SelectorResult parse_field_selector(const std::string& text) {
  Selector selector;
  if (trim(text).empty()) return selector;
  std::string error;
  auto parts = split_top_level(text, error);
  if (!error.empty()) return error;
  for (const auto& part : parts) {
    Requirement req;
    if (!parse_equality(part, req, false, error)) return error;
    selector.requirements.push_back(std::move(req));
  }
  return selector;
}

bool matches_labels(const Selector& selector, const json& labels) {
  for (const auto& req : selector.requirements) {
    bool present = labels.is_object() && labels.contains(req.key);
    std::string value =
        present && labels[req.key].is_string() ? labels[req.key].get<std::string>() : "";
    if (!requirement_matches(req, present, value)) return false;
  }
  return true;
}

std::string field_value(const std::string& resource, const std::string& key, const json& object) {
  if (resource == "events" && key == "source") {
    std::string component = lookup_path(object, "source.component");
    return component.empty() ? lookup_path(object, "reportingComponent") : component;
  }
  if (resource == "jobs" && key == "status.successful") {
    std::string succeeded = lookup_path(object, "status.succeeded");
    return succeeded.empty() ? "0" : succeeded;
  }
  if (resource == "nodes" && key == "spec.unschedulable") {
    std::string unschedulable = lookup_path(object, "spec.unschedulable");
    return unschedulable.empty() ? "false" : unschedulable;
  }
  return lookup_path(object, key);
}

bool matches_fields(const Selector& selector, const std::string& resource, const json& object) {
  for (const auto& req : selector.requirements)
    // A field always "exists"; an unset one compares as the empty string, like the
    // API server's field sets.
    if (!requirement_matches(req, true, field_value(resource, req.key, object))) return false;
  return true;
}

bool field_supported(const std::string& resource, const std::string& key) {
  static const std::map<std::string, std::set<std::string>> fields = {
      {"pods",
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "status.phase", "status.podIP", "status.nominatedNodeName"}},
      {"jobs", {"status.successful"}},
      {"nodes", {"spec.unschedulable"}},
      {"namespaces", {"status.phase"}},
      // pkg/registry/core/event/strategy.go ToSelectableFields
      {"events",
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}},
  };
  if (key == "metadata.name" || key == "metadata.namespace") return true;
  auto it = fields.find(resource);
  return it != fields.end() && it->second.count(key) != 0;
}

}  // namespace podtrace::cluster
