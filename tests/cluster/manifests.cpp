// SPDX-License-Identifier: Apache-2.0
// YAML → JSON conversion with yaml-cpp; the scalar tag tells quoted from plain values.
#include "manifests.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <regex>

namespace podtrace::cluster {

using nlohmann::json;

namespace {

json scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  static const std::regex integer("[-+]?[0-9]+");
  static const std::regex floating("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(text, integer)) return std::stoll(text);
  if (std::regex_match(text, floating)) return std::strtod(text.c_str(), nullptr);
  return text;
}

json convert(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = convert(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(convert(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      return scalar(node);
    default:
      return nullptr;
  }
}

}  // namespace

json yaml_to_json(const std::string& yaml_text) { return convert(YAML::Load(yaml_text)); }

std::vector<json> load_manifests(const std::string& path) {
  std::vector<json> out;
  for (const auto& doc : YAML::LoadAllFromFile(path)) {
    json obj = convert(doc);
    if (!obj.is_object()) continue;
    if (obj.value("kind", "") == "List") {
      for (const auto& item : obj.value("items", json::array())) out.push_back(item);
      continue;
    }
    out.push_back(obj);
  }
  return out;
}

}  // namespace podtrace::cluster
