// SPDX-License-Identifier: Apache-2.0
// Job reconciliation for completions=1, parallelism=1 Jobs (what podtrace creates); no retries.
#include "job_controller.h"

#include <fmt/format.h>

#include <optional>
#include <set>

#include "controller_clock.h"
#include "events.h"
#include "object_defaults.h"
#include "pod_security.h"
#include "time_format.h"

namespace podtrace::cluster {

using nlohmann::json;

namespace {

const char* finished_annotation = "cluster.podtrace.dev/finished-at";

bool has_condition(const json& job, const std::string& type) {
  for (const auto& c : job["status"].value("conditions", json::array()))
    if (c.value("type", "") == type && c.value("status", "") == "True") return true;
  return false;
}

json job_condition(const std::string& type, const std::string& reason, const std::string& message,
                   const std::string& now) {
  json c = {
      {"type", type}, {"status", "True"}, {"lastProbeTime", now}, {"lastTransitionTime", now}};
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  return c;
}

bool owned_by(const json& pod, const std::string& uid) {
  for (const auto& ref : pod["metadata"].value("ownerReferences", json::array()))
    if (ref.value("uid", "") == uid) return true;
  return false;
}

// The FailedCreate event this controller records for a Job whose pod was refused.
EventSpec failed_create(const json& job, const std::string& message) {
  json ref = object_reference(job);
  ref["kind"] = "Job";
  ref["apiVersion"] = "batch/v1";
  return {ref, "Warning", "FailedCreate", message, "job-controller"};
}

// After a failed create the real controller requeues the Job with per-item exponential
// backoff (DefaultJobApiBackOff 1s, doubling, MaxJobApiBackOff 60s). The FailedCreate event's
// count and lastTimestamp hold that state here, so the controller stays stateless.
bool create_backed_off(Store& store, const json& job, Clock::time_point now) {
  auto event = find_event(store, failed_create(job, ""));
  Clock::time_point last;
  if (!event || !parse_rfc3339(event->value("lastTimestamp", ""), last)) return false;
  int failures = event->value("count", 1);
  auto delay = std::chrono::seconds(failures > 6 ? 60 : std::min(60, 1 << (failures - 1)));
  return now < last + delay;
}

// Creates the Job's pod through the same Pod Security admission as a client's POST, as the
// pod control does through the API server. A refusal creates no pod and becomes a
// FailedCreate event with the API server's error. Returns whether a pod was created.
bool create_job_pod(Store& store, const json& job, Clock::time_point now) {
  const json& meta = job["metadata"];
  std::string ns = meta.value("namespace", "");
  json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}};
  pod["metadata"] = job["spec"]["template"].value("metadata", json::object());
  pod["metadata"]["generateName"] = meta["name"].get<std::string>() + "-";
  pod["metadata"].erase("name");
  pod["metadata"]["ownerReferences"] = {{{"apiVersion", "batch/v1"},
                                         {"kind", "Job"},
                                         {"name", meta["name"]},
                                         {"uid", meta["uid"]},
                                         {"controller", true},
                                         {"blockOwnerDeletion", true}}};
  pod["spec"] = job["spec"]["template"]["spec"];
  fill_metadata(pod, ns, now);
  default_and_validate_pod(pod);
  auto namespace_obj = store.get("namespaces", "", ns);
  json labels =
      namespace_obj ? (*namespace_obj)["metadata"].value("labels", json::object()) : json::object();
  if (auto refusal = admit_pod(labels, pod).refusal) {
    record_event(store, failed_create(job, "Error creating: " + refusal->body.value("message", "")),
                 now);
    return false;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (store.create("pods", pod)) return true;
    pod["metadata"]["name"] = meta["name"].get<std::string>() + "-" + random_suffix();
  }
  return false;
}

void sync_job(Store& store, const json& job, const std::vector<json>& pods) {
  const json& meta = job["metadata"];
  std::string ns = meta.value("namespace", ""), name = meta["name"], uid = meta["uid"];
  auto now_tp = controller_now();
  std::string now = rfc3339(now_tp);
  json status = job.value("status", json::object());
  std::string fail_reason, fail_message;

  std::vector<json> owned;
  for (const auto& p : pods)
    if (owned_by(p, uid)) owned.push_back(p);

  // Foreground deletion: dependents first, then the Job itself.
  if (meta.contains("deletionTimestamp")) {
    for (const auto& p : owned)
      if (!p["metadata"].contains("deletionTimestamp"))
        begin_pod_deletion(store, ns, p["metadata"]["name"], std::nullopt);
    if (owned.empty()) store.remove("jobs", ns, name);
    return;
  }

  bool finished = has_condition(job, "Complete") || has_condition(job, "Failed");
  if (finished) {
    std::string done_text = status.value(
        "completionTime", meta.value("annotations", json::object()).value(finished_annotation, ""));
    Clock::time_point done;
    if (job["spec"].contains("ttlSecondsAfterFinished") && parse_rfc3339(done_text, done)) {
      if (now_tp >=
          done + std::chrono::seconds(job["spec"]["ttlSecondsAfterFinished"].get<long long>()))
        store.remove("jobs", ns, name);  // pods follow through the garbage collector
    }
    return;
  }
  if (job["spec"].value("suspend", false)) return;
  if (!status.contains("startTime")) status["startTime"] = now;
  Clock::time_point start;
  parse_rfc3339(status["startTime"], start);
  long long deadline = job["spec"].value("activeDeadlineSeconds", 0LL);
  bool past_deadline = deadline > 0 && now_tp >= start + std::chrono::seconds(deadline);
  if (owned.empty() && status.value("failed", 0) == 0 && status.value("succeeded", 0) == 0) {
    // A Job whose pod admission refuses keeps no pod and no condition, and retries; only
    // its deadline can end it.
    if (past_deadline) {
      fail_reason = "DeadlineExceeded";
      fail_message = "Job was active longer than specified deadline";
    } else if (!create_backed_off(store, job, now_tp) && create_job_pod(store, job, now_tp)) {
      status["active"] = 1;
    } else {
      status.erase("active");
    }
  } else {
    int active = 0, succeeded = 0, failed = 0, ready = 0;
    for (const auto& p : owned) {
      std::string phase = p["status"].value("phase", "");
      if (phase == "Succeeded")
        ++succeeded;
      else if (phase == "Failed")
        ++failed;
      else if (!p["metadata"].contains("deletionTimestamp")) {
        ++active;
        for (const auto& c : p["status"].value("conditions", json::array()))
          if (c.value("type", "") == "Ready" && c.value("status", "") == "True") ++ready;
      }
    }
    status["active"] = active;
    status["ready"] = ready;
    if (succeeded) status["succeeded"] = succeeded;
    if (failed) status["failed"] = failed;
    if (active == 0) status.erase("active");

    if (succeeded >= job["spec"].value("completions", 1)) {
      status["conditions"] = {job_condition("SuccessCriteriaMet", "CompletionsReached",
                                            "Reached expected number of succeeded pods", now),
                              job_condition("Complete", "CompletionsReached",
                                            "Reached expected number of succeeded pods", now)};
      status["completionTime"] = now;
    } else if (failed > 0) {
      fail_reason = "BackoffLimitExceeded";
      fail_message = "Job has reached the specified backoff limit";
    } else if (past_deadline) {
      fail_reason = "DeadlineExceeded";
      fail_message = "Job was active longer than specified deadline";
    }
  }
  if (!fail_reason.empty()) {
    for (const auto& p : owned)
      if (!p["metadata"].contains("deletionTimestamp") &&
          p["status"].value("phase", "") != "Succeeded" &&
          p["status"].value("phase", "") != "Failed")
        begin_pod_deletion(store, ns, p["metadata"]["name"], std::nullopt);
    status["conditions"] = {job_condition("FailureTarget", fail_reason, fail_message, now),
                            job_condition("Failed", fail_reason, fail_message, now)};
    // Kubernetes sets completionTime only on Complete; the TTL clock of a failed
    // Job starts at the Failed transition, remembered in an annotation.
    status["completionTime"] = now;
  }
  store.update("jobs", ns, name, [&](json& j) {
    json before = j["status"];
    // completionTime of a failed Job is internal bookkeeping: hide it like Kubernetes.
    json visible = status;
    if (!fail_reason.empty()) {
      j["metadata"]["annotations"][finished_annotation] = status["completionTime"];
      visible.erase("completionTime");
    }
    if (before == visible) return false;
    j["status"] = visible;
    return true;
  });
}

}  // namespace

void begin_pod_deletion(Store& store, const std::string& ns, const std::string& name,
                        std::optional<long long> grace) {
  store.update("pods", ns, name, [&](json& p) {
    if (p["metadata"].contains("deletionTimestamp")) return false;
    long long seconds = grace.value_or(p["spec"].value("terminationGracePeriodSeconds", 30LL));
    p["metadata"]["deletionTimestamp"] = rfc3339(Clock::now() + std::chrono::seconds(seconds));
    p["metadata"]["deletionGracePeriodSeconds"] = seconds;
    return true;
  });
}

void sync_jobs(Store& store) {
  auto pods = store.list("pods", "");
  auto jobs = store.list("jobs", "");
  for (const auto& job : jobs) sync_job(store, job, pods);
  // Garbage collector: pods whose owning Job is gone (Background propagation, TTL).
  std::set<std::string> live;
  for (const auto& job : jobs) live.insert(job["metadata"]["uid"].get<std::string>());
  for (const auto& p : pods) {
    for (const auto& ref : p["metadata"].value("ownerReferences", json::array()))
      if (ref.value("kind", "") == "Job" && !live.count(ref.value("uid", "")) &&
          !p["metadata"].contains("deletionTimestamp")) {
        begin_pod_deletion(store, p["metadata"].value("namespace", ""), p["metadata"]["name"],
                           std::nullopt);
        break;
      }
  }
}

}  // namespace podtrace::cluster
