// SPDX-License-Identifier: Apache-2.0
#include "live/live_screen.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "diagnose.h"
#include "sections/db.h"
#include "sections/fileio.h"
#include "sections/tcp.h"
#include "sections/time.h"
#include "terminal_safe.h"
#include "units.h"

namespace podtrace::plugin {

namespace {

std::string cut(std::string text, size_t width) {
  text = sanitize_for_terminal(text);
  if (text.size() <= width) return text;
  return width > 1 ? text.substr(0, width - 1) + "…" : text.substr(0, width);
}

double share(uint64_t part, uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0;
}

void render_pod(std::string& out, const PodTrace& pod, const Style& style, size_t width) {
  out += style.bold(cut(fmt::format("pod {}/{}{}", pod.namespace_, pod.pod,
                                    pod.node.empty() ? "" : " on " + pod.node),
                        width)) +
         "\n";
  const Report* r = pod.last_summary ? &*pod.last_summary : pod.report ? &*pod.report : nullptr;
  if (!r) {
    out += "  waiting for the first summary…\n";
    for (const auto& e : pod.errors) out += "  " + style.red(cut(e, width - 2)) + "\n";
    return;
  }
  // Where the time goes, per process: the kernel's time breakdown (the report's own bar).
  if (const auto* time = r->find<TimeReport>(); time && !time->processes.empty()) {
    out += style.dim(cut("  TIME  " + time_bar_legend(), width)) + "\n";
    for (size_t i = 0; i < std::min<size_t>(5, time->processes.size()); i++) {
      const TimeShare& p = time->processes[i];
      size_t largest = 0;
      for (size_t s = 1; s < kTimeStates; ++s)
        if (p.ns[s] > p.ns[largest]) largest = s;
      out += fmt::format("  {:<12} {:>7} {} {} {:.0f}%\n", cut(p.comm, 12), p.pid,
                         time_bar(p, 30), time_state_label(largest),
                         share(p.ns[largest], p.wall_ns));
    }
  }
  // The findings so far, computed here from the summary as the tracer would at the end.
  std::vector<Finding> findings = diagnose(*r);
  findings.erase(std::remove_if(findings.begin(), findings.end(),
                                [](const Finding& f) { return f.severity == "info"; }),
                 findings.end());
  out += style.dim("  FINDINGS SO FAR") + "\n";
  if (findings.empty()) out += "  " + style.green("nothing wrong yet") + "\n";
  for (size_t i = 0; i < std::min<size_t>(3, findings.size()); i++) {
    const auto& f = findings[i];
    const std::string line = cut(f.title, width - 14);
    out += "  " + (f.severity == "critical" ? style.red("critical") : style.yellow("warning ")) +
           "  " + line + "\n";
  }
  // The busiest files, endpoints and statements.
  out += style.dim("  BUSIEST") + "\n";
  size_t shown = 0;
  if (const auto* f = r->find<FileioReport>()) {
    for (size_t i = 0; i < std::min<size_t>(3, f->files.size()); i++, shown++) {
      const auto& file = f->files[i];
      out += fmt::format("  file      {:>7} {:<6} {:>9}  {}\n", file.count, cut(file.op, 6),
                         format_ns(file.total_ns), cut(file.path, width - 38));
    }
  }
  if (const auto* tcp = r->find<TcpReport>()) {
    for (size_t i = 0; i < std::min<size_t>(3, tcp->endpoints.size()); i++, shown++) {
      const auto& e = tcp->endpoints[i];
      out += fmt::format("  endpoint  {:>7} conn   {:>9}  {}:{}\n", e.connects,
                         e.connect_latency.count ? format_ns(e.connect_latency.p99_ns) : "-",
                         cut(e.address, width - 45), e.port);
    }
  }
  if (const auto* db = r->find<DbReport>()) {
    for (size_t i = 0; i < std::min<size_t>(3, db->statements.size()); i++, shown++) {
      const auto& s = db->statements[i];
      out += fmt::format("  statement {:>7} {:<6} {:>9}  {}\n", s.count, cut(s.system, 6),
                         format_ns(s.total_ns), cut(s.statement, width - 38));
    }
  }
  if (!shown) out += "  " + style.dim("no file, connection or query yet") + "\n";
}

}  // namespace

std::string render_live_screen(const SessionReport& report, LiveClock clock, const Style& style,
                               size_t width) {
  width = std::max<size_t>(width, 60);
  std::string out = style.bold("podtrace live") +
                    fmt::format(" · {:.0f} s of {:.0f} s · Ctrl-C stops and prints the report\n",
                                clock.elapsed_s, clock.total_s);
  for (const auto& pod : report.pods) {
    out += "\n";
    render_pod(out, pod, style, width);
  }
  return out;
}

std::string render_live_lines(const SessionReport& report, LiveClock clock) {
  std::string out;
  for (const auto& pod : report.pods) {
    const Report* r = pod.last_summary ? &*pod.last_summary : nullptr;
    std::string line = fmt::format("{:.0f}s {}/{}:", clock.elapsed_s, pod.namespace_, pod.pod);
    if (!r) {
      out += line + " waiting for the first summary\n";
      continue;
    }
    uint64_t file_ops = 0;
    if (const auto* f = r->find<FileioReport>())
      for (const auto& op : f->ops) file_ops += op.count;
    const auto findings = diagnose(*r);
    size_t serious = 0;
    for (const auto& f : findings) serious += f.severity != "info";
    line += fmt::format(" {} file ops, {} findings", file_ops, serious);
    if (serious)
      for (const auto& f : findings)
        if (f.severity != "info") {
          line += ", first: " + sanitize_for_terminal(f.title);
          break;
        }
    out += line + "\n";
  }
  return out;
}

}  // namespace podtrace::plugin
