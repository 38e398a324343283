// SPDX-License-Identifier: Apache-2.0
// The data model of one podtrace run: what each traced pod's tracer said. Renderers read it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace podtrace {

struct PodTrace {
	std::string pod;
	std::string namespace_;
	std::string node;
	std::string job;
	std::string container; // trace-<i> in the Job's pod
	std::vector<std::string> traced_containers; // names in the target pod

	std::optional<nlohmann::json> start;
	std::optional<nlohmann::json> last_summary;
	std::optional<nlohmann::json> report;
	std::vector<std::string> errors; // `error` lines and stream problems, raw (sanitized when printed)
	size_t events = 0;
	size_t garbage_lines = 0;
};

struct SessionReport {
	std::vector<PodTrace> pods;
};

} // namespace podtrace
