// SPDX-License-Identifier: Apache-2.0
// sections/fileio.cpp: JSON, text, metrics and findings of the file I/O section.
#include "sections/fileio.h"

#include <fmt/format.h>

#include <algorithm>

#include "bars.h"
#include "json_read.h"
#include "metrics_top.h"
#include "section_util.h"
#include "units.h"

namespace podtrace {

void to_json(nlohmann::json& j, const OpReport& o) {
  j = {{"op", o.op},
       {"count", o.count},
       {"bytes", o.bytes},
       {"errors", o.errors},
       {"latency", o.latency}};
}

void from_json(const nlohmann::json& j, OpReport& o) {
  read_field(j, "op", o.op);
  read_field(j, "count", o.count);
  read_field(j, "bytes", o.bytes);
  read_field(j, "errors", o.errors);
  read_object(j, "latency", o.latency);
}

void to_json(nlohmann::json& j, const FileReport& f) {
  j = {{"path", f.path},         {"pid", f.pid},      {"op", f.op},
       {"count", f.count},       {"bytes", f.bytes},  {"errors", f.errors},
       {"total_ns", f.total_ns}, {"max_ns", f.max_ns}};
  if (!f.errnos.empty()) j["errnos"] = f.errnos;
}

void from_json(const nlohmann::json& j, FileReport& f) {
  read_field(j, "path", f.path);
  read_field(j, "pid", f.pid);
  read_field(j, "op", f.op);
  read_field(j, "count", f.count);
  read_field(j, "bytes", f.bytes);
  read_field(j, "errors", f.errors);
  read_field(j, "total_ns", f.total_ns);
  read_field(j, "max_ns", f.max_ns);
  read_field(j, "errnos", f.errnos);
}

void to_json(nlohmann::json& j, const FileioReport& f) { j = {{"ops", f.ops}, {"files", f.files}}; }

void from_json(const nlohmann::json& j, FileioReport& f) {
  read_array(j, "ops", f.ops);
  read_array(j, "files", f.files);
}

void render_section(TextWriter& out, const FileioReport& f) {
  out.section(FileioReport::kTitle);
  if (f.ops.empty()) {
    out.line("no file operations seen", Tone::kDim);
    return;
  }
  Table ops = latency_table("op", "calls", {"errors", "bytes"});
  for (const auto& o : f.ops) {
    ops.add_row(
        latency_row(o.op, o.count, o.latency, {error_cell(o.errors), {format_bytes(o.bytes)}}));
    ops.add_detail(out.histogram_lines(o.latency));
  }
  out.table(ops);
  if (f.files.empty()) return;
  out.line("files, most time first", Tone::kDim);
  Table files({{"op", Table::Align::kLeft},
               {"calls"},
               {"errors"},
               {"bytes"},
               {"total"},
               {"max"},
               {"pid"},
               {"path", Table::Align::kLeft}});
  for (const auto& x : f.files)
    files.add_row({{x.op},
                   {std::to_string(x.count)},
                   error_cell(x.errors, top_counts(x.errnos, 2)),
                   {format_bytes(x.bytes)},
                   {format_ns(x.total_ns)},
                   {format_ns(x.max_ns)},
                   {std::to_string(x.pid)},
                   {x.path}});
  out.table(files);
}

void write_section_metrics(MetricsWriter& out, const FileioReport& f) {
  out.family("podtrace_fileio_latency_seconds", "histogram",
             "Latency of the pod's file operations, by operation.");
  for (const auto& o : f.ops)
    out.histogram("podtrace_fileio_latency_seconds", {{"op", o.op}}, o.latency);
  out.family("podtrace_fileio_errors_total", "counter", "Failed file operations, by operation.");
  for (const auto& o : f.ops) out.sample("podtrace_fileio_errors_total", {{"op", o.op}}, o.errors);
  out.family("podtrace_fileio_bytes_total", "counter", "Bytes read or written, by operation.");
  for (const auto& o : f.ops) out.sample("podtrace_fileio_bytes_total", {{"op", o.op}}, o.bytes);
  // Per path: the paths that cost the most time keep their name, the rest are path="other".
  std::map<std::string_view, size_t> index;  // path -> entity
  std::vector<uint64_t> weights;
  for (const auto& file : f.files) {
    auto [it, added] = index.emplace(file.path, weights.size());
    if (added) weights.push_back(0);
    weights[it->second] += file.total_ns;
  }
  const std::vector<bool> keep = top_entities(weights, out.top());
  SummedSeries seconds, calls;
  for (const auto& file : f.files) {
    const size_t i = index.at(file.path);
    const Labels l = {{"op", file.op},
                      {"path", keep[i] ? file.path : std::string(kOtherLabelValue)}};
    seconds.add(l, static_cast<double>(file.total_ns) / 1e9);
    calls.add(l, file.count);
  }
  out.family("podtrace_fileio_path_seconds_total", "counter",
             "Time in file operations, by operation and path (the paths that cost the most; the "
             "rest as path=\"other\").");
  seconds.write(out, "podtrace_fileio_path_seconds_total");
  out.family("podtrace_fileio_path_operations_total", "counter",
             "File operations, by operation and path (the same paths as "
             "podtrace_fileio_path_seconds_total).");
  calls.write(out, "podtrace_fileio_path_operations_total");
}

void diagnose_section(const FileioReport& f, const DiagnoseThresholds& t,
                      std::vector<Finding>& out) {
  // The slow op that cost the most time first: five 200 ms fsyncs matter more than one 12 ms
  // open (a first lookup), whatever order the ops come in.
  std::vector<const OpReport*> slow;
  for (const auto& op : f.ops)
    if (op.latency.p99_ns >= t.slow_io_p99_ns) slow.push_back(&op);
  std::stable_sort(slow.begin(), slow.end(), [](const OpReport* a, const OpReport* b) {
    return a->count * a->latency.mean_ns > b->count * b->latency.mean_ns;
  });
  for (const OpReport* p : slow) {
    const OpReport& op = *p;
    // Name the file that cost the most time in this op.
    const FileReport* worst = nullptr;
    for (const auto& file : f.files)
      if (file.op == op.op && (!worst || file.total_ns > worst->total_ns)) worst = &file;
    out.push_back({"warning", "fileio",
                   fmt::format("slow {}: p99 {}", op.op, format_ns(op.latency.p99_ns)),
                   fmt::format("{} calls, max {}{}", op.count, format_ns(op.latency.max_ns),
                               worst ? ", mostly on " + worst->path : "")});
  }
  // One finding per failing op, naming its most frequent errors and paths.
  for (const auto& op : f.ops) {
    if (op.errors == 0) continue;
    std::map<std::string, uint64_t> errnos, paths;
    for (const auto& file : f.files) {
      if (file.op != op.op || file.errors == 0) continue;
      paths[file.path] += file.errors;
      for (const auto& [name, n] : file.errnos) errnos[name] += n;
    }
    // Programs probe for optional files (locales, plugins, imports): a miss is not a fault.
    const bool only_missing = !errnos.empty() && errnos.size() == errnos.count("ENOENT");
    if (only_missing)
      out.push_back(
          {"info", "fileio",
           fmt::format("{} of {} {} calls found no such file", op.errors, op.count, op.op),
           fmt::format("ENOENT only, as when a program probes for optional files; {}",
                       top_counts(paths, 3))});
    else
      out.push_back({"warning", "fileio",
                     fmt::format("{} of {} {} calls failed", op.errors, op.count, op.op),
                     fmt::format("{}{}", top_counts(errnos, 3),
                                 paths.empty() ? "" : "; " + top_counts(paths, 3))});
  }
}

bool section_quiet(const FileioReport& f) { return f.ops.empty() && f.files.empty(); }

}  // namespace podtrace
