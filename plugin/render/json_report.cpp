// SPDX-License-Identifier: Apache-2.0
// JSON renderer: machine-readable, byte-safe (ensure_ascii) output.
#include "render/json_report.h"

#include <nlohmann/json.hpp>

namespace podtrace {

using json = nlohmann::json;

std::string render_json_report(const SessionReport &report)
{
	json out;
	if (report.pods.size() == 1 && report.pods[0].report && report.pods[0].errors.empty()) {
		out = *report.pods[0].report;
	} else {
		out = {{"schema_version", 1}, {"pods", json::object()}};
		for (const auto &pod : report.pods) {
			json section = {{"namespace", pod.namespace_}, {"pod", pod.pod}, {"node", pod.node},
					{"containers", pod.traced_containers}};
			section["report"] = pod.report ? *pod.report : json(nullptr);
			if (!pod.report && pod.last_summary)
				section["last_summary"] = *pod.last_summary;
			if (!pod.errors.empty())
				section["errors"] = pod.errors;
			if (pod.garbage_lines)
				section["skipped_lines"] = pod.garbage_lines;
			out["pods"][pod.namespace_ + "/" + pod.pod] = std::move(section);
		}
	}
	return out.dump(2, ' ', true, json::error_handler_t::replace);
}

} // namespace podtrace
