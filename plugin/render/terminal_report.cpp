// SPDX-License-Identifier: Apache-2.0
// Terminal renderer. Known families (fileio, cpu, process) get tailored tables; any other
// object in the report (tcp, dns, …) is drawn generically, so new families show up as-is.
#include "render/terminal_report.h"

#include <fmt/format.h>

#include <set>

#include "render/histogram.h"
#include "render/json_access.h"
#include "render/units.h"
#include "util/sanitize.h"

namespace podtrace {
namespace {

using json = nlohmann::json;

constexpr size_t max_rows = 10;

bool is_latency(const json &v)
{
	return v.is_object() && (v.contains("p50_ns") || v.contains("histogram")) && v.contains("count");
}

std::string ns_or_dash(const json &obj, const char *key)
{
	auto v = get_u64(obj, key);
	return v ? format_ns(*v) : "-";
}

void latency_line(std::ostream &out, const std::string &indent, const std::string &label, const json &lat,
		  const Style &style, bool histogram)
{
	if (get_u64(lat, "count").value_or(0) == 0) {
		out << indent << fmt::format("{:<18} ", label) << style.dim("no samples") << "\n";
		return;
	}
	out << indent << fmt::format("{:<18} n={:<8} p50 {:>8}  p90 {:>8}  p99 {:>8}  max {:>8}\n", label,
				     get_u64(lat, "count").value_or(0), ns_or_dash(lat, "p50_ns"),
				     ns_or_dash(lat, "p90_ns"), ns_or_dash(lat, "p99_ns"), ns_or_dash(lat, "max_ns"));
	if (!histogram)
		return;
	for (const auto &line : render_histogram(read_histogram(lat), 30))
		out << indent << "  " << line << "\n";
}

void section_title(std::ostream &out, const std::string &title, const Style &style)
{
	out << "\n" << style.bold(title) << "\n";
}

void render_findings(std::ostream &out, const json &report, const Style &style)
{
	section_title(out, "FINDINGS", style);
	const json *findings = member(report, "findings");
	if (!findings || !findings->is_array() || findings->empty()) {
		out << "  " << style.green("no problems found") << "\n";
		return;
	}
	for (const auto &f : *findings) {
		std::string severity = get_text(f, "severity", "info");
		std::string tag = severity == "critical" || severity == "error" ? style.red("✖ " + severity)
				  : severity == "warning"                        ? style.yellow("⚠ " + severity)
										 : style.cyan("ℹ " + severity);
		out << "  " << tag << "  " << style.dim(get_text(f, "family", "-")) << "  " << style.bold(get_text(f, "title"))
		    << "\n";
		std::string detail = get_text(f, "detail");
		if (!detail.empty())
			out << "      " << detail << "\n";
	}
}

void render_fileio(std::ostream &out, const json &fileio, const Style &style)
{
	section_title(out, "FILE I/O", style);
	const json *ops = member(fileio, "ops");
	if (!ops || !ops->is_array() || ops->empty())
		out << "  " << style.dim("no file operations seen") << "\n";
	if (ops && ops->is_array() && !ops->empty()) {
		out << style.dim(fmt::format("  {:<10} {:>8} {:>7} {:>10}  {:>8}  {:>8}  {:>8}  {:>8}\n", "op", "count", "errors",
					     "bytes", "p50", "p90", "p99", "max"));
		for (const auto &op : *ops) {
			const json *lat = member(op, "latency");
			const json empty = json::object();
			const json &l = lat ? *lat : empty;
			auto errors = get_u64(op, "errors").value_or(0);
			std::string err_text = fmt::format("{:>7}", errors);
			out << fmt::format("  {:<10} {:>8} {} {:>10}  {:>8}  {:>8}  {:>8}  {:>8}\n", get_text(op, "op", "?"),
					   get_u64(op, "count").value_or(0), errors ? style.red(err_text) : err_text,
					   format_bytes(get_u64(op, "bytes").value_or(0)), ns_or_dash(l, "p50_ns"),
					   ns_or_dash(l, "p90_ns"), ns_or_dash(l, "p99_ns"), ns_or_dash(l, "max_ns"));
		}
		for (const auto &op : *ops) {
			const json *lat = member(op, "latency");
			if (!lat || read_histogram(*lat).empty())
				continue;
			out << "  " << style.dim("latency of " + get_text(op, "op", "?")) << "\n";
			for (const auto &line : render_histogram(read_histogram(*lat), 30))
				out << "    " << line << "\n";
		}
	}
	if (const json *files = member(fileio, "files"); files && files->is_array() && !files->empty()) {
		out << "  " << style.dim("files (slowest first, as reported)") << "\n";
		size_t n = 0;
		for (const auto &f : *files) {
			if (n++ == max_rows) {
				out << "    … " << files->size() - max_rows << " more\n";
				break;
			}
			out << fmt::format("    {} {} ×{} max {} total {}{}\n", get_text(f, "path", "?"), get_text(f, "op"),
					   get_u64(f, "count").value_or(0), ns_or_dash(f, "max_ns"), ns_or_dash(f, "total_ns"),
					   get_u64(f, "errors").value_or(0) ? style.red(fmt::format(" errors {}", *get_u64(f, "errors")))
									     : "");
		}
	}
}

void render_cpu(std::ostream &out, const json &cpu, const Style &style)
{
	section_title(out, "CPU", style);
	if (auto on = get_u64(cpu, "on_cpu_ns"))
		out << "  on-CPU " << format_ns(*on);
	if (const json *off = member(cpu, "off_cpu_ns"); off && off->is_object()) {
		out << "  off-CPU:";
		for (const auto &[k, v] : off->items())
			if (v.is_number())
				out << " " << sanitize_for_terminal(k) << " " << ns_or_dash(*off, k.c_str());
	}
	out << "\n";
	if (const json *rq = member(cpu, "run_queue"); rq && is_latency(*rq))
		latency_line(out, "  ", "run queue", *rq, style, true);
	if (const json *off = member(cpu, "off_cpu"); off && off->is_object()) {
		for (const auto &[k, v] : off->items())
			if (is_latency(v))
				latency_line(out, "  ", "off-CPU " + sanitize_for_terminal(k), v, style, false);
	}
	if (const json *th = member(cpu, "throttling"); th && th->is_object()) {
		auto periods = get_u64(*th, "nr_periods").value_or(0);
		auto throttled = get_u64(*th, "nr_throttled").value_or(0);
		std::string line = fmt::format("  throttling ({}): {}/{} periods throttled, {} throttled", get_text(*th, "source", "?"),
					       throttled, periods, ns_or_dash(*th, "throttled_ns"));
		out << (throttled ? style.yellow(line) : line) << "\n";
	}
	if (const json *threads = member(cpu, "threads"); threads && threads->is_array() && !threads->empty()) {
		out << style.dim(fmt::format("  {:<16} {:>8} {:>9} {:>9} {:>9} {:>9}\n", "thread", "tid", "on-CPU", "runq", "io",
					     "sleep"));
		size_t n = 0;
		for (const auto &t : *threads) {
			if (n++ == max_rows)
				break;
			out << fmt::format("  {:<16} {:>8} {:>9} {:>9} {:>9} {:>9}\n", get_text(t, "comm", "?"),
					   get_u64(t, "tid").value_or(0), ns_or_dash(t, "on_cpu_ns"), ns_or_dash(t, "run_queue_ns"),
					   ns_or_dash(t, "io_ns"), ns_or_dash(t, "sleep_ns"));
		}
	}
}

void render_process(std::ostream &out, const json &p, const Style &style)
{
	section_title(out, "PROCESSES", style);
	auto ooms = get_u64(p, "oom_kills").value_or(0);
	std::string oom_text = fmt::format("OOM kills {}", ooms);
	out << fmt::format("  execs {} · forks {} · exits {} · ", get_u64(p, "execs").value_or(0),
			   get_u64(p, "forks").value_or(0), get_u64(p, "exits").value_or(0))
	    << (ooms ? style.red(oom_text) : oom_text) << "\n";
	if (const json *exited = member(p, "exited"); exited && exited->is_array()) {
		size_t n = 0;
		for (const auto &e : *exited) {
			if (n++ == max_rows)
				break;
			auto code = get_i64(e, "exit_code").value_or(0);
			auto sig = get_i64(e, "signal").value_or(0);
			bool oom = get_bool(e, "oom_killed").value_or(false);
			std::string how = oom ? "OOM-killed" : sig ? fmt::format("killed by signal {}", sig) : fmt::format("exit {}", code);
			out << fmt::format("    {}[{}] ", get_text(e, "comm", "?"), get_u64(e, "pid").value_or(0))
			    << (oom || sig || code ? style.red(how) : how) << "\n";
		}
	}
}

// Any other family: scalars as "key value", latency objects as lines with histogram,
// arrays of objects as up to max_rows rows of key=value.
void render_generic(std::ostream &out, const json &value, const std::string &indent, const Style &style, int depth)
{
	if (depth > 4 || !value.is_object())
		return;
	std::string scalars;
	for (const auto &[k, v] : value.items()) {
		if (!v.is_primitive() || v.is_null())
			continue;
		std::string key = sanitize_for_terminal(k);
		std::string text = v.is_number() && key.size() > 3 && key.substr(key.size() - 3) == "_ns" && get_u64(value, k.c_str())
					   ? format_ns(*get_u64(value, k.c_str()))
					   : scalar_text(v);
		scalars += fmt::format("{}{} {}", scalars.empty() ? "" : " · ", key, text);
	}
	if (!scalars.empty())
		out << indent << scalars << "\n";
	for (const auto &[k, v] : value.items()) {
		std::string key = sanitize_for_terminal(k);
		if (is_latency(v)) {
			latency_line(out, indent, key, v, style, true);
		} else if (v.is_object()) {
			out << indent << style.dim(key) << "\n";
			render_generic(out, v, indent + "  ", style, depth + 1);
		} else if (v.is_array() && !v.empty()) {
			out << indent << style.dim(key) << "\n";
			size_t n = 0;
			for (const auto &row : v) {
				if (n++ == max_rows) {
					out << indent << "  … " << v.size() - max_rows << " more\n";
					break;
				}
				if (row.is_object()) {
					std::string cells;
					for (const auto &[rk, rv] : row.items())
						if (rv.is_primitive() && !rv.is_null())
							cells += fmt::format("{}{}={}", cells.empty() ? "" : " ", sanitize_for_terminal(rk),
									     scalar_text(rv));
					out << indent << "  " << cells << "\n";
				} else {
					out << indent << "  " << scalar_text(row) << "\n";
				}
			}
		}
	}
}

void render_pod(std::ostream &out, const PodTrace &pod, const Style &style)
{
	std::string heading = fmt::format("pod {}/{}", sanitize_for_terminal(pod.namespace_), sanitize_for_terminal(pod.pod));
	out << style.bold(heading);
	if (!pod.node.empty())
		out << " on node " << sanitize_for_terminal(pod.node);
	if (!pod.traced_containers.empty()) {
		std::string names;
		for (const auto &c : pod.traced_containers)
			names += (names.empty() ? "" : ", ") + sanitize_for_terminal(c);
		out << " · containers " << names;
	}
	out << "\n";
	for (const auto &e : pod.errors)
		out << style.red("error: ") << sanitize_for_terminal(e) << "\n";
	const json *report = pod.report ? &*pod.report : pod.last_summary ? &*pod.last_summary : nullptr;
	if (!report) {
		out << style.yellow("no report from the tracer") << "\n";
		return;
	}
	if (!pod.report)
		out << style.yellow("no final report: showing the last summary") << "\n";
	if (auto d = get_number(*report, "duration_s"))
		out << style.dim(fmt::format("traced {:.1f} s · ended by {}{}", *d, get_text(*report, "end_reason", "?"),
					     get_bool(*report, "target_exited").value_or(false) ? " (target exited)" : ""))
		    << "\n";
	if (pod.report)
		render_findings(out, *report, style);

	static const std::set<std::string> envelope = {"schema_version", "type", "ts_ns", "duration_s", "end_reason",
						       "target_exited", "lost_events", "diagnostics", "findings"};
	if (const json *f = member(*report, "fileio"); f && f->is_object())
		render_fileio(out, *f, style);
	if (const json *c = member(*report, "cpu"); c && c->is_object())
		render_cpu(out, *c, style);
	if (const json *p = member(*report, "process"); p && p->is_object())
		render_process(out, *p, style);
	for (const auto &[k, v] : report->items()) {
		if (envelope.count(k) || k == "fileio" || k == "cpu" || k == "process" || !v.is_object())
			continue;
		std::string title = sanitize_for_terminal(k);
		for (auto &ch : title)
			ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
		section_title(out, title, style);
		render_generic(out, v, "  ", style, 0);
	}

	std::string footer;
	if (const json *lost = member(*report, "lost_events"); lost && lost->is_object()) {
		auto ringbuf = get_u64(*lost, "ringbuf").value_or(0);
		auto map_full = get_u64(*lost, "map_full").value_or(0);
		if (ringbuf || map_full)
			out << "\n"
			    << style.yellow(fmt::format("lost events: {} (ring buffer full), {} (kernel map full)", ringbuf, map_full))
			    << "\n";
	}
	if (const json *diags = member(*report, "diagnostics"); diags && diags->is_array()) {
		std::string off;
		for (const auto &d : *diags) {
			if (get_bool(d, "enabled").value_or(true))
				continue;
			off += fmt::format("{}{} ({})", off.empty() ? "" : ", ", get_text(d, "name", "?"), get_text(d, "reason", "?"));
		}
		if (!off.empty())
			out << style.dim("disabled diagnostics: " + off) << "\n";
	}
	if (pod.garbage_lines)
		out << style.dim(fmt::format("{} non-JSON line(s) from the tracer were skipped (stderr output or damaged lines)", pod.garbage_lines)) << "\n";
}

} // namespace

void render_terminal_report(const SessionReport &report, const Style &style, std::ostream &out)
{
	bool first = true;
	for (const auto &pod : report.pods) {
		if (!first)
			out << "\n" << style.dim(std::string(60, '-')) << "\n";
		first = false;
		render_pod(out, pod, style);
	}
}

} // namespace podtrace
