// SPDX-License-Identifier: Apache-2.0
// report_json.cpp: renders the report model as the `summary` and `report` JSON objects.
#include "report_json.h"

namespace podtrace {

using nlohmann::json;

json latency_json(const LatencySummary& s) {
  json buckets = json::array();
  for (const auto& b : s.buckets) buckets.push_back({{"le_ns", b.le_ns}, {"count", b.count}});
  return {{"count", s.count},   {"p50_ns", s.p50_ns}, {"p90_ns", s.p90_ns},
          {"p99_ns", s.p99_ns}, {"max_ns", s.max_ns}, {"mean_ns", s.mean_ns},
          {"histogram", buckets}};
}

json diagnostics_json(const std::vector<DiagnosticStatus>& diags) {
  json out = json::array();
  for (const auto& d : diags) {
    json j = {{"name", d.name}, {"enabled", d.enabled}, {"attach", d.attach}};
    if (!d.reason.empty()) j["reason"] = d.reason;
    out.push_back(j);
  }
  return out;
}

namespace {

json fileio_json(const FileioReport& f) {
  json ops = json::array();
  for (const auto& o : f.ops)
    ops.push_back({{"op", o.op}, {"count", o.count}, {"bytes", o.bytes}, {"errors", o.errors},
                   {"latency", latency_json(o.latency)}});
  json files = json::array();
  for (const auto& x : f.files) {
    json j = {{"path", x.path},   {"pid", x.pid},       {"op", x.op},
              {"count", x.count}, {"bytes", x.bytes},   {"errors", x.errors},
              {"total_ns", x.total_ns}, {"max_ns", x.max_ns}};
    if (!x.errnos.empty()) j["errnos"] = x.errnos;
    files.push_back(j);
  }
  return {{"ops", ops}, {"files", files}};
}

json cpu_json(const CpuReport& c) {
  json throttling = json::array();
  for (const auto& t : c.throttling)
    throttling.push_back({{"cgroup", t.cgroup},         {"source", t.source},
                          {"quota_us", t.quota_us},     {"period_us", t.period_us},
                          {"nr_periods", t.nr_periods}, {"nr_throttled", t.nr_throttled},
                          {"throttled_ns", t.throttled_ns}});
  json threads = json::array();
  for (const auto& t : c.threads)
    threads.push_back({{"pid", t.pid},
                       {"tid", t.tid},
                       {"comm", t.comm},
                       {"on_cpu_ns", t.on_cpu_ns},
                       {"run_queue_ns", t.run_queue_ns},
                       {"io_ns", t.io_ns},
                       {"sleep_ns", t.sleep_ns},
                       {"preempted_ns", t.preempted_ns},
                       {"switches", t.switches},
                       {"involuntary_switches", t.involuntary}});
  return {{"run_queue", latency_json(c.run_queue)},
          {"on_cpu", latency_json(c.on_cpu)},
          {"on_cpu_ns", c.on_cpu_ns},
          {"run_queue_ns", c.run_queue_ns},
          {"off_cpu_ns", {{"io", c.io_ns}, {"sleep", c.sleep_ns}, {"preempted", c.preempted_ns}}},
          {"off_cpu",
           {{"io", latency_json(c.off_io)},
            {"sleep", latency_json(c.off_sleep)},
            {"preempted", latency_json(c.preempted)}}},
          {"throttling", throttling},
          {"threads", threads}};
}

json process_json(const ProcessReport& p) {
  json exited = json::array();
  for (const auto& x : p.exited)
    exited.push_back({{"pid", x.pid},
                      {"ppid", x.ppid},
                      {"comm", x.comm},
                      {"exit_code", x.exit_code},
                      {"signal", x.signal},
                      {"core_dumped", x.core_dumped},
                      {"oom_killed", x.oom_killed}});
  return {{"execs", p.execs}, {"forks", p.forks},         {"threads", p.threads},
          {"exits", p.exits}, {"oom_kills", p.oom_kills}, {"exited", exited}};
}

// --- Network ---

json tcp_json(const TcpReport& t) {
  json endpoints = json::array();
  for (const auto& e : t.endpoints)
    endpoints.push_back({{"direction", e.direction},
                         {"address", e.address},
                         {"port", e.port},
                         {"connects", e.connects},
                         {"failures",
                          {{"refused", e.refused},
                           {"timeout", e.timed_out},
                           {"unreachable", e.unreachable},
                           {"other", e.other_failures}}},
                         {"connect_latency", latency_json(e.connect_latency)},
                         {"rtt", latency_json(e.rtt)},
                         {"rtt_min_us", e.rtt_min_us},
                         {"retransmits", e.retransmits},
                         {"rto_events", e.rto_events},
                         {"resets_sent", e.resets_sent},
                         {"resets_received", e.resets_received},
                         {"closed", e.closed},
                         {"bytes_sent", e.bytes_sent},
                         {"bytes_received", e.bytes_received},
                         {"lifetime", latency_json(e.lifetime)}});
  return {{"connects", t.connects},
          {"failures", t.failures},
          {"retransmits", t.retransmits},
          {"resets", t.resets},
          {"connect_latency", latency_json(t.connect_latency)},
          {"rtt", latency_json(t.rtt)},
          {"lifetime", latency_json(t.lifetime)},
          {"endpoints", endpoints}};
}

json dns_json(const DnsReport& d) {
  json names = json::array();
  for (const auto& n : d.names)
    names.push_back({{"name", n.name},
                     {"qtype", n.qtype},
                     {"queries", n.queries},
                     {"answers", n.answers},
                     {"timeouts", n.timeouts},
                     {"rcodes", n.rcodes},
                     {"latency", latency_json(n.latency)},
                     {"server", n.server},
                     {"transport", n.transport}});
  json lookups = json::array();
  for (const auto& l : d.lookups)
    lookups.push_back({{"host", l.host},
                       {"calls", l.calls},
                       {"failures", l.failures},
                       {"errors", l.errors},
                       {"queries", l.queries},
                       {"latency", latency_json(l.latency)}});
  json j = {{"queries", d.queries}, {"answers", d.answers}, {"timeouts", d.timeouts},
            {"errors", d.errors},   {"latency", latency_json(d.latency)},
            {"names", names},       {"lookups", lookups}};
  if (!d.lookup_status.empty()) j["lookup_status"] = d.lookup_status;
  return j;
}

json udp_json(const UdpReport& u) {
  json endpoints = json::array();
  for (const auto& e : u.endpoints)
    endpoints.push_back({{"address", e.address},
                         {"port", e.port},
                         {"packets_sent", e.packets_sent},
                         {"bytes_sent", e.bytes_sent},
                         {"packets_received", e.packets_received},
                         {"bytes_received", e.bytes_received},
                         {"errors", e.errors},
                         {"receive_errors", e.receive_errors},
                         {"last_error", e.last_error}});
  json drops = json::array();
  for (const auto& d : u.drops)
    drops.push_back({{"reason", d.reason}, {"protocol", d.protocol}, {"count", d.count}});
  return {{"endpoints", endpoints}, {"drops", drops}};
}

}  // namespace

json report_json(const Report& r, bool final_report) {
  json j = {{"duration_s", r.duration_s},
            {"lost_events",
             {{"ringbuf", r.lost_ringbuf}, {"map_full", r.lost_map_full}, {"userspace", r.lost_userspace}}}};
  if (final_report) {
    j["end_reason"] = r.end_reason;
    j["target_exited"] = r.target_exited;
    j["diagnostics"] = diagnostics_json(r.diagnostics);
    json findings = json::array();
    for (const auto& f : r.findings)
      findings.push_back(
          {{"severity", f.severity}, {"family", f.family}, {"title", f.title}, {"detail", f.detail}});
    j["findings"] = findings;
  }
  if (r.fileio) j["fileio"] = fileio_json(*r.fileio);
  if (r.cpu) j["cpu"] = cpu_json(*r.cpu);
  if (r.process) j["process"] = process_json(*r.process);
  if (r.tcp) j["tcp"] = tcp_json(*r.tcp);
  if (r.dns) j["dns"] = dns_json(*r.dns);
  if (r.udp) j["udp"] = udp_json(*r.udp);
  return j;
}

}  // namespace podtrace
