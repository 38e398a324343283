// SPDX-License-Identifier: Apache-2.0
// Kubernetes resource quantities ("500m", "1.5", "128Mi", "1G", "1e3") as numbers.
#pragma once

#include <optional>
#include <string>

namespace podtrace::cluster {

// Value in thousandths of a unit: "500m" → 500, "2" → 2000, "1Ki" → 1024000.
std::optional<long long> parse_quantity_milli(const std::string& text);
// Whole units rounded up, as Kubernetes does for memory: "128Mi" → 134217728.
std::optional<long long> parse_quantity(const std::string& text);

}  // namespace podtrace::cluster
