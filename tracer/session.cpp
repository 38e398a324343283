// SPDX-License-Identifier: Apache-2.0
// session.cpp: one trace, as a sequence of steps: resolve the target, start the families, open
// the ring buffer and /metrics, poll until an end condition, then write the final report.
// Signals only set a flag; everything else happens on the poll tick.
#include "session.h"

#include <fmt/format.h>
#include <malloc.h>
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <utility>

#include "activity_map.h"
#include "clock.h"
#include "core_btf_cache.h"
#include "cpu_throttle.h"
#include "diagnose.h"
#include "event_line_budget.h"
#include "families.h"
#include "family_start.h"
#include "jsonl_writer.h"
#include "libbpf_util.h"
#include "metrics.h"
#include "render_html.h"
#include "render_prometheus.h"
#include "render_text.h"
#include "report.h"
#include "resident_pages.h"
#include "sections/cpu.h"
#include "target.h"
#include "timeline_recorder.h"
#include "vmlinux_btf_share.h"

namespace podtrace::tracer {

namespace {

std::atomic<int> g_stop_signal{0};

void on_stop_signal(int sig) { g_stop_signal.store(sig); }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  // SA_RESTART: a stop signal during a write to a full stdout pipe must not cut the write short
  // (stdio drops the rest of its buffer on EINTR, leaving half a JSON line: seen under qemu).
  // The poll loop still wakes at once: epoll_wait and nanosleep are never restarted.
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed stdout (the plugin went away) must end the trace cleanly, not kill it mid-detach.
  signal(SIGPIPE, SIG_IGN);
}

int on_ringbuf_record(void* ctx, void* data, size_t size) {
  static_cast<Probe*>(ctx)->receive(data, size);
  return 0;
}

struct RingBufferDeleter {
  void operator()(ring_buffer* rb) const { ring_buffer__free(rb); }
};

class WriterSink : public EventSink {
 public:
  WriterSink(JsonlWriter* writer, TimelineRecorder* timeline, uint64_t lines_per_s)
      : writer_(writer), timeline_(timeline), budget_(lines_per_s) {}
  void event(Event e) override {
    timeline_->event(e);
    if (writer_ && budget_.take(e.family)) writer_->write("event", nlohmann::json(e), false);
  }
  // Text output streams no lines: families need not build events for it.
  bool streams(std::string_view family) override { return writer_ && budget_.admits(family); }
  void refill(uint64_t now_ns) { budget_.refill(now_ns); }
  EventLines lines() const {
    // Text output streams no lines: nothing is held back from anyone.
    if (!writer_) return {};
    return {budget_.per_second(), budget_.not_streamed()};
  }

 private:
  JsonlWriter* writer_;
  TimelineRecorder* timeline_;  // process life cycles, whatever the output
  EventLineBudget budget_;
};

std::vector<uint64_t> ids_of(const Target& t) {
  std::vector<uint64_t> ids;
  for (const auto& c : t.cgroups) ids.push_back(c.id);
  // The BPF filter holds PT_MAX_TARGET_CGROUPS ids; say once that the rest are not traced.
  static bool told = false;
  if (ids.size() > PT_MAX_TARGET_CGROUPS && !std::exchange(told, true))
    fmt::print(stderr, "podtrace-tracer: the target has {} cgroups; only the first {} are traced\n",
               ids.size(), PT_MAX_TARGET_CGROUPS);
  return ids;
}

std::vector<std::filesystem::path> paths_of(const Target& t) {
  std::vector<std::filesystem::path> paths;
  for (const auto& c : t.cgroups) paths.push_back(c.path);
  return paths;
}

bool target_alive(const Target& t, bool& had_processes) {
  if (t.kind == "pid") return kill(std::stoi(t.spec), 0) == 0 || errno == EPERM;
  if (awaiting_restart(t)) return true;
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

// The state of one trace between its steps.
class TraceSession {
 public:
  TraceSession(const SessionOptions& options, const KernelFeatures& features, FILE* out)
      : options_(options),
        features_(features),
        out_(out),
        cgroups_(options.roots),
        writer_(out),
        jsonl_(options.output == OutputFormat::kJsonl),
        sink_(jsonl_ ? &writer_ : nullptr, &timeline_, options.event_lines_per_s) {}

  int run() {
    if (auto ok = resolve(); !ok) return fail(ok.error());
    install_signal_handlers();
    if (auto ok = start_families(); !ok) return fail(ok.error());
    if (auto ok = open_ring_buffer(); !ok) return fail(ok.error());
    throttle_.start(cgroups_, target_.roots);
    if (auto ok = start_metrics(); !ok) return fail(ok.error());
    write_start();
    // This boot's first start makes the CO-RE copy for the next ones, now that it is running.
    if (core_btf_file_ && !core_btf_cached_)
      core_btf_maker_ = CoreBtfMaker::start(*core_btf_file_, family_objects());
    release_initialised_only_libraries();
    // Every family's metrics exist (at zero) from the first scrape, not from the first summary.
    publish_metrics(monotonic_ns(), true);
    const std::string end_reason = poll_until_end();
    finish(end_reason);
    // Detaching everything before the session ends, all families at once.
    stop_families_at_once(std::move(running_));
    core_btf_maker_.reset();  // a bpftool still running is killed: the next start tries again
    return 0;
  }

 private:
  int fail(const std::string& message) {
    fmt::print(stderr, "podtrace-tracer: {}\n", message);
    return 1;
  }

  Status resolve() {
    auto resolved = resolve_target(options_.target, cgroups_);
    if (!resolved) return resolved.take_error();
    target_ = std::move(*resolved);
    // Processes present now count as seen: a target that exits before the first tick has
    // exited, while a cgroup that starts empty is waiting for its workload.
    (void)target_alive(target_, had_processes_);
    config_.features = &features_;
    config_.slow_threshold_ns = options_.slow_threshold_ns;
    config_.cgroup_ids = ids_of(target_);
    config_.cgroup_paths = paths_of(target_);
    config_.proc_root = options_.roots.proc;
    config_.cgroup_root = options_.roots.cgroup;
    config_.dns_timeout_ns = options_.dns_timeout_ns;
    config_.time_per_thread = options_.time_per_thread;
    config_.syscall_hooks = options_.syscall_hooks;
    // Without the shared map the breakdown still works; it cannot name DNS, DB or lock waits.
    if (auto ok = activity_.create(features_.has(AttachType::kHashOnDemand)); ok)
      config_.activity_map_fd = activity_.fd();
    else
      fmt::print(stderr, "podtrace-tracer: {}\n", ok.error());
    return ok_status();
  }

  // The node's kernel, in the report: a disabled family can be checked against what works here.
  void record_kernel() {
    struct utsname u {};
    if (uname(&u) == 0) report_.kernel.release = u.release;
    for (AttachType type : kAllAttachTypes) {
      const FeatureResult r = features_.probe(type);
      report_.kernel.features.push_back({std::string(attach_type_name(type)), r.works, r.reason});
    }
  }

  // Each family starts on its own: one that cannot load is disabled alone, with its reason.
  Status start_families() {
    record_kernel();
    core_btf_file_ = core_btf_cache_file(family_objects());
    core_btf_cached_ = core_btf_file_ && core_btf_usable(*core_btf_file_);
    const std::string core_btf = core_btf_cached_ ? core_btf_file_->string() : "";
    for (auto& family : start_families_at_once(config_, options_.disabled, core_btf)) {
      if (family.probe)
        running_.push_back(std::move(family.probe));
      else if (family.status.reason != "disabled by --disable")
        fmt::print(stderr, "podtrace-tracer: {} diagnostics disabled: {}\n", family.status.name,
                   family.status.reason);
      report_.diagnostics.push_back(family.status);
    }
    // bpftool's copy made a load fail: the rest of the boot relocates against the kernel's BTF.
    if (core_btf_cached_ && vmlinux_btf_counts().core_btf_fallbacks > 0)
      retire_core_btf(*core_btf_file_);
    if (running_.empty()) return make_error("no diagnostic could start on this kernel");
    return ok_status();
  }

  Status open_ring_buffer() {
    for (auto& probe : running_) {
      probe->attach_sink(sink_);
      const int fd = probe->ringbuf_fd();
      if (fd < 0) continue;
      if (!rb_) {
        rb_.reset(ring_buffer__new(fd, on_ringbuf_record, probe.get(), nullptr));
        if (!rb_) return make_error("cannot open ring buffer: " + libbpf_error(-errno));
      } else if (int err = ring_buffer__add(rb_.get(), fd, on_ringbuf_record, probe.get()); err) {
        return make_error("cannot add ring buffer: " + libbpf_error(err));
      }
    }
    return ok_status();
  }

  Status start_metrics() {
    if (options_.metrics_addr.empty()) return ok_status();
    return metrics_.start(options_.metrics_addr);
  }

  // cpp-httplib's Debian build links OpenSSL and initialises it when the library loads, which
  // maps ~3 MB of libcrypto's code and tables into the tracer; /metrics is plain HTTP, so no
  // later call needs them (one that did would map them again).
  static void release_initialised_only_libraries() {
    static constexpr std::array<std::string_view, 2> kNames = {"libcrypto.so", "libssl.so"};
    (void)release_library_pages(kNames);
  }

  // What the loads' CO-RE relocations used: "cache" (this boot's minimal copy), or "kernel".
  std::string core_btf_source() const {
    if (!core_btf_cached_) return "kernel";
    const size_t fallbacks = vmlinux_btf_counts().core_btf_fallbacks;
    return fallbacks ? fmt::format("cache, {} loads fell back to kernel", fallbacks) : "cache";
  }

  void write_start() {
    if (!jsonl_) return;
    writer_.write("start", {{"tracer_version", PODTRACE_VERSION},
                            {"target", target_json(target_)},
                            {"slow_threshold_ns", options_.slow_threshold_ns},
                            {"core_btf", core_btf_source()},
                            {"diagnostics", report_.diagnostics}});
  }

  // Polls the ring buffer until a signal, the duration or the target's exit; writes a summary
  // every interval. Returns why it ended.
  std::string poll_until_end() {
    const uint64_t started = started_ = monotonic_ns();
    uint64_t next_summary = started + options_.interval_ns;
    timeline_.start(started);
    next_sample_ = started + 1'000'000'000ull;
    // Records are decoded as they come; the rest of a tick (the target's cgroups, event lines,
    // summaries) runs every 100 ms, not at every wake-up: a flood wakes the poll thousands of
    // times a second, and rescanning the cgroups each time was most of the tracer's CPU.
    constexpr uint64_t kTickNs = 100'000'000;
    uint64_t next_tick = started + kTickNs;
    while (true) {
      const uint64_t before = monotonic_ns();
      const int wait_ms =
          next_tick > before ? static_cast<int>((next_tick - before) / 1'000'000) : 0;
      // Families without events (cpu) leave no ring buffer: then the tick is a plain sleep.
      if (rb_)
        ring_buffer__poll(rb_.get(), wait_ms);
      else
        usleep(static_cast<useconds_t>(wait_ms) * 1000);
      const uint64_t now = monotonic_ns();
      if (g_stop_signal.load()) return "signal";
      if (options_.duration_ns && now - started >= options_.duration_ns) return "duration";
      if (now < next_tick) continue;
      next_tick = now + kTickNs;
      // Records below a ring's wake-up mark (bpf/common.bpf.h, ringbuf_wakeup) wake nobody:
      // they are taken here, so an event is streamed within a tick however sparse its family.
      if (rb_) ring_buffer__consume(rb_.get());
      if (!refresh_target(target_, static_cast<double>(now - started) / 1e9) ||
          !target_alive(target_, had_processes_))
        return "target_exited";
      retarget();
      sink_.refill(now);
      for (auto& probe : running_) probe->flush(sink_);
      if (jsonl_) writer_.flush();
      const bool sampled = sample_timeline(now);
      if (now >= next_summary) {
        next_summary = now + options_.interval_ns;
        if (!sampled) collect();
        report_.duration_s = static_cast<double>(now - started) / 1e9;
        if (jsonl_) writer_.write("summary", report_to_json(report_));
        publish_metrics(now, false);
      } else {
        publish_metrics(now, !sampled);
      }
    }
  }

  // The timeline's points are whole seconds from the start, read on the first tick after each.
  bool sample_timeline(uint64_t now) {
    if (now < next_sample_) return false;
    while (next_sample_ <= now) next_sample_ += 1'000'000'000ull;
    const uint64_t read_at = monotonic_ns();
    collect();
    timeline_.sample(report_, read_at);
    return true;
  }

  // /metrics is fresh to the second, whatever the summary interval; `collect_first` when the
  // summary tick did not just collect.
  void publish_metrics(uint64_t now, bool collect_first) {
    if (options_.metrics_addr.empty() || now < next_metrics_) return;
    next_metrics_ = now + 1'000'000'000ull;
    if (collect_first) collect();
    metrics_.update(render_prometheus(report_, metric_labels(), options_.metrics_top));
  }

  // Who the metrics are about, as the plugin named the pod.
  Labels metric_labels() const {
    Labels labels;
    if (!options_.k8s_namespace.empty()) labels.emplace_back("namespace", options_.k8s_namespace);
    if (!options_.k8s_pod.empty()) labels.emplace_back("pod", options_.k8s_pod);
    if (!options_.k8s_container.empty()) labels.emplace_back("container", options_.k8s_container);
    return labels;
  }

  // The target's cgroups changed (containers restarted, children appeared): refilter.
  void retarget() {
    const auto ids = ids_of(target_);
    if (ids == config_.cgroup_ids) return;
    config_.cgroup_ids = ids;
    for (auto& probe : running_) probe->set_targets(ids);
    config_.cgroup_paths = paths_of(target_);
    for (auto& probe : running_) probe->set_target_cgroups(config_.cgroup_paths);
  }

  void collect() {
    for (auto& probe : running_) probe->flush(sink_);
    report_.lost_ringbuf = report_.lost_map_full = 0;
    for (auto& probe : running_) {
      probe->fill(report_);
      const LostCounts l = probe->lost();
      report_.lost_ringbuf += l.ringbuf;
      report_.lost_map_full += l.map_full;
    }
    report_.event_lines = sink_.lines();
    // Throttling is read from the cgroup files, so it is reported even without the cpu probe.
    auto throttling = throttle_.since_start();
    if (!throttling.empty() || report_.find<CpuReport>())
      report_.get<CpuReport>().throttling = std::move(throttling);
    // What the last report's build and JSON freed lies between live blocks, where glibc keeps it
    // resident (~8 MB in the demo run): give it back (docs/performance.md, tracer memory).
    malloc_trim(0);
  }

  void finish(const std::string& end_reason) {
    // Whatever the kernel committed before we stopped is still in the ring buffer.
    if (rb_) ring_buffer__consume(rb_.get());
    collect();
    const uint64_t ended = monotonic_ns();
    // The last point is the part-second since the last full one; only the report has a timeline.
    timeline_.sample(report_, ended);
    report_.set(timeline_.build());
    report_.duration_s = static_cast<double>(ended - started_) / 1e9;
    report_.final_report = true;
    report_.end_reason = end_reason;
    report_.target_exited = end_reason == "target_exited";
    report_.findings = diagnose(report_, options_.thresholds);
    if (report_.target_exited)
      report_.findings.insert(report_.findings.begin(), target_exit_finding(target_));
    auto restarts = restart_findings(target_);
    report_.findings.insert(report_.findings.begin(), restarts.begin(), restarts.end());
    rank_findings(report_.findings);
    if (jsonl_) {
      writer_.write("report", report_to_json(report_));
    } else {
      TextWriter text(Style(false), {.histograms = options_.histograms});
      text.heading(fmt::format("podtrace report for {} {}", target_.kind, target_.spec));
      render_report_body(text, report_);
      fmt::print(out_, "{}", text.str());
    }
    if (!options_.metrics_addr.empty())
      metrics_.update(render_prometheus(report_, metric_labels(), options_.metrics_top));
    if (!options_.html_path.empty()) write_html();
  }

  void write_html() {
    const std::string title = fmt::format("podtrace: {} {}", target_.kind, target_.spec);
    std::ofstream page(options_.html_path, std::ios::trunc);
    page << render_html(title, {{title, &report_}});
    if (!page.flush()) fmt::print(stderr, "podtrace-tracer: cannot write {}\n", options_.html_path);
  }

  const SessionOptions& options_;
  const KernelFeatures& features_;
  FILE* out_;
  CgroupFs cgroups_;
  JsonlWriter writer_;
  const bool jsonl_;
  TimelineRecorder timeline_;
  WriterSink sink_;
  Target target_;
  bool had_processes_ = false;
  ActivityMap activity_;  // before the probes: their objects hold it
  ProbeConfig config_;
  Report report_;
  std::vector<std::unique_ptr<Probe>> running_;
  std::unique_ptr<ring_buffer, RingBufferDeleter> rb_;
  ThrottleMonitor throttle_;
  MetricsServer metrics_;
  std::optional<std::filesystem::path> core_btf_file_;  // this boot's CO-RE copy, if any
  bool core_btf_cached_ = false;                        // the loads used it
  std::unique_ptr<CoreBtfMaker> core_btf_maker_;        // making it, on a first start
  uint64_t started_ = 0;
  uint64_t next_metrics_ = 0;
  uint64_t next_sample_ = 0;
};

}  // namespace

int run_check(const KernelFeatures& features, SyscallHooks syscall_hooks, FILE* out) {
  fmt::print(out, "{:<16} {}\n", "ATTACH TYPE", "STATUS");
  for (AttachType type : kAllAttachTypes) {
    auto r = features.probe(type);
    fmt::print(out, "{:<16} {}\n", attach_type_name(type),
               r.works ? "ok" : "unavailable: " + r.reason);
  }
  fmt::print(out, "\n{:<16} {}\n", "DIAGNOSTIC", "USES");
  ProbeConfig config;
  config.features = &features;
  config.syscall_hooks = syscall_hooks;
  for (const auto& family : families()) {
    auto probe = family.make();
    auto r = probe->start(config);
    fmt::print(out, "{:<16} {}\n", family.name,
               r ? std::string(attach_type_name(*r)) : "disabled: " + r.error());
  }
  return 0;
}

int run_session(const SessionOptions& options, const KernelFeatures& features, FILE* out) {
  return TraceSession(options, features, out).run();
}

}  // namespace podtrace::tracer
