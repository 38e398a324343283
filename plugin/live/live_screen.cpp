// SPDX-License-Identifier: Apache-2.0
#include "live/live_screen.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "diagnose.h"
#include "sections/cpu.h"
#include "sections/db.h"
#include "sections/fileio.h"
#include "sections/tcp.h"
#include "terminal_safe.h"
#include "units.h"

namespace podtrace::plugin {

namespace {

struct ProcessTime {
  std::string comm;
  uint64_t on_cpu = 0, run_queue = 0, io = 0, sleep = 0, preempted = 0;
  uint64_t total() const { return on_cpu + run_queue + io + sleep + preempted; }
};

std::string cut(std::string text, size_t width) {
  text = sanitize_for_terminal(text);
  if (text.size() <= width) return text;
  return width > 1 ? text.substr(0, width - 1) + "…" : text.substr(0, width);
}

double share(uint64_t part, uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0;
}

// A bar `cells` wide: C on CPU, R runnable (waiting for a CPU), I blocked in I/O, S sleeping,
// P preempted, each as many cells as its share.
std::string time_bar(const ProcessTime& p, size_t cells, const Style& style) {
  const uint64_t total = std::max<uint64_t>(1, p.total());
  std::string bar;
  size_t used = 0;
  const std::pair<uint64_t, char> parts[] = {
      {p.on_cpu, 'C'}, {p.run_queue, 'R'}, {p.io, 'I'}, {p.preempted, 'P'}, {p.sleep, 'S'}};
  for (const auto& [ns, letter] : parts) {
    size_t n = static_cast<size_t>(static_cast<double>(ns) * cells / total + 0.5);
    n = std::min(n, cells - used);
    const std::string run(n, letter);
    bar += letter == 'C'   ? style.green(run)
           : letter == 'I' ? style.red(run)
           : letter == 'R' ? style.yellow(run)
           : letter == 'S' ? style.dim(run)
                           : run;
    used += n;
  }
  return bar + std::string(cells - used, ' ');
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
  // Where the time goes, per process: the cpu family's per-thread states summed.
  if (const auto* cpu = r->find<CpuReport>(); cpu && !cpu->threads.empty()) {
    std::map<uint32_t, ProcessTime> procs;
    for (const auto& t : cpu->threads) {
      ProcessTime& p = procs[t.pid];
      if (p.comm.empty() || t.tid == t.pid) p.comm = t.comm;
      p.on_cpu += t.on_cpu_ns;
      p.run_queue += t.run_queue_ns;
      p.io += t.io_ns;
      p.sleep += t.sleep_ns;
      p.preempted += t.preempted_ns;
    }
    std::vector<std::pair<uint32_t, ProcessTime>> sorted(procs.begin(), procs.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return a.second.total() - a.second.sleep > b.second.total() - b.second.sleep;
    });
    out += style.dim("  TIME  C on CPU · R waiting for a CPU · I I/O · P preempted · S sleeping") +
           "\n";
    for (size_t i = 0; i < std::min<size_t>(5, sorted.size()); i++) {
      const auto& [pid, p] = sorted[i];
      out += fmt::format("  {:<12} {:>7} {} C {:.0f}% R {:.0f}% I {:.0f}%\n", cut(p.comm, 12), pid,
                         time_bar(p, 30, style), share(p.on_cpu, p.total()),
                         share(p.run_queue, p.total()), share(p.io, p.total()));
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
