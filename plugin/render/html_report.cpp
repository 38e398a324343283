// SPDX-License-Identifier: Apache-2.0
#include "render/html_report.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "render/terminal_report.h"
#include "render_html.h"

namespace podtrace::plugin {

std::string render_html_report(const SessionReport& report) {
  std::vector<std::string> parts;
  std::string title = "podtrace";
  for (const auto& pod : report.pods) {
    TextWriter out(Style(false), html_options());
    render_pod(out, pod);
    if (pod.report) render_html_extras(out, *pod.report);
    parts.push_back(out.str());
  }
  if (report.pods.size() == 1) {
    const auto& p = report.pods.front();
    title += p.namespace_.empty() ? ": " + p.pod : ": pod " + p.namespace_ + "/" + p.pod;
  }
  return html_page(title, parts);
}

Status write_html_report(const SessionReport& report, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  out << render_html_report(report);
  if (!out.flush()) return make_error("cannot write " + path + ": " + std::strerror(errno));
  return ok_status();
}

}  // namespace podtrace::plugin
