// SPDX-License-Identifier: Apache-2.0
// report_json.h: the JSON renderer of the report model (schema in docs/jsonl-schema.md).
#pragma once

#include <nlohmann/json.hpp>

#include "report.h"

namespace podtrace {

inline constexpr int kSchemaVersion = 1;

nlohmann::json latency_json(const LatencySummary& s);
nlohmann::json diagnostics_json(const std::vector<DiagnosticStatus>& d);
// The families and counters; `type` and envelope are added by the writer.
nlohmann::json report_json(const Report& r, bool final_report);

}  // namespace podtrace
