// SPDX-License-Identifier: Apache-2.0
// The Job controller under Pod Security admission: a refused pod becomes one FailedCreate
// event that counts repeats; the Job keeps no pod and no condition, yet its deadline, TTL and
// deletion still work. Driven through ResourceApi and sync_jobs on an in-memory store.
#include "job_controller.h"

#include <gtest/gtest.h>

#include <regex>

#include "controller_clock.h"
#include "discovery.h"
#include "object_defaults.h"
#include "resource_api.h"

using namespace podtrace::cluster;
using nlohmann::json;

namespace {

const std::string failed_checks =
    "PodSecurity \"baseline:latest\": host namespaces (hostPID=true), hostPath volumes "
    "(volumes \"host-proc\", \"host-sys\"), privileged (container \"trace-0\" must not set "
    "securityContext.privileged=true)";

json privileged_job(const std::string& name) {
  json job =
      json::parse(R"({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {
      "restartPolicy": "Never", "hostPID": true,
      "containers": [{"name": "trace-0", "image": "podtrace",
                      "securityContext": {"privileged": true}}],
      "volumes": [{"name": "host-proc", "hostPath": {"path": "/proc"}},
                  {"name": "host-sys", "hostPath": {"path": "/sys"}}]}}}})");
  job["metadata"]["name"] = name;
  return job;
}

class JobControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    json ns = make_namespace("psa", Clock::now());
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "baseline";
    ASSERT_TRUE(store_.create("namespaces", ns));
  }

  ApiReply call(const std::string& method, const std::string& path, const json& body,
                std::multimap<std::string, std::string> params = {}) {
    RequestInfo info = parse_request_info(method, path, false);
    httplib::Request req;
    req.body = body.is_null() ? "" : body.dump();
    req.params = std::move(params);
    return api_.handle(info, *find_resource(info.group, info.version, info.resource), req);
  }

  std::vector<json> events() { return store_.list("events", "psa"); }
  std::vector<json> pods() { return store_.list("pods", "psa"); }

  // Moves an event's lastTimestamp into the past, as if its backoff had run out.
  void age_event(const json& event, int seconds) {
    store_.update("events", "psa", event["metadata"]["name"], [&](json& e) {
      e["lastTimestamp"] = rfc3339(Clock::now() - std::chrono::seconds(seconds));
      return true;
    });
  }

  Store store_;
  ResourceApi api_{store_};
};

}  // namespace

TEST_F(JobControllerTest, PodCreateIsRefusedAndJobCreateWarns) {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "priv"}}},
              {"spec", privileged_job("x")["spec"]["template"]["spec"]}};
  auto refused = call("POST", "/api/v1/namespaces/psa/pods", pod);
  EXPECT_EQ(refused.code, 403);
  EXPECT_EQ(refused.body["message"], "pods \"priv\" is forbidden: violates " + failed_checks);
  EXPECT_EQ(refused.body["details"], json::parse(R"({"name":"priv","kind":"pods"})"));
  EXPECT_TRUE(pods().empty());

  auto created = call("POST", "/apis/batch/v1/namespaces/psa/jobs", privileged_job("priv-job"));
  EXPECT_EQ(created.code, 201);
  EXPECT_EQ(created.warning, "would violate " + failed_checks);
  // Namespaces without the label stay privileged: no warning there.
  ASSERT_TRUE(store_.create("namespaces", make_namespace("open", Clock::now())));
  EXPECT_EQ(call("POST", "/apis/batch/v1/namespaces/open/jobs", privileged_job("j")).warning, "");
}

TEST_F(JobControllerTest, RefusedPodBecomesOneCountedEvent) {
  auto job = call("POST", "/apis/batch/v1/namespaces/psa/jobs", privileged_job("priv-job")).body;
  sync_jobs(store_);
  EXPECT_TRUE(pods().empty());
  auto evs = events();
  ASSERT_EQ(evs.size(), 1u);
  json ev = evs[0];
  EXPECT_EQ(ev["involvedObject"], (json{{"kind", "Job"},
                                        {"namespace", "psa"},
                                        {"name", "priv-job"},
                                        {"uid", job["metadata"]["uid"]},
                                        {"apiVersion", "batch/v1"},
                                        {"resourceVersion", job["metadata"]["resourceVersion"]}}));
  EXPECT_EQ(ev["reason"], "FailedCreate");
  EXPECT_EQ(ev["type"], "Warning");
  EXPECT_EQ(ev["source"], (json{{"component", "job-controller"}}));
  EXPECT_EQ(ev["reportingComponent"], "job-controller");
  EXPECT_EQ(ev["count"], 1);
  EXPECT_EQ(ev["firstTimestamp"], ev["lastTimestamp"]);
  EXPECT_TRUE(std::regex_match(ev["metadata"]["name"].get<std::string>(),
                               std::regex("priv-job\\.[0-9a-f]{16}")));
  std::smatch m;
  std::string message = ev["message"];
  ASSERT_TRUE(std::regex_match(
      message, m,
      std::regex("Error creating: pods \"(priv-job-[bcdfghjklmnpqrstvwxz2456789]{5})\" "
                 "is forbidden: (.*)")));
  EXPECT_EQ(m[2].str(), "violates " + failed_checks);

  // Within the backoff nothing is retried; after it, the same event counts the repeat.
  sync_jobs(store_);
  ASSERT_EQ(events().size(), 1u);
  EXPECT_EQ(events()[0]["count"], 1);
  age_event(ev, 5);
  sync_jobs(store_);
  evs = events();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0]["metadata"]["name"], ev["metadata"]["name"]);
  EXPECT_EQ(evs[0]["count"], 2);
  EXPECT_EQ(evs[0]["firstTimestamp"], ev["firstTimestamp"]);
  EXPECT_NE(evs[0]["message"], ev["message"]);  // names the new attempt's pod
  EXPECT_TRUE(pods().empty());

  // No pod, no condition, no active count: the Job just waits, as in Kubernetes.
  auto stored = store_.get("jobs", "psa", "priv-job");
  ASSERT_TRUE(stored);
  EXPECT_FALSE((*stored)["status"].contains("conditions"));
  EXPECT_FALSE((*stored)["status"].contains("active"));
  EXPECT_TRUE((*stored)["status"].contains("startTime"));

  // Relabelled privileged, the next attempt creates the pod.
  store_.update("namespaces", "", "psa", [](json& ns) {
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged";
    return true;
  });
  age_event(evs[0], 5);
  sync_jobs(store_);
  ASSERT_EQ(pods().size(), 1u);
  EXPECT_EQ((*store_.get("jobs", "psa", "priv-job"))["status"]["active"], 1);
  EXPECT_EQ(events()[0]["count"], 2);
}

TEST_F(JobControllerTest, DeadlineAndTtlStillEndARefusedJob) {
  json job = privileged_job("deadline");
  job["spec"]["activeDeadlineSeconds"] = 5;
  job["spec"]["ttlSecondsAfterFinished"] = 0;
  ASSERT_EQ(call("POST", "/apis/batch/v1/namespaces/psa/jobs", job).code, 201);
  sync_jobs(store_);
  ASSERT_EQ(events().size(), 1u);
  store_.update("jobs", "psa", "deadline", [](json& j) {
    j["status"]["startTime"] = rfc3339(Clock::now() - std::chrono::seconds(10));
    return true;
  });
  sync_jobs(store_);
  auto failed = store_.get("jobs", "psa", "deadline");
  ASSERT_TRUE(failed);
  ASSERT_EQ((*failed)["status"]["conditions"].size(), 2u);
  EXPECT_EQ((*failed)["status"]["conditions"][1]["type"], "Failed");
  EXPECT_EQ((*failed)["status"]["conditions"][1]["reason"], "DeadlineExceeded");
  EXPECT_TRUE(pods().empty());
  sync_jobs(store_);  // ttlSecondsAfterFinished: 0
  EXPECT_FALSE(store_.get("jobs", "psa", "deadline"));
}

TEST_F(JobControllerTest, RefusedJobIsDeletable) {
  ASSERT_EQ(call("POST", "/apis/batch/v1/namespaces/psa/jobs", privileged_job("gone")).code, 201);
  sync_jobs(store_);
  auto reply = call("DELETE", "/apis/batch/v1/namespaces/psa/jobs/gone", nullptr,
                    {{"propagationPolicy", "Foreground"}});
  EXPECT_EQ(reply.code, 200);
  sync_jobs(store_);  // no dependents: the foreground deletion finishes at once
  EXPECT_FALSE(store_.get("jobs", "psa", "gone"));
  EXPECT_TRUE(pods().empty());
}

TEST_F(JobControllerTest, NamespaceLabelsMustParse) {
  auto reply =
      call("PATCH", "/api/v1/namespaces/psa",
           {{"metadata", {{"labels", {{"pod-security.kubernetes.io/enforce", "strict"}}}}}});
  EXPECT_EQ(reply.code, 422);
  EXPECT_EQ(reply.body["message"],
            "Namespace \"psa\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: "
            "Invalid value: \"strict\": must be one of privileged, baseline, restricted");
  EXPECT_EQ((*store_.get("namespaces", "",
                         "psa"))["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
            "baseline");
  EXPECT_EQ(
      call("PATCH", "/api/v1/namespaces/psa",
           {{"metadata", {{"labels", {{"pod-security.kubernetes.io/enforce", "restricted"}}}}}})
          .code,
      200);
}

// What ends a Job whose plugin was SIGKILLed: the running pod is stopped at exactly
// activeDeadlineSeconds and the Job deleted exactly ttlSecondsAfterFinished later, by the
// controller's clock. Last in this file: the clock only moves forward.
TEST_F(JobControllerTest, ARunningJobEndsAtItsDeadlineAndGoesAfterItsTtl) {
  store_.update("namespaces", "", "psa", [](json& ns) {
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged";
    return true;
  });
  json job = privileged_job("orphan");
  job["spec"]["activeDeadlineSeconds"] = 100;
  job["spec"]["ttlSecondsAfterFinished"] = 300;
  ASSERT_EQ(call("POST", "/apis/batch/v1/namespaces/psa/jobs", job).code, 201);
  sync_jobs(store_);
  ASSERT_EQ(pods().size(), 1u);
  const std::string pod = pods()[0]["metadata"]["name"];
  advance_controller_clock(std::chrono::seconds(95));
  sync_jobs(store_);
  EXPECT_FALSE((*store_.get("jobs", "psa", "orphan"))["status"].contains("conditions"));
  EXPECT_FALSE((*store_.get("pods", "psa", pod))["metadata"].contains("deletionTimestamp"));
  advance_controller_clock(std::chrono::seconds(6));
  sync_jobs(store_);
  auto failed = store_.get("jobs", "psa", "orphan");
  ASSERT_TRUE(failed);
  ASSERT_EQ((*failed)["status"]["conditions"].size(), 2u);
  EXPECT_EQ((*failed)["status"]["conditions"][1]["reason"], "DeadlineExceeded");
  // The pod is being deleted: the kubelet sends its processes SIGTERM.
  EXPECT_TRUE((*store_.get("pods", "psa", pod))["metadata"].contains("deletionTimestamp"));
  advance_controller_clock(std::chrono::seconds(295));
  sync_jobs(store_);
  EXPECT_TRUE(store_.get("jobs", "psa", "orphan"));
  advance_controller_clock(std::chrono::seconds(10));
  sync_jobs(store_);
  EXPECT_FALSE(store_.get("jobs", "psa", "orphan"));
}
