// SPDX-License-Identifier: Apache-2.0
// metrics.cpp: Prometheus text format with cumulative `le` buckets in seconds.
#include "metrics.h"

#include <httplib.h>

#include <fmt/format.h>

namespace podtrace {

namespace {

void histogram(std::string& out, const std::string& name, const std::string& labels,
               const LatencySummary& s, uint64_t total_ns) {
  uint64_t cumulative = 0;
  for (const auto& b : s.buckets) {
    cumulative += b.count;
    if (b.le_ns == UINT64_MAX) continue;
    out += fmt::format("{}_bucket{{{},le=\"{:.9g}\"}} {}\n", name, labels, (b.le_ns + 1) / 1e9, cumulative);
  }
  out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, s.count);
  out += fmt::format("{}_sum{{{}}} {:.9f}\n", name, labels, total_ns / 1e9);
  out += fmt::format("{}_count{{{}}} {}\n", name, labels, s.count);
}

}  // namespace

std::string render_prometheus(const Report& r) {
  std::string out;
  out += "# TYPE podtrace_lost_events_total counter\n";
  out += fmt::format("podtrace_lost_events_total{{reason=\"ringbuf\"}} {}\n", r.lost_ringbuf);
  out += fmt::format("podtrace_lost_events_total{{reason=\"userspace\"}} {}\n", r.lost_userspace);
  out += fmt::format("podtrace_lost_events_total{{reason=\"map_full\"}} {}\n", r.lost_map_full);
  if (r.fileio) {
    out += "# TYPE podtrace_fileio_latency_seconds histogram\n";
    for (const auto& o : r.fileio->ops)
      histogram(out, "podtrace_fileio_latency_seconds", fmt::format("op=\"{}\"", o.op), o.latency,
                o.latency.mean_ns * o.latency.count);
    out += "# TYPE podtrace_fileio_errors_total counter\n";
    for (const auto& o : r.fileio->ops)
      out += fmt::format("podtrace_fileio_errors_total{{op=\"{}\"}} {}\n", o.op, o.errors);
    out += "# TYPE podtrace_fileio_bytes_total counter\n";
    for (const auto& o : r.fileio->ops)
      out += fmt::format("podtrace_fileio_bytes_total{{op=\"{}\"}} {}\n", o.op, o.bytes);
  }
  if (r.cpu) {
    out += "# TYPE podtrace_cpu_runqueue_latency_seconds histogram\n";
    histogram(out, "podtrace_cpu_runqueue_latency_seconds", "scope=\"target\"", r.cpu->run_queue,
              r.cpu->run_queue_ns);
    out += "# TYPE podtrace_cpu_seconds_total counter\n";
    out += fmt::format("podtrace_cpu_seconds_total{{state=\"on_cpu\"}} {:.9f}\n", r.cpu->on_cpu_ns / 1e9);
    out += fmt::format("podtrace_cpu_seconds_total{{state=\"io\"}} {:.9f}\n", r.cpu->io_ns / 1e9);
    out += fmt::format("podtrace_cpu_seconds_total{{state=\"sleep\"}} {:.9f}\n", r.cpu->sleep_ns / 1e9);
    out += fmt::format("podtrace_cpu_seconds_total{{state=\"preempted\"}} {:.9f}\n", r.cpu->preempted_ns / 1e9);
    out += "# TYPE podtrace_cpu_throttled_periods_total counter\n";
    for (const auto& t : r.cpu->throttling)
      out += fmt::format("podtrace_cpu_throttled_periods_total{{cgroup=\"{}\"}} {}\n", t.cgroup, t.nr_throttled);
  }
  if (r.process) {
    out += "# TYPE podtrace_process_events_total counter\n";
    out += fmt::format("podtrace_process_events_total{{kind=\"exec\"}} {}\n", r.process->execs);
    out += fmt::format("podtrace_process_events_total{{kind=\"fork\"}} {}\n", r.process->forks);
    out += fmt::format("podtrace_process_events_total{{kind=\"exit\"}} {}\n", r.process->exits);
    out += fmt::format("podtrace_process_events_total{{kind=\"oom_kill\"}} {}\n", r.process->oom_kills);
  }
  // --- Network ---
  if (r.tcp) {
    auto labels = [](const TcpEndpointReport& e) {
      return fmt::format("direction=\"{}\",remote=\"{}\",port=\"{}\"", e.direction, e.address, e.port);
    };
    out += "# TYPE podtrace_tcp_connect_latency_seconds histogram\n";
    for (const auto& e : r.tcp->endpoints)
      if (e.connect_latency.count)
        histogram(out, "podtrace_tcp_connect_latency_seconds", labels(e), e.connect_latency,
                  e.connect_latency.mean_ns * e.connect_latency.count);
    out += "# TYPE podtrace_tcp_srtt_seconds histogram\n";
    for (const auto& e : r.tcp->endpoints)
      if (e.rtt.count) histogram(out, "podtrace_tcp_srtt_seconds", labels(e), e.rtt, e.rtt.mean_ns * e.rtt.count);
    out += "# TYPE podtrace_tcp_connect_failures_total counter\n";
    for (const auto& e : r.tcp->endpoints)
      for (auto [reason, n] : {std::pair{"refused", e.refused}, {"timeout", e.timed_out},
                               {"unreachable", e.unreachable}, {"other", e.other_failures}})
        out += fmt::format("podtrace_tcp_connect_failures_total{{{},reason=\"{}\"}} {}\n", labels(e), reason, n);
    out += "# TYPE podtrace_tcp_retransmits_total counter\n";
    for (const auto& e : r.tcp->endpoints)
      out += fmt::format("podtrace_tcp_retransmits_total{{{}}} {}\n", labels(e), e.retransmits);
    out += "# TYPE podtrace_tcp_resets_total counter\n";
    for (const auto& e : r.tcp->endpoints) {
      out += fmt::format("podtrace_tcp_resets_total{{{},side=\"sent\"}} {}\n", labels(e), e.resets_sent);
      out += fmt::format("podtrace_tcp_resets_total{{{},side=\"received\"}} {}\n", labels(e), e.resets_received);
    }
    out += "# TYPE podtrace_tcp_bytes_total counter\n";
    for (const auto& e : r.tcp->endpoints) {
      out += fmt::format("podtrace_tcp_bytes_total{{{},dir=\"sent\"}} {}\n", labels(e), e.bytes_sent);
      out += fmt::format("podtrace_tcp_bytes_total{{{},dir=\"received\"}} {}\n", labels(e), e.bytes_received);
    }
  }
  if (r.dns) {
    out += "# TYPE podtrace_dns_latency_seconds histogram\n";
    for (const auto& n : r.dns->names)
      if (n.latency.count)
        histogram(out, "podtrace_dns_latency_seconds", fmt::format("name=\"{}\",qtype=\"{}\"", n.name, n.qtype),
                  n.latency, n.latency.mean_ns * n.latency.count);
    out += "# TYPE podtrace_dns_responses_total counter\n";
    for (const auto& n : r.dns->names)
      for (const auto& [rc, c] : n.rcodes)
        out += fmt::format("podtrace_dns_responses_total{{name=\"{}\",qtype=\"{}\",rcode=\"{}\"}} {}\n", n.name,
                           n.qtype, rc, c);
    out += "# TYPE podtrace_dns_timeouts_total counter\n";
    for (const auto& n : r.dns->names)
      out += fmt::format("podtrace_dns_timeouts_total{{name=\"{}\",qtype=\"{}\"}} {}\n", n.name, n.qtype, n.timeouts);
  }
  if (r.udp) {
    out += "# TYPE podtrace_packet_drops_total counter\n";
    for (const auto& d : r.udp->drops)
      out += fmt::format("podtrace_packet_drops_total{{reason=\"{}\",protocol=\"{}\"}} {}\n", d.reason, d.protocol,
                         d.count);
  }
  return out;
}

MetricsServer::MetricsServer() : server_(std::make_unique<httplib::Server>()) {}

MetricsServer::~MetricsServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

Status MetricsServer::start(const std::string& addr) {
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos) return make_error("invalid --metrics-addr " + addr + ": want HOST:PORT");
  const std::string host = addr.substr(0, colon).empty() ? "0.0.0.0" : addr.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(addr.substr(colon + 1));
  } catch (...) {
    return make_error("invalid --metrics-addr " + addr + ": bad port");
  }
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    res.set_content(latest_, "text/plain; version=0.0.4");
  });
  if (!server_->bind_to_port(host, port)) return make_error("cannot listen on " + addr);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Ok{};
}

void MetricsServer::update(std::string exposition) {
  std::lock_guard lock(mutex_);
  latest_ = std::move(exposition);
}

}  // namespace podtrace
