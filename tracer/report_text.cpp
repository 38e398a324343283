// SPDX-License-Identifier: Apache-2.0
// report_text.cpp: findings first, then one section per family with percentiles and bars.
#include "report_text.h"

#include <algorithm>

#include <fmt/format.h>

#include "format.h"
#include "text.h"

namespace podtrace {

namespace {

std::string bar(uint64_t n, uint64_t max, int width = 30) {
  if (max == 0) return "";
  const int cells = static_cast<int>((n * width + max - 1) / max);
  std::string s;
  for (int i = 0; i < cells; ++i) s += "█";
  return s;
}

void histogram(std::string& out, const LatencySummary& s) {
  uint64_t max = 0;
  for (const auto& b : s.buckets) max = std::max(max, b.count);
  for (const auto& b : s.buckets)
    out += fmt::format("      ≤ {:>10} {:>8} {}\n", human_ns(b.le_ns), b.count, bar(b.count, max));
}

std::string percentiles(const LatencySummary& s) {
  return fmt::format("p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}", human_ns(s.p50_ns),
                     human_ns(s.p90_ns), human_ns(s.p99_ns), human_ns(s.max_ns));
}

}  // namespace

std::string render_text(const Report& r, const std::string& target) {
  std::string out = fmt::format("podtrace report for {} ({:.1f} s, ended: {})\n\n",
                                terminal_safe(target), r.duration_s, r.end_reason);
  out += "Findings\n";
  if (r.findings.empty()) out += "  nothing abnormal\n";
  for (const auto& f : r.findings)
    out += fmt::format("  [{}] {}: {}{}\n", f.severity, f.family, terminal_safe(f.title),
                       f.detail.empty() ? "" : " — " + terminal_safe(f.detail));

  if (r.fileio) {
    out += "\nFile I/O\n";
    for (const auto& o : r.fileio->ops) {
      out += fmt::format("  {:<10} {:>8} calls {:>10} {:>6} errors  {}\n", o.op, o.count,
                         human_bytes(o.bytes), o.errors, percentiles(o.latency));
      histogram(out, o.latency);
    }
    if (!r.fileio->files.empty()) out += "  top files by time:\n";
    for (size_t i = 0; i < std::min<size_t>(10, r.fileio->files.size()); ++i) {
      const auto& f = r.fileio->files[i];
      out += fmt::format("    {:<9} {:>7}x {:>10} {:>4} err  pid {:<7} {}\n", f.op, f.count,
                         human_ns(f.total_ns), f.errors, f.pid, terminal_safe(f.path));
    }
  }
  if (r.cpu) {
    const auto& c = *r.cpu;
    out += "\nCPU\n";
    out += fmt::format("  on CPU {}   waiting for CPU {}   blocked in I/O {}   sleeping {}   preempted {}\n",
                       human_ns(c.on_cpu_ns), human_ns(c.run_queue_ns), human_ns(c.io_ns),
                       human_ns(c.sleep_ns), human_ns(c.preempted_ns));
    out += fmt::format("  run-queue latency  {}\n", percentiles(c.run_queue));
    histogram(out, c.run_queue);
    for (const auto& t : c.throttling)
      out += fmt::format("  throttling ({}): {} of {} periods, {} throttled, quota {} us / {} us\n",
                         t.source, t.nr_throttled, t.nr_periods, human_ns(t.throttled_ns), t.quota_us,
                         t.period_us);
  }
  if (r.process) {
    const auto& p = *r.process;
    out += fmt::format("\nProcesses\n  {} exec, {} fork, {} threads, {} exits, {} OOM kills\n",
                       p.execs, p.forks, p.threads, p.exits, p.oom_kills);
    size_t shown = 0;
    for (const auto& x : p.exited) {
      // Clean exits are the common case; show failures and only the first few of the rest.
      const bool failed = x.oom_killed || x.signal || x.exit_code;
      if (!failed && shown >= 5) continue;
      ++shown;
      out += fmt::format("    pid {:<7} {:<16} {}\n", x.pid, terminal_safe(x.comm),
                         x.oom_killed ? "OOM-killed"
                         : x.signal   ? fmt::format("killed by signal {}", x.signal)
                                      : fmt::format("exit {}", x.exit_code));
    }
  }
  // --- Network ---
  if (r.tcp) {
    const auto& t = *r.tcp;
    out += fmt::format("\nTCP\n  {} connects, {} failed, {} retransmits, {} resets\n", t.connects,
                       t.failures, t.retransmits, t.resets);
    if (t.connect_latency.count) out += fmt::format("  connect latency    {}\n", percentiles(t.connect_latency));
    if (t.rtt.count) out += fmt::format("  smoothed RTT       {}\n", percentiles(t.rtt));
    for (size_t i = 0; i < std::min<size_t>(10, t.endpoints.size()); ++i) {
      const auto& e = t.endpoints[i];
      const bool v6 = e.address.find(':') != std::string::npos;
      out += fmt::format("    {:<3} {:<28} {:>6} conn  connect p50 {:>9}  rtt p50 {:>9}  {} refused {} timeout {} unreach"
                         "  {} retrans {} rst  {} sent {} recv\n",
                         e.direction == "inbound" ? "in" : "out",
                         (v6 ? "[" + e.address + "]" : e.address) + ":" + std::to_string(e.port), e.connects,
                         human_ns(e.connect_latency.p50_ns), human_ns(e.rtt.p50_ns), e.refused, e.timed_out,
                         e.unreachable, e.retransmits, e.resets_sent + e.resets_received, human_bytes(e.bytes_sent),
                         human_bytes(e.bytes_received));
    }
  }
  if (r.dns) {
    const auto& d = *r.dns;
    out += fmt::format("\nDNS\n  {} queries, {} answers, {} timeouts, {} error answers  {}\n", d.queries,
                       d.answers, d.timeouts, d.errors, percentiles(d.latency));
    for (size_t i = 0; i < std::min<size_t>(15, d.names.size()); ++i) {
      const auto& n = d.names[i];
      std::string rcodes;
      for (const auto& [rc, c] : n.rcodes) rcodes += fmt::format("{}{} x{}", rcodes.empty() ? "" : ", ", rc, c);
      out += fmt::format("    {:<5} {:<40} {:>5} q {:>5} a {:>3} timeout  p50 {:>9} max {:>9}  {}  {}\n", n.qtype,
                         terminal_safe(n.name), n.queries, n.answers, n.timeouts, human_ns(n.latency.p50_ns),
                         human_ns(n.latency.max_ns), rcodes, n.server);
    }
    if (!d.lookups.empty()) out += "  getaddrinfo() as the application saw it:\n";
    for (size_t i = 0; i < std::min<size_t>(10, d.lookups.size()); ++i) {
      const auto& l = d.lookups[i];
      out += fmt::format("    {:<40} {:>5} calls {:>3} failed  {:.1f} queries/call  p50 {:>9} max {:>9}\n",
                         terminal_safe(l.host), l.calls, l.failures,
                         l.calls ? static_cast<double>(l.queries) / static_cast<double>(l.calls) : 0.0,
                         human_ns(l.latency.p50_ns), human_ns(l.latency.max_ns));
    }
  }
  if (r.udp && (!r.udp->endpoints.empty() || !r.udp->drops.empty())) {
    out += "\nUDP and drops\n";
    for (size_t i = 0; i < std::min<size_t>(10, r.udp->endpoints.size()); ++i) {
      const auto& e = r.udp->endpoints[i];
      out += fmt::format("    {:<28} {:>7} pkts {:>10} sent  {:>7} pkts {:>10} received\n",
                         e.address + ":" + std::to_string(e.port), e.packets_sent, human_bytes(e.bytes_sent),
                         e.packets_received, human_bytes(e.bytes_received));
    }
    for (const auto& d : r.udp->drops)
      out += fmt::format("    dropped {:>7} {} packets: {}\n", d.count, d.protocol, d.reason);
  }
  out += "\nDiagnostics\n";
  for (const auto& d : r.diagnostics)
    out += fmt::format("  {:<8} {}\n", d.name,
                       d.enabled ? "on (" + d.attach + ")" : "off: " + terminal_safe(d.reason));
  out += fmt::format("\nLost events: {} ring buffer, {} queue, {} map full\n", r.lost_ringbuf,
                     r.lost_userspace, r.lost_map_full);
  return out;
}

}  // namespace podtrace
