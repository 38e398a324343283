// SPDX-License-Identifier: Apache-2.0
// view.cpp: loads a saved trace into the session model and renders it with the live renderers.
#include "view/view.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "event_line.h"
#include "json_read.h"
#include "render/html_report.h"
#include "render/json_report.h"
#include "render/terminal_report.h"
#include "terminal_safe.h"

namespace podtrace::plugin {

namespace {

// Saved files are reports of one run: a bound keeps a wrong path (a disk image) from being
// read into memory.
constexpr size_t kMaxFile = 512u << 20;

Result<std::string> read_input(const std::string& file) {
  std::istream* in = &std::cin;
  std::ifstream stream;
  if (file != "-") {
    stream.open(file, std::ios::binary);
    if (!stream)
      return make_error(
          fmt::format("cannot read {}: {}", sanitize_for_terminal(file), std::strerror(errno)));
    in = &stream;
  }
  std::string contents;
  char buf[65536];
  while (in->read(buf, sizeof(buf)) || in->gcount() > 0) {
    contents.append(buf, static_cast<size_t>(in->gcount()));
    if (contents.size() > kMaxFile)
      return make_error(fmt::format("{} is larger than {} MiB: not a saved trace",
                                    sanitize_for_terminal(file), kMaxFile >> 20));
  }
  return contents;
}

// The plugin's -o json for several pods: {"schema_version":1,"pods":{"ns/name":{...}}}.
Result<SavedTrace> from_multi_pod(const nlohmann::json& doc) {
  SavedTrace saved;
  for (const auto& [key, section] : doc["pods"].items()) {
    PodTrace trace;
    read_field(section, "namespace", trace.namespace_);
    read_field(section, "pod", trace.pod);
    read_field(section, "node", trace.node);
    if (const auto* containers = json_member(section, "containers");
        containers && containers->is_array())
      for (const auto& c : *containers)
        if (c.is_string()) trace.traced_containers.push_back(c.get<std::string>());
    if (const auto* errors = json_member(section, "errors"); errors && errors->is_array())
      for (const auto& e : *errors)
        if (e.is_string()) trace.errors.push_back(e.get<std::string>());
    read_field(section, "skipped_lines", trace.garbage_lines);
    for (const char* member : {"report", "last_summary"}) {
      const auto* line = json_member(section, member);
      if (!line || !line->is_object()) continue;
      auto parsed = parse_tracer_line(line->dump());
      if (parsed) (void)apply_tracer_line(trace, std::move(*parsed));
    }
    saved.report.pods.push_back(std::move(trace));
  }
  if (saved.report.pods.empty()) return make_error("the saved report lists no pods");
  return saved;
}

}  // namespace

CLI::App* register_view_command(CLI::App& app, ViewOptions& o) {
  CLI::App* view = app.add_subcommand(
      "view",
      "Render a saved trace: the tracer's JSON lines, or what -o json wrote (\"-\": stdin)");
  view->add_option("file", o.file, "The saved trace")->required();
  view->add_option("-o,--output", o.output, "Report format")
      ->check(CLI::IsMember({"text", "json"}));
  view->add_flag("--events", o.events,
                 "Print the saved events before the report, as --follow does");
  view->add_flag("--histograms", o.histograms,
                 "Full latency histograms under each row of the text report");
  view->add_option("--html", o.html, "Also write the report as one self-contained HTML page");
  return view;
}

Result<SavedTrace> parse_saved_trace(std::string_view contents, const std::string& name) {
  // A whole-document parse first: the plugin's -o json is one (pretty-printed) object.
  const auto doc = nlohmann::json::parse(contents, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("pods")) return from_multi_pod(doc);

  SavedTrace saved;
  PodTrace trace;
  trace.pod = name;
  size_t lines = 0;
  JsonLinesParser parser([&](TracerLine&& line) {
    ++lines;
    if (auto event = apply_tracer_line(trace, std::move(line)))
      saved.events.push_back(std::move(*event));
  });
  if (!doc.is_discarded() && doc.is_object()) {
    // One object (perhaps pretty-printed): a single report line.
    parser.feed(doc.dump());
  } else {
    parser.feed(contents);
  }
  parser.finish();
  trace.garbage_lines = parser.garbage();
  if (lines == 0)
    return make_error(
        fmt::format("{} holds no podtrace report or tracer line", sanitize_for_terminal(name)));
  saved.report.pods.push_back(std::move(trace));
  return saved;
}

int run_view(const ViewOptions& o, std::ostream& out, std::ostream& err, bool color) {
  auto contents = read_input(o.file);
  if (!contents) {
    err << "error: " << contents.error() << "\n";
    return 1;
  }
  auto saved = parse_saved_trace(*contents, o.file == "-" ? "standard input" : o.file);
  if (!saved) {
    err << "error: " << saved.error() << "\n";
    return 1;
  }
  if (o.events) {
    const Style style(color);
    for (const auto& e : saved->events) {
      if (o.output == "json") {
        out << event_line(e).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        out << format_event(e, "", style) << "\n";
      }
    }
  }
  if (!o.html.empty())
    if (auto ok = write_html_report(saved->report, o.html); !ok) {
      err << "error: " << ok.error() << "\n";
      return 1;
    }
  if (o.output == "json")
    out << render_json_report(saved->report) << "\n";
  else
    render_terminal_report(saved->report, Style(color), out, {.histograms = o.histograms});
  out.flush();
  for (const auto& p : saved->report.pods)
    if (!p.report) return 1;
  return 0;
}

}  // namespace podtrace::plugin
