// SPDX-License-Identifier: Apache-2.0
// yaml-cpp tree → nlohmann::json, typing plain scalars with the YAML 1.2 core schema.
#include "util/yaml_json.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <regex>
#include <stdexcept>
#include <string>

namespace podtrace::plugin {
namespace {

using json = nlohmann::json;

json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!")  // quoted: always a string
    return text;
  static const std::regex int_re("[-+]?[0-9]+");
  static const std::regex float_re("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nullptr;
  if (std::regex_match(text, int_re) && text.size() < 19) return std::stoll(text);
  // A number out of double's range ("1e999999") stays text rather than throwing (found by
  // tests/fuzz).
  if (std::regex_match(text, float_re)) {
    try {
      return std::stod(text);
    } catch (const std::out_of_range&) {
      return text;
    }
  }
  return text;
}

// An alias can refer to a node that contains it ("a: &a [*a]"): the tree is then a cycle, and
// nothing real nests this deep (found by tests/fuzz).
constexpr int kMaxDepth = 64;

struct TooDeep : std::runtime_error {
  TooDeep() : std::runtime_error("YAML nests deeper than 64 levels (a recursive alias?)") {}
};

json convert(const YAML::Node& node, int depth = 0) {
  if (depth > kMaxDepth) throw TooDeep();
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node)
        obj[kv.first.as<std::string>()] = convert(kv.second, depth + 1);
      return obj;
    }
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) arr.push_back(convert(item, depth + 1));
      return arr;
    }
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    default:
      return nullptr;
  }
}

}  // namespace

Result<json> yaml_to_json(std::string_view yaml_text) {
  try {
    return convert(YAML::Load(std::string(yaml_text)));
  } catch (const YAML::Exception& e) {
    return make_error(fmt::format("YAML line {}: {}", e.mark.line + 1, e.msg));
  } catch (const TooDeep& e) {
    return make_error(e.what());
  }
}

}  // namespace podtrace::plugin
