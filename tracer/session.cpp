// SPDX-License-Identifier: Apache-2.0
// session.cpp: the trace loop. Signals only set a flag; everything else happens on the poll tick.
#include "session.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "cpu_throttle.h"
#include "diagnose.h"
#include "jsonl_writer.h"
#include "libbpf_util.h"
#include "metrics.h"
#include "probes/fileio_probe.h"
#include "probes/process_probe.h"
#include "probes/cpu_probe.h"
#include "probes/dns_probe.h"
#include "probes/tcp_probe.h"
#include "probes/udp_probe.h"
#include "report_json.h"
#include "report_text.h"
#include "target.h"

namespace podtrace {

namespace {

std::atomic<int> g_stop_signal{0};

void on_stop_signal(int sig) { g_stop_signal.store(sig); }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed stdout (the plugin went away) must end the trace cleanly, not kill it mid-detach.
  signal(SIGPIPE, SIG_IGN);
}

uint64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int on_ringbuf_record(void* ctx, void* data, size_t size) {
  static_cast<Probe*>(ctx)->enqueue(data, size);
  return 0;
}

struct RingBufferDeleter {
  void operator()(ring_buffer* rb) const { ring_buffer__free(rb); }
};

class WriterSink : public EventSink {
 public:
  WriterSink(JsonlWriter* writer) : writer_(writer) {}
  void event(nlohmann::json e) override {
    if (writer_) writer_->write("event", std::move(e));
  }

 private:
  JsonlWriter* writer_;
};

std::vector<uint64_t> ids_of(const Target& t) {
  std::vector<uint64_t> ids;
  for (const auto& c : t.cgroups) ids.push_back(c.id);
  return ids;
}

std::vector<std::filesystem::path> paths_of(const Target& t) {
  std::vector<std::filesystem::path> paths;
  for (const auto& c : t.cgroups) paths.push_back(c.path);
  return paths;
}

bool target_alive(const Target& t, bool& had_processes) {
  if (t.kind == "pid") return kill(std::stoi(t.spec), 0) == 0 || errno == EPERM;
  size_t pids = 0;
  for (const auto& c : t.cgroups) pids += CgroupFs::pids_in(c.path).size();
  if (pids) had_processes = true;
  // An empty cgroup that never had processes is waiting for its workload, not finished.
  return pids > 0 || !had_processes;
}

nlohmann::json target_json(const Target& t) {
  nlohmann::json cgroups = nlohmann::json::array();
  for (const auto& c : t.cgroups) cgroups.push_back({{"path", c.path.string()}, {"id", c.id}});
  return {{"kind", t.kind}, {"spec", t.spec}, {"cgroups", cgroups}};
}

}  // namespace

std::vector<std::unique_ptr<Probe>> make_probes() {
  std::vector<std::unique_ptr<Probe>> probes;
  probes.push_back(std::make_unique<FileioProbe>());
  probes.push_back(std::make_unique<CpuProbe>());
  probes.push_back(std::make_unique<ProcessProbe>());
  // Network families.
  probes.push_back(std::make_unique<TcpProbe>());
  probes.push_back(std::make_unique<DnsProbe>());
  probes.push_back(std::make_unique<UdpProbe>());
  return probes;
}

int run_check(const KernelFeatures& features, FILE* out) {
  fmt::print(out, "{:<16} {}\n", "ATTACH TYPE", "STATUS");
  for (AttachType type : kAllAttachTypes) {
    auto r = features.probe(type);
    fmt::print(out, "{:<16} {}\n", attach_type_name(type), r.works ? "ok" : "unavailable: " + r.reason);
  }
  fmt::print(out, "\n{:<16} {}\n", "DIAGNOSTIC", "USES");
  ProbeConfig config;
  config.features = &features;
  for (auto& probe : make_probes()) {
    auto r = probe->start(config);
    fmt::print(out, "{:<16} {}\n", probe->name(),
               r ? std::string(attach_type_name(*r)) : "disabled: " + r.error());
  }
  return 0;
}

int run_session(const SessionOptions& options, const KernelFeatures& features, FILE* out) {
  CgroupFs cgroups(options.roots);
  auto resolved = resolve_target(options.target, cgroups);
  if (!resolved) {
    fmt::print(stderr, "podtrace-tracer: {}\n", resolved.error());
    return 1;
  }
  Target target = std::move(*resolved);
  // Processes present now count as seen: a target that exits before the first tick has exited,
  // while a cgroup that starts empty is waiting for its workload.
  bool had_processes = false;
  (void)target_alive(target, had_processes);
  install_signal_handlers();

  JsonlWriter writer(out);
  const bool jsonl = options.output == OutputFormat::kJsonl;
  WriterSink sink(jsonl ? &writer : nullptr);

  ProbeConfig config;
  config.features = &features;
  config.slow_threshold_ns = options.slow_threshold_ns;
  config.cgroup_ids = ids_of(target);
  config.cgroup_paths = paths_of(target);
  config.proc_root = options.roots.proc;
  config.dns_timeout_ns = options.dns_timeout_ns;

  Report report;
  std::vector<std::unique_ptr<Probe>> running;
  for (auto& probe : make_probes()) {
    DiagnosticStatus status{std::string(probe->name()), false, "", ""};
    if (options.disabled.count(status.name)) {
      status.reason = "disabled by --disable";
    } else if (auto attach = probe->start(config)) {
      status.enabled = true;
      status.attach = attach_type_name(*attach);
      running.push_back(std::move(probe));
    } else {
      status.reason = attach.error();
      fmt::print(stderr, "podtrace-tracer: {} diagnostics disabled: {}\n", status.name, status.reason);
    }
    report.diagnostics.push_back(status);
  }
  if (running.empty()) {
    fmt::print(stderr, "podtrace-tracer: no diagnostic could start on this kernel\n");
    return 1;
  }

  std::unique_ptr<ring_buffer, RingBufferDeleter> rb;
  for (auto& probe : running) {
    const int fd = probe->ringbuf_fd();
    if (fd < 0) continue;
    if (!rb) {
      rb.reset(ring_buffer__new(fd, on_ringbuf_record, probe.get(), nullptr));
      if (!rb) {
        fmt::print(stderr, "podtrace-tracer: cannot open ring buffer: {}\n", libbpf_error(-errno));
        return 1;
      }
    } else if (int err = ring_buffer__add(rb.get(), fd, on_ringbuf_record, probe.get()); err) {
      fmt::print(stderr, "podtrace-tracer: cannot add ring buffer: {}\n", libbpf_error(err));
      return 1;
    }
  }

  std::vector<std::filesystem::path> roots = target.roots;
  ThrottleMonitor throttle;
  throttle.start(cgroups, roots);

  MetricsServer metrics;
  if (!options.metrics_addr.empty()) {
    if (auto ok = metrics.start(options.metrics_addr); !ok) {
      fmt::print(stderr, "podtrace-tracer: {}\n", ok.error());
      return 1;
    }
  }

  if (jsonl)
    writer.write("start", {{"tracer_version", PODTRACE_VERSION},
                           {"target", target_json(target)},
                           {"slow_threshold_ns", options.slow_threshold_ns},
                           {"diagnostics", diagnostics_json(report.diagnostics)}});

  auto collect = [&](Report& r) {
    for (auto& probe : running) probe->flush(sink);
    r.lost_ringbuf = r.lost_map_full = r.lost_userspace = 0;
    for (auto& probe : running) {
      probe->fill(r);
      const LostCounts l = probe->lost();
      r.lost_ringbuf += l.ringbuf;
      r.lost_map_full += l.map_full;
      r.lost_userspace += probe->userspace_lost();
    }
    auto throttling = throttle.since_start();
    if (!throttling.empty() || r.cpu) {
      if (!r.cpu) r.cpu = CpuReport{};
      r.cpu->throttling = std::move(throttling);
    }
  };

  const uint64_t started = monotonic_ns();
  uint64_t next_summary = started + options.interval_ns;
  std::string end_reason;
  while (end_reason.empty()) {
    // Families without events (cpu) leave no ring buffer: then the tick is a plain sleep.
    if (rb)
      ring_buffer__poll(rb.get(), 100);
    else
      usleep(100'000);
    const uint64_t now = monotonic_ns();
    if (g_stop_signal.load()) end_reason = "signal";
    else if (options.duration_ns && now - started >= options.duration_ns) end_reason = "duration";
    else if (!refresh_target(target) || !target_alive(target, had_processes)) end_reason = "target_exited";
    if (!end_reason.empty()) break;

    const auto ids = ids_of(target);
    if (ids != config.cgroup_ids) {
      config.cgroup_ids = ids;
      for (auto& probe : running) probe->set_targets(ids);
      config.cgroup_paths = paths_of(target);
      for (auto& probe : running) probe->set_target_cgroups(config.cgroup_paths);
    }
    for (auto& probe : running) probe->flush(sink);
    if (now >= next_summary) {
      next_summary = now + options.interval_ns;
      collect(report);
      report.duration_s = (now - started) / 1e9;
      if (jsonl) writer.write("summary", report_json(report, false));
      if (!options.metrics_addr.empty()) metrics.update(render_prometheus(report));
    }
  }

  // Whatever the kernel committed before we stopped is still in the ring buffer.
  if (rb) ring_buffer__consume(rb.get());
  collect(report);
  report.duration_s = (monotonic_ns() - started) / 1e9;
  report.end_reason = end_reason;
  report.target_exited = end_reason == "target_exited";
  report.findings = diagnose(report);
  if (report.target_exited)
    report.findings.insert(report.findings.begin(),
                           {"info", "target", "the target exited during the trace",
                            "the report covers what ran until then"});
  if (jsonl)
    writer.write("report", report_json(report, true));
  else
    fmt::print(out, "{}", render_text(report, target.kind + " " + target.spec));
  if (!options.metrics_addr.empty()) metrics.update(render_prometheus(report));
  // Probes (and their links) are destroyed here, detaching everything.
  return 0;
}

}  // namespace podtrace
