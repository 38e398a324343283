// SPDX-License-Identifier: Apache-2.0
// YAML → JSON conversion, for manifests written in YAML and sent to the API server as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "result.h"

namespace podtrace::plugin {

// Plain scalars become numbers, booleans or null when they look like one (YAML 1.2 core schema);
// quoted scalars stay strings.
Result<nlohmann::json> yaml_to_json(std::string_view yaml_text);

}  // namespace podtrace::plugin
