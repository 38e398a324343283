// SPDX-License-Identifier: Apache-2.0
// Job reconciliation for completions=1, parallelism=1 Jobs (what podtrace creates); no retries.
#include "job_controller.h"

#include <fmt/format.h>

#include <optional>
#include <set>

#include "object_defaults.h"
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

void create_job_pod(Store& store, const json& job) {
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
  fill_metadata(pod, ns, Clock::now());
  default_and_validate_pod(pod);
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (store.create("pods", pod)) return;
    pod["metadata"]["name"] = meta["name"].get<std::string>() + "-" + random_suffix();
  }
}

void sync_job(Store& store, const json& job, const std::vector<json>& pods) {
  const json& meta = job["metadata"];
  std::string ns = meta.value("namespace", ""), name = meta["name"], uid = meta["uid"];
  auto now_tp = Clock::now();
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
  if (owned.empty() && status.value("failed", 0) == 0 && status.value("succeeded", 0) == 0) {
    create_job_pod(store, job);
    status["active"] = 1;
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

    Clock::time_point start;
    parse_rfc3339(status["startTime"], start);
    long long deadline = job["spec"].value("activeDeadlineSeconds", 0LL);
    fail_reason.clear();
    if (succeeded >= job["spec"].value("completions", 1)) {
      status["conditions"] = {job_condition("SuccessCriteriaMet", "CompletionsReached",
                                            "Reached expected number of succeeded pods", now),
                              job_condition("Complete", "CompletionsReached",
                                            "Reached expected number of succeeded pods", now)};
      status["completionTime"] = now;
    } else if (failed > 0) {
      fail_reason = "BackoffLimitExceeded";
      fail_message = "Job has reached the specified backoff limit";
    } else if (deadline > 0 && now_tp >= start + std::chrono::seconds(deadline)) {
      fail_reason = "DeadlineExceeded";
      fail_message = "Job was active longer than specified deadline";
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
