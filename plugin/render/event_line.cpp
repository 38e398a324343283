// SPDX-License-Identifier: Apache-2.0
// Live event lines: the fields a human scans first, then the rest as key=value.
#include "render/event_line.h"

#include <fmt/format.h>

#include <ctime>
#include <set>

#include "render/json_access.h"
#include "render/units.h"
#include "util/sanitize.h"

namespace podtrace {

std::string format_event(const nlohmann::json &event, const std::string &pod, const Style &style)
{
	std::string line;
	if (auto ts = get_u64(event, "ts_ns")) {
		time_t secs = static_cast<time_t>(*ts / 1'000'000'000);
		std::tm tm{};
		localtime_r(&secs, &tm);
		char buf[16];
		std::strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
		line += style.dim(fmt::format("{}.{:03} ", buf, (*ts / 1'000'000) % 1000));
	}
	if (!pod.empty())
		line += style.cyan(sanitize_for_terminal(pod)) + " ";
	std::string family = get_text(event, "family", "?");
	std::string kind = get_text(event, "kind", "?");
	line += family + " ";
	line += kind == "error" ? style.red(kind) : kind == "slow" ? style.yellow(kind) : kind;
	std::string op = get_text(event, "op");
	if (!op.empty())
		line += " " + style.bold(op);
	std::string path = get_text(event, "path");
	if (!path.empty())
		line += " " + path;
	if (const auto *argv = member(event, "argv"); argv && argv->is_array()) {
		std::string joined;
		for (const auto &a : *argv)
			joined += (joined.empty() ? "" : " ") + scalar_text(a);
		line += " [" + joined + "]";
	}
	if (auto lat = get_u64(event, "latency_ns"))
		line += " " + format_ns(*lat);
	std::string error = get_text(event, "error");
	if (!error.empty())
		line += " " + style.red(error);
	std::string comm = get_text(event, "comm");
	if (auto pid = get_u64(event, "pid"))
		line += fmt::format(" {}[{}]", comm, *pid);
	// Fields not shown above, so new tracer fields are visible without a plugin update.
	static const std::set<std::string> shown = {"schema_version", "type", "ts_ns", "family", "kind", "op",
						    "path", "argv", "latency_ns", "error", "comm", "pid",
						    "tid", "cgroup_id", "errno"};
	if (event.is_object()) {
		for (const auto &[key, value] : event.items()) {
			if (shown.count(key) || !value.is_primitive() || value.is_null())
				continue;
			line += style.dim(fmt::format(" {}={}", sanitize_for_terminal(key), scalar_text(value)));
		}
	}
	return line;
}

} // namespace podtrace
