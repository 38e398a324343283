// SPDX-License-Identifier: Apache-2.0
// session.cpp: one podtrace run, as a sequence of steps: resolve the pods, create one tracer Job
// per node, wait for their pods, follow their logs, wait for the end, render. Network work
// happens on worker threads (one per log stream); the main thread only watches for the end, a
// stop signal, or the grace deadline after a stop.
#include "session/session.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "event_line.h"
#include "job/job_spec.h"
#include "kube/api_paths.h"
#include "kube/names.h"
#include "kube/pods.h"
#include "live/live_screen.h"
#include "render/html_report.h"
#include "render/json_report.h"
#include "render/terminal_report.h"
#include "session/job_cleanup.h"
#include "session/job_pod.h"
#include "session/progress.h"
#include "session/signals.h"
#include "stream/log_follower.h"
#include "terminal_safe.h"
#include "trace/session_report.h"
#include "util/duration.h"
#include "util/random_id.h"

namespace podtrace::plugin {
namespace {

using json = nlohmann::json;

struct NodeJob {
  std::string node;
  std::string name;
  std::vector<size_t> pods;  // indexes into SessionReport::pods, container trace-<i> ↔ pods[i]
  std::string job_pod;
};

Result<std::vector<kube::PodInfo>> resolve_targets(const SessionOptions& o,
                                                   kube::RestClient& client, std::ostream& err) {
  std::vector<kube::PodInfo> targets;
  if (!o.pod.empty()) {
    auto pod = kube::get_pod(client, o.namespace_, o.pod);
    if (!pod) return pod.take_error();
    auto chosen = kube::select_containers(*pod, o.container);
    if (!chosen) return chosen.take_error();
    targets.push_back(std::move(*chosen));
    return targets;
  }
  std::vector<std::string> skipped;
  auto pods = kube::list_pods(client, o.namespace_, o.selector, skipped);
  if (!pods) return pods.take_error();
  for (const auto& s : skipped) err << s << "\n";
  for (const auto& pod : *pods) {
    auto chosen = kube::select_containers(pod, o.container);
    if (!chosen) {
      err << "skipping: " << chosen.error() << "\n";
      continue;
    }
    targets.push_back(std::move(*chosen));
  }
  if (targets.empty())
    return make_error(fmt::format("no running pod matches selector \"{}\" in namespace \"{}\"",
                                  sanitize_for_terminal(o.selector), o.namespace_));
  return targets;
}

// The state of one run between its steps.
class PluginSession {
 public:
  PluginSession(const SessionOptions& o, kube::RestClient& client, std::ostream& out,
                std::ostream& err, bool stderr_is_tty, bool stdout_color)
      : o_(o),
        client_(client),
        out_(out),
        err_(err),
        stderr_is_tty_(stderr_is_tty),
        stdout_color_(stdout_color),
        job_ns_(o.job_namespace.empty() ? o.namespace_ : o.job_namespace),
        cleanup_(client, err, o.keep) {}

  // Traces, then renders unless `render` is false; the reports stay in report().
  int run(bool render_report = true) {
    auto targets = resolve_targets(o_, client_, err_);
    if (!targets) return fail(targets.error());
    targets_ = std::move(*targets);
    plan_jobs();
    if (stop_requests() > 0) return fail("interrupted before the tracer was started");
    if (auto ok = create_jobs(); !ok) return fail(ok.error());
    if (auto ok = wait_for_job_pods(); !ok) return fail(ok.error());
    start_followers();
    announce();
    follow_until_end();
    record_outcomes();
    cleanup_.delete_all();
    if (render_report) render();
    return exit_code();
  }

  SessionReport& report() { return report_; }

 private:
  int fail(const std::string& message) {
    err_ << "error: " << message << "\n";
    return stop_requests() > 0 ? 130 : 1;
  }

  // One trace per pod; one Job per node, with one container per pod on that node.
  void plan_jobs() {
    std::map<std::string, size_t> job_of_node;
    for (auto& pod : targets_) {
      PodTrace trace;
      trace.pod = pod.name;
      trace.namespace_ = pod.namespace_;
      trace.node = pod.node;
      for (const auto& c : pod.containers) trace.traced_containers.push_back(c.name);
      report_.pods.push_back(std::move(trace));
      auto [it, inserted] = job_of_node.emplace(pod.node, jobs_.size());
      if (inserted) jobs_.push_back({pod.node, {}, {}, {}});
      jobs_[it->second].pods.push_back(report_.pods.size() - 1);
    }
    for (size_t j = 0; j < jobs_.size(); j++)
      jobs_[j].name =
          jobs_.size() == 1 ? "podtrace-" + session_ : fmt::format("podtrace-{}-{}", session_, j);
  }

  Status create_jobs() {
    for (auto& job : jobs_) {
      JobParams params;
      params.name = job.name;
      params.namespace_ = job_ns_;
      params.session = session_;
      params.node = job.node;
      params.image = o_.image;
      params.privileged = o_.privileged;
      params.duration = o_.duration;
      // The live view redraws every second from the summaries: they must come that often.
      if (o_.live) params.interval = std::chrono::seconds(1);
      params.thresholds = o_.thresholds;
      params.start_timeout = std::chrono::duration_cast<std::chrono::seconds>(o_.start_timeout);
      for (size_t i = 0; i < job.pods.size(); i++) {
        const auto& pod = targets_[job.pods[i]];
        // Restarts are followed when every container is traced: any new one is then ours.
        const bool follow =
            pod.restart_policy != "Never" && pod.containers.size() == pod.pod_containers;
        TraceTarget t{pod.name, pod.namespace_, {}, follow, {}};
        for (const auto& c : pod.containers) {
          t.container_ids.push_back(c.id);
          t.container_names.push_back(c.name);
        }
        report_.pods[job.pods[i]].job = job.name;
        report_.pods[job.pods[i]].container = trace_container_name(i);
        params.targets.push_back(std::move(t));
      }
      auto manifest = render_job(params);
      if (!manifest) return manifest.take_error();
      cleanup_.add(job_ns_, job.name);
      auto created = client_.post(kube::jobs_path(job_ns_), *manifest,
                                  {"create", "jobs", "batch", job_ns_, ""});
      if (!created) {
        cleanup_.mark_uncertain(job.name);
        return created.take_error();
      }
      err_ << fmt::format("created job {} in namespace {} on node {} (session {})\n", job.name,
                          job_ns_, sanitize_for_terminal(job.node), session_);
    }
    return ok_status();
  }

  // Every Job's pod, sharing one start deadline.
  Status wait_for_job_pods() {
    const auto deadline = std::chrono::steady_clock::now() + o_.start_timeout;
    for (auto& job : jobs_) {
      Progress progress(err_, stderr_is_tty_);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto pod =
          wait_for_job_pod(client_, job_ns_, job.name, std::max(left, std::chrono::milliseconds(0)),
                           progress, [] { return stop_requests() > 0; });
      progress.done();
      if (!pod) return pod.take_error();
      job.job_pod = *pod;
    }
    return ok_status();
  }

  // Prints an event live (--follow), as a line for people or as a JSON line.
  void show_event(const Event& e, const std::string& label, size_t index) {
    std::lock_guard<std::mutex> out_lock(out_mutex_);
    if (o_.output == OutputFormat::json) {
      nlohmann::json j = event_line(e);
      if (!label.empty()) j["pod"] = report_.pods[index].namespace_ + "/" + label;
      out_ << j.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      out_ << format_event(e, label, Style(stdout_color_)) << "\n";
    }
    out_.flush();
  }

  // One follower per traced pod: container trace-<i> of its node's Job pod.
  void start_followers() {
    for (const auto& job : jobs_) {
      for (size_t i = 0; i < job.pods.size(); i++) {
        const size_t index = job.pods[i];
        const std::string label = report_.pods.size() > 1 ? report_.pods[index].pod : "";
        auto sink = [this, index, label](TracerLine&& line) {
          std::optional<Event> event;
          {
            std::lock_guard<std::mutex> lock(report_mutex_);
            event = apply_tracer_line(report_.pods[index], std::move(line));
          }
          if (event && o_.follow) show_event(*event, label, index);
        };
        auto notice = [this, label](const std::string& msg) {
          std::lock_guard<std::mutex> lock(out_mutex_);
          err_ << (label.empty() ? "" : label + ": ") << msg << "\n";
        };
        followers_.push_back(std::make_unique<LogFollower>(
            client_, kube::pod_log_path(job_ns_, job.job_pod, trace_container_name(i), true),
            kube::RequestTarget{"get", "pods/log", "", job_ns_, job.job_pod}, sink, notice));
        follower_pod_.push_back(index);
      }
    }
  }

  void announce() {
    started_ = std::chrono::steady_clock::now();
    const std::string what =
        o_.pod.empty() ? fmt::format("{} pods", report_.pods.size()) : "pod " + o_.pod;
    err_ << fmt::format("tracing {} for {}{}\n", sanitize_for_terminal(what),
                        format_duration(o_.duration),
                        o_.follow ? "" : " (Ctrl-C stops early and still prints the report)");
    err_.flush();
  }

  // Runs the followers until every log ends. The first stop request deletes the Jobs (their
  // tracers then print the final report); a second one, or the grace deadline, cancels.
  void follow_until_end() {
    outcomes_.resize(followers_.size());
    std::atomic<size_t> finished{0};
    std::vector<std::thread> threads;
    for (size_t f = 0; f < followers_.size(); f++) {
      threads.emplace_back([&, f] {
        outcomes_[f] = followers_[f]->run();
        finished++;
      });
    }
    bool canceled = false;
    std::chrono::steady_clock::time_point grace_deadline;
    while (finished < followers_.size()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const int stops = stop_requests();
      const bool interrupted = stops > 0 && !stopping_;
      if (interrupted || (!stopping_ && o_.done && o_.done())) {
        stopping_ = true;
        interrupted_ = interrupted;
        grace_deadline = std::chrono::steady_clock::now() + o_.stop_grace;
        if (interrupted) {
          std::lock_guard<std::mutex> lock(out_mutex_);
          err_ << "\nstopping: deleting the tracer job; waiting for its final report (Ctrl-C again "
                  "to quit now)\n";
        }
        // Deleting the Job makes the kubelet send SIGTERM: the tracer prints its report and exits.
        cleanup_.delete_all();
      }
      if (o_.live && !stopping_) draw_live();
      if (!canceled && stopping_ &&
          (stops > 1 || std::chrono::steady_clock::now() >= grace_deadline)) {
        canceled = true;
        for (auto& f : followers_) f->cancel();
      }
    }
    for (auto& t : threads) t.join();
  }

  // Once a second: the top-like screen on a terminal, a plain line per pod elsewhere.
  void draw_live() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_live_) return;
    next_live_ = now + std::chrono::seconds(1);
    const LiveClock clock{std::chrono::duration<double>(now - started_).count(),
                          std::chrono::duration<double>(o_.duration).count()};
    std::string frame;
    {
      std::lock_guard<std::mutex> lock(report_mutex_);
      frame = o_.stdout_is_tty
                  ? render_live_screen(report_, clock, Style(stdout_color_), terminal_width())
                  : render_live_lines(report_, clock);
    }
    std::lock_guard<std::mutex> lock(out_mutex_);
    // Home and clear, then the frame: no scrolling history of stale screens.
    if (o_.stdout_is_tty) out_ << "\x1b[H\x1b[2J";
    out_ << frame;
    out_.flush();
  }

  static size_t terminal_width() {
    winsize ws{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 100;
  }

  // Why a pod has no report: the stream broke, or the tracer ended without one.
  void record_outcomes() {
    for (size_t f = 0; f < followers_.size(); f++) {
      PodTrace& trace = report_.pods[follower_pod_[f]];
      trace.garbage_lines = followers_[f]->garbage();
      const auto& outcome = outcomes_[f];
      if (outcome.kind == kube::StreamOutcome::Kind::dropped ||
          outcome.kind == kube::StreamOutcome::Kind::failed) {
        trace.errors.push_back(outcome.message);
      } else if (!trace.report && outcome.kind == kube::StreamOutcome::Kind::ended) {
        std::string end;
        for (const auto& job : jobs_)
          if (job.name == trace.job && !stopping_)
            end = describe_container_end(client_, job_ns_, job.job_pod, trace.container);
        trace.errors.push_back("the tracer ended without a report" +
                               (end.empty() ? "" : ": " + end));
      }
    }
  }

  void render() {
    if (!o_.html_path.empty())
      if (auto ok = write_html_report(report_, o_.html_path); !ok)
        err_ << "error: " << ok.error() << "\n";
    bool any_report = false;
    for (const auto& p : report_.pods) any_report = any_report || p.report || p.last_summary;
    if (o_.report || !any_report) {
      if (o_.output == OutputFormat::json)
        out_ << render_json_report(report_) << "\n";
      else
        render_terminal_report(report_, Style(stdout_color_), out_, {.histograms = o_.histograms});
    }
    out_.flush();
  }

  int exit_code() const {
    if (interrupted_ || stop_requests() > 0) return 130;
    for (const auto& p : report_.pods)
      if (!p.report) return 1;
    return 0;
  }

  const SessionOptions& o_;
  kube::RestClient& client_;
  std::ostream& out_;
  std::ostream& err_;
  const bool stderr_is_tty_;
  const bool stdout_color_;
  const std::string job_ns_;
  const std::string session_ = random_id(8);
  JobCleanup cleanup_;
  std::vector<kube::PodInfo> targets_;
  SessionReport report_;
  std::vector<NodeJob> jobs_;
  std::mutex report_mutex_;
  std::mutex out_mutex_;
  std::vector<std::unique_ptr<LogFollower>> followers_;
  std::vector<size_t> follower_pod_;
  std::vector<kube::StreamOutcome> outcomes_;
  std::chrono::steady_clock::time_point started_{};
  std::chrono::steady_clock::time_point next_live_{};
  bool stopping_ = false;     // the Jobs were deleted so that the tracers end
  bool interrupted_ = false;  // ... because of Ctrl-C or SIGTERM
};

}  // namespace

int run_session(const SessionOptions& o, kube::RestClient& client, std::ostream& out,
                std::ostream& err, bool stderr_is_tty, bool stdout_color) {
  return PluginSession(o, client, out, err, stderr_is_tty, stdout_color).run();
}

int trace_session(const SessionOptions& o, kube::RestClient& client, std::ostream& err,
                  bool stderr_is_tty, SessionReport& result) {
  std::ostringstream unused;
  PluginSession session(o, client, unused, err, stderr_is_tty, false);
  const int code = session.run(false);
  result = std::move(session.report());
  return code;
}

}  // namespace podtrace::plugin
