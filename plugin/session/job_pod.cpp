// SPDX-License-Identifier: Apache-2.0
// Waiting for the Job's pod: list, judge, then block on a watch from the list's resourceVersion
// until the pods change; a broken or refused watch only means listing again.
#include "session/job_pod.h"

#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "kube/api_paths.h"
#include "kube/json_access.h"

namespace podtrace::plugin {

using json = nlohmann::json;

JobPodState evaluate_job_pods(const json& pod_list, const std::string& job_name) {
  JobPodState state;
  state.message = fmt::format("waiting for the pod of job {} to be created", job_name);
  const json* items = member(pod_list, "items");
  if (!items || !items->is_array() || items->empty()) return state;
  const json& pod = items->back();
  const json* meta = member(pod, "metadata");
  const json* status = member(pod, "status");
  state.pod = meta ? get_text(*meta, "name") : "";
  // A pod without a name cannot be followed; wait for a real one (found by tests/fuzz).
  if (state.pod.empty()) return state;
  static const json empty = json::object();
  if (!status) status = &empty;
  std::string phase = get_text(*status, "phase", "Pending");

  if (phase == "Running" || phase == "Succeeded" || phase == "Failed") {
    state.kind = JobPodState::Kind::ready;
    state.message = fmt::format("pod {} is {}", state.pod, phase);
    return state;
  }
  if (const json* conds = member(*status, "conditions"); conds && conds->is_array()) {
    for (const auto& c : *conds) {
      if (get_text(c, "type") == "PodScheduled" && get_text(c, "status") == "False") {
        state.kind = JobPodState::Kind::failed;
        state.message = fmt::format("the tracer pod {} cannot be scheduled ({}): {}", state.pod,
                                    get_text(c, "reason", "Unschedulable"), get_text(c, "message"));
        return state;
      }
    }
  }
  static const std::set<std::string> fatal = {
      "ErrImagePull",      "ImagePullBackOff",           "InvalidImageName",
      "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError",
      "RunContainerError"};
  std::string waiting_reason;
  if (const json* cs = member(*status, "containerStatuses"); cs && cs->is_array()) {
    for (const auto& c : *cs) {
      const json* st = member(c, "state");
      const json* waiting = st ? member(*st, "waiting") : nullptr;
      if (!waiting) continue;
      std::string reason = get_text(*waiting, "reason");
      if (fatal.count(reason)) {
        state.kind = JobPodState::Kind::failed;
        state.message = fmt::format("the tracer container {} cannot start ({}): {}",
                                    get_text(c, "name"), reason, get_text(*waiting, "message"));
        return state;
      }
      if (!reason.empty()) waiting_reason = reason;
    }
  }
  std::string node;
  if (const json* spec = member(pod, "spec")) node = get_text(*spec, "nodeName");
  state.message =
      fmt::format("waiting for pod {}{}: {}", state.pod, node.empty() ? "" : " on node " + node,
                  waiting_reason.empty() ? phase : waiting_reason);
  return state;
}

std::optional<std::string> job_create_failure(const json& event_list) {
  const json* items = member(event_list, "items");
  if (!items || !items->is_array()) return std::nullopt;
  for (const auto& e : *items) {
    if (get_text(e, "reason") != "FailedCreate") continue;
    std::string message = get_text(e, "message");
    std::string why = "the Job controller cannot create the tracer pod: " + message;
    if (message.find("PodSecurity") != std::string::npos)
      why +=
          " (use --job-namespace with a namespace labelled "
          "pod-security.kubernetes.io/enforce=privileged)";
    return why;
  }
  return std::nullopt;
}

namespace {

enum class WatchEnd { changed, quiet, unavailable };

// Blocks until the first event of a watch on `list_path` from resourceVersion `rv`, `limit`, or
// a stop request. `unavailable` when the watch could not be opened or failed at once (no watch
// right, an old API server): the caller then waits without one.
WatchEnd await_change(kube::RestClient& client, const std::string& list_path, const std::string& rv,
                      const kube::RequestTarget& target, std::chrono::milliseconds limit,
                      const std::function<bool()>& should_stop) {
  const long seconds = std::max<long>(
      1, static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(limit).count()));
  const std::string path = list_path + (list_path.find('?') == std::string::npos ? "?" : "&") +
                           "watch=1&resourceVersion=" + rv +
                           "&timeoutSeconds=" + std::to_string(seconds);
  auto transport = client.new_transport();
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false, event = false;
  kube::StreamOutcome outcome;
  std::thread watcher([&] {
    // Any complete event line (ADDED, MODIFIED, DELETED, ERROR) ends the wait: the caller lists
    // again and judges the pods as they are now.
    auto result = client.stream(*transport, path, target, [&](std::string_view chunk) {
      if (chunk.find('\n') == std::string_view::npos) return true;
      std::lock_guard lock(mutex);
      event = true;
      return false;
    });
    std::lock_guard lock(mutex);
    outcome = std::move(result);
    done = true;
    cv.notify_all();
  });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  {
    std::unique_lock lock(mutex);
    // A stop request is a flag set by a signal handler: looked at every 50 ms.
    while (!done && !should_stop() && std::chrono::steady_clock::now() < deadline)
      cv.wait_for(lock, std::chrono::milliseconds(50));
  }
  transport->cancel();
  watcher.join();
  if (event) return WatchEnd::changed;
  if (outcome.kind == kube::StreamOutcome::Kind::failed) return WatchEnd::unavailable;
  return WatchEnd::quiet;
}

// Until the next change of the Job's pods, at most `limit`. Without a working watch: 500 ms.
void wait_for_change(kube::RestClient& client, const std::string& list_path, const std::string& rv,
                     const kube::RequestTarget& target, std::chrono::milliseconds limit,
                     const std::function<bool()>& should_stop, bool& watch_works) {
  const auto started = std::chrono::steady_clock::now();
  if (watch_works && !rv.empty() && limit > std::chrono::milliseconds(0)) {
    const WatchEnd end = await_change(client, list_path, rv, target, limit, should_stop);
    if (end == WatchEnd::changed) return;
    if (end == WatchEnd::unavailable) watch_works = false;
  }
  // A watch refused or dropped at once must not turn into a busy loop of lists.
  while (!should_stop() &&
         std::chrono::steady_clock::now() - started < std::chrono::milliseconds(500))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace

Result<std::string> wait_for_job_pod(kube::RestClient& client, const std::string& ns,
                                     const std::string& job_name, std::chrono::milliseconds timeout,
                                     Progress& progress, const std::function<bool()>& should_stop) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_message;
  const std::string list_path = kube::pods_path(ns, "job-name=" + job_name);
  bool watch_works = true;
  while (true) {
    if (should_stop()) return make_error("interrupted");
    auto list = client.get(list_path, {"list", "pods", "", ns, ""});
    if (!list) return list.take_error();
    JobPodState state = evaluate_job_pods(*list, job_name);
    if (state.kind == JobPodState::Kind::ready) return state.pod;
    if (state.kind == JobPodState::Kind::failed) return make_error(state.message);
    if (state.pod.empty()) {
      // No pod yet: the Job controller may be refused (PodSecurity, quota), which only its
      // events say. Reading them is optional: without the right, keep waiting.
      auto events = client.get(kube::job_events_path(ns, job_name), {"list", "events", "", ns, ""});
      if (events)
        if (auto failure = job_create_failure(*events)) return make_error(*failure);
      // Or it gave up, which its conditions say.
      auto job = client.get(kube::job_path(ns, job_name), {"get", "jobs", "batch", ns, job_name});
      if (job) {
        const json* status = member(*job, "status");
        const json* conds = status ? member(*status, "conditions") : nullptr;
        if (conds && conds->is_array()) {
          for (const auto& c : *conds) {
            if (get_text(c, "type") == "Failed" && get_text(c, "status") == "True")
              return make_error(fmt::format("job {} failed ({}): {}", job_name,
                                            get_text(c, "reason"), get_text(c, "message")));
          }
        }
      }
    }
    last_message = state.message;
    progress.update(state.message);
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(fmt::format(
          "the tracer did not start within {} s ({}); see `kubectl describe job -n {} {}` "
          "or raise --start-timeout",
          std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), last_message, ns,
          job_name));
    // Without a pod, a refusal shows only in the Job's events and conditions, which the pod
    // watch does not see: they are read again after at most 2 s.
    auto limit = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (state.pod.empty())
      limit = std::min<std::chrono::milliseconds>(limit, std::chrono::seconds(2));
    const json* meta = member(*list, "metadata");
    wait_for_change(client, list_path, meta ? get_text(*meta, "resourceVersion") : "",
                    {"watch", "pods", "", ns, ""}, limit, should_stop, watch_works);
  }
}

std::string describe_container_end(kube::RestClient& client, const std::string& ns,
                                   const std::string& pod, const std::string& container) {
  auto doc = client.get(kube::pod_path(ns, pod), {"get", "pods", "", ns, pod});
  if (!doc) return {};
  const json* status = member(*doc, "status");
  const json* cs = status ? member(*status, "containerStatuses") : nullptr;
  if (!cs || !cs->is_array()) return {};
  for (const auto& c : *cs) {
    if (get_text(c, "name") != container) continue;
    const json* st = member(c, "state");
    const json* term = st ? member(*st, "terminated") : nullptr;
    if (!term) return {};
    return fmt::format("exit code {} ({})", get_i64(*term, "exitCode").value_or(-1),
                       get_text(*term, "reason", "?"));
  }
  return {};
}

}  // namespace podtrace::plugin
