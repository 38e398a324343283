// SPDX-License-Identifier: Apache-2.0
// Multi-document YAML manifests (kubectl style) converted to JSON objects.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace podtrace::cluster {

// YAML node → JSON with YAML 1.2 core-schema typing of plain scalars (quoted stay strings).
nlohmann::json yaml_to_json(const std::string& yaml_text);

// Every non-empty document of the file (a List's items are flattened). Throws on parse errors.
std::vector<nlohmann::json> load_manifests(const std::string& path);

}  // namespace podtrace::cluster
