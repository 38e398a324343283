// SPDX-License-Identifier: Apache-2.0
// diagnose.cpp: the rules that explain why the target is slow or failing.
#include "diagnose.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "format.h"

namespace podtrace {

namespace {

// "a x3, b x1" for the n largest counts.
std::string top_counts(const std::map<std::string, uint64_t>& counts, size_t n) {
  std::vector<std::pair<std::string, uint64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::string out;
  for (size_t i = 0; i < std::min(n, sorted.size()); ++i)
    out += fmt::format("{}{} x{}", i ? ", " : "", sorted[i].first, sorted[i].second);
  if (sorted.size() > n) out += fmt::format(" (+{} more)", sorted.size() - n);
  return out;
}

int rank(const std::string& severity) {
  return severity == "critical" ? 0 : severity == "warning" ? 1 : 2;
}

void fileio_findings(const FileioReport& f, const DiagnoseThresholds& t, std::vector<Finding>& out) {
  for (const auto& op : f.ops) {
    if (op.latency.p99_ns >= t.slow_io_p99_ns) {
      // Name the file that cost the most time in this op.
      const FileReport* worst = nullptr;
      for (const auto& file : f.files)
        if (file.op == op.op && (!worst || file.total_ns > worst->total_ns)) worst = &file;
      out.push_back({"warning", "fileio", fmt::format("slow {}: p99 {}", op.op, human_ns(op.latency.p99_ns)),
                     fmt::format("{} calls, max {}{}", op.count, human_ns(op.latency.max_ns),
                                 worst ? ", mostly on " + worst->path : "")});
    }
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
    out.push_back({"warning", "fileio", fmt::format("{} of {} {} calls failed", op.errors, op.count, op.op),
                   fmt::format("{}{}", top_counts(errnos, 3), paths.empty() ? "" : "; " + top_counts(paths, 3))});
  }
}

void cpu_findings(const CpuReport& c, const DiagnoseThresholds& t, std::vector<Finding>& out) {
  for (const auto& th : c.throttling) {
    if (th.nr_periods == 0) continue;
    const double ratio = static_cast<double>(th.nr_throttled) / static_cast<double>(th.nr_periods);
    if (ratio >= t.throttled_ratio)
      out.push_back({ratio >= 0.5 ? "critical" : "warning", "cpu",
                     fmt::format("CPU throttled in {:.0f}% of periods", ratio * 100),
                     fmt::format("{} of {} periods, {} throttled; quota {} us per {} us: raise the CPU limit",
                                 th.nr_throttled, th.nr_periods, human_ns(th.throttled_ns), th.quota_us,
                                 th.period_us)});
  }
  // A throttled thread waits runnable, so throttling shows up as run-queue time (once per
  // thread): when throttling was reported, it is the explanation, not contention.
  bool explained_by_throttling = false;
  for (const auto& th : c.throttling)
    if (th.nr_periods && th.nr_throttled >= t.throttled_ratio * static_cast<double>(th.nr_periods))
      explained_by_throttling = true;
  if (c.run_queue.count && c.run_queue.p99_ns >= t.runq_p99_ns && !explained_by_throttling)
    out.push_back({"warning", "cpu", fmt::format("CPU contention: run-queue p99 {}", human_ns(c.run_queue.p99_ns)),
                   fmt::format("threads waited {} in total for a CPU; {} of it after involuntary preemption",
                               human_ns(c.run_queue_ns), human_ns(c.preempted_ns))});
  if (c.io_ns > c.on_cpu_ns && c.io_ns > 100'000'000)
    out.push_back({"info", "cpu", fmt::format("blocked in uninterruptible I/O for {}", human_ns(c.io_ns)),
                   fmt::format("more than the {} spent on CPU", human_ns(c.on_cpu_ns))});
}

void process_findings(const ProcessReport& p, std::vector<Finding>& out) {
  for (const auto& x : p.exited) {
    if (x.oom_killed)
      out.push_back({"critical", "process", fmt::format("{} (pid {}) was OOM-killed", x.comm, x.pid),
                     "the container hit its memory limit: raise it or reduce memory use"});
    else if (x.signal)
      out.push_back({"warning", "process", fmt::format("{} (pid {}) killed by signal {}", x.comm, x.pid, x.signal),
                     x.core_dumped ? "core dumped" : ""});
    else if (x.exit_code)
      out.push_back({"warning", "process", fmt::format("{} (pid {}) exited with code {}", x.comm, x.pid, x.exit_code),
                     ""});
  }
}

// --- Network ---

void tcp_findings(const TcpReport& t, std::vector<Finding>& out) {
  for (const auto& e : t.endpoints) {
    const std::string where = fmt::format("{} {}:{}", e.direction == "inbound" ? "from" : "to", e.address, e.port);
    const uint64_t failed = e.refused + e.timed_out + e.unreachable;
    if (failed)
      out.push_back({e.connects ? "warning" : "critical", "tcp",
                     fmt::format("{} of {} connects {} failed", failed, failed + e.connects, where),
                     fmt::format("{} refused (nothing listening), {} timed out (SYNs unanswered), {} unreachable",
                                 e.refused, e.timed_out, e.unreachable)});
    if (e.connect_latency.count && e.connect_latency.p99_ns >= 100'000'000)
      out.push_back({"warning", "tcp", fmt::format("slow TCP connects {}: p99 {}", where, human_ns(e.connect_latency.p99_ns)),
                     fmt::format("p50 {}, smoothed RTT p50 {}: {}", human_ns(e.connect_latency.p50_ns),
                                 human_ns(e.rtt.p50_ns),
                                 e.rtt.p50_ns * 2 < e.connect_latency.p50_ns
                                     ? "connects are slower than the RTT: SYN loss or an overloaded accept queue"
                                     : "the network path is slow")});
    if (e.retransmits + e.rto_events >= 10)
      out.push_back({"warning", "tcp", fmt::format("{} retransmits {}", e.retransmits, where),
                     fmt::format("{} retransmission timeouts; packets are being lost on the path", e.rto_events)});
    if (e.resets_received)
      out.push_back({"warning", "tcp", fmt::format("{} connections {} reset by the peer", e.resets_received, where),
                     "the remote side aborted: crashed, restarted, or closed with unread data"});
  }
}

void dns_findings(const DnsReport& d, std::vector<Finding>& out) {
  for (const auto& n : d.names) {
    if (n.timeouts)
      out.push_back({"critical", "dns", fmt::format("{} DNS queries for {} {} got no answer", n.timeouts, n.name, n.qtype),
                     "the resolver or its upstream does not answer; each timeout stalls the lookup for seconds"});
    uint64_t bad = 0;
    for (const auto& [rc, c] : n.rcodes)
      if (rc != "NOERROR" && rc != "NXDOMAIN") bad += c;
    if (bad)
      out.push_back({"warning", "dns", fmt::format("{} error answers for {} {}", bad, n.name, n.qtype), ""});
    if (n.latency.count && n.latency.p99_ns >= 100'000'000)
      out.push_back({"warning", "dns", fmt::format("slow DNS for {}: p99 {}", n.name, human_ns(n.latency.p99_ns)),
                     "answered by " + n.server});
  }
  uint64_t nx = 0, total = 0;
  for (const auto& n : d.names) {
    total += n.queries;
    auto it = n.rcodes.find("NXDOMAIN");
    if (it != n.rcodes.end()) nx += it->second;
  }
  if (total >= 10 && nx * 2 >= total)
    out.push_back({"info", "dns", fmt::format("{} of {} DNS queries returned NXDOMAIN", nx, total),
                   "typical of the search list with ndots:5: use fully qualified names (trailing dot) or lower ndots"});
  for (const auto& l : d.lookups)
    if (l.calls && l.queries >= 4 * l.calls)
      out.push_back({"info", "dns", fmt::format("each lookup of {} sent {:.1f} DNS queries", l.host,
                                                static_cast<double>(l.queries) / static_cast<double>(l.calls)),
                     "the search list and ndots expand short names; a trailing dot avoids it"});
}

void udp_findings(const UdpReport& u, std::vector<Finding>& out) {
  for (const auto& d : u.drops)
    if (d.count)
      out.push_back({"warning", "net", fmt::format("{} {} packets of the pod dropped: {}", d.count, d.protocol, d.reason),
                     ""});
  // Per-endpoint UDP errors (udp family).
  for (const auto& e : u.endpoints) {
    const std::string ep = e.address + ":" + std::to_string(e.port);
    if (e.errors)
      out.push_back({"warning", "udp", fmt::format("{} UDP errors with {}: {}", e.errors, ep, e.last_error),
                     e.last_error == "ECONNREFUSED" ? "ICMP port unreachable: nothing listens on that port" : ""});
    if (e.receive_errors)
      out.push_back({"warning", "udp",
                     fmt::format("{} datagrams from {} refused by the pod's receive queue", e.receive_errors, ep),
                     "the application reads too slowly or its SO_RCVBUF is too small"});
  }
}

}  // namespace

std::vector<Finding> diagnose(const Report& r, const DiagnoseThresholds& t) {
  std::vector<Finding> out;
  if (r.fileio) fileio_findings(*r.fileio, t, out);
  if (r.cpu) cpu_findings(*r.cpu, t, out);
  if (r.process) process_findings(*r.process, out);
  if (r.tcp) tcp_findings(*r.tcp, out);
  if (r.dns) dns_findings(*r.dns, out);
  if (r.udp) udp_findings(*r.udp, out);
  const uint64_t lost = r.lost_ringbuf + r.lost_userspace;
  if (lost)
    out.push_back({"info", "tracer", fmt::format("{} events were dropped", lost),
                   "counts and histograms are exact; only individual event lines are missing"});
  if (r.lost_map_full)
    out.push_back({"info", "tracer", fmt::format("{} per-key aggregates did not fit", r.lost_map_full),
                   "per-file or per-thread tables are incomplete; per-op totals are exact"});
  std::stable_sort(out.begin(), out.end(),
                   [](const Finding& a, const Finding& b) { return rank(a.severity) < rank(b.severity); });
  return out;
}

}  // namespace podtrace
