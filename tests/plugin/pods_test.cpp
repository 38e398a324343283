// SPDX-License-Identifier: Apache-2.0
// Target pod parsing and container choice; judging the tracer Job's pod while it starts.
#include "kube/pods.h"

#include <gtest/gtest.h>

#include "session/job_pod.h"
#include "util/duration.h"

using namespace podtrace;
using namespace podtrace::plugin;
using namespace podtrace::plugin::kube;
using json = nlohmann::json;

namespace {

const std::string id_app = "containerd://" + std::string(64, 'a');
const std::string id_side = "cri-o://" + std::string(64, 'b');

json running_pod() {
  return json::parse(R"({"metadata":{"name":"web-1","namespace":"shop","uid":"u-1"},
		"spec":{"nodeName":"node-1","containers":[{"name":"app"},{"name":"sidecar"}]},
		"status":{"phase":"Running","qosClass":"Burstable","containerStatuses":[
			{"name":"sidecar","containerID":")" +
                     id_side + R"(","ready":true},
			{"name":"app","containerID":")" +
                     id_app + R"(","ready":false}]}})");
}

}  // namespace

TEST(Pods, ParseRunningPod) {
  auto pod = parse_pod(running_pod());
  ASSERT_TRUE(pod) << pod.error();
  EXPECT_EQ(pod->name, "web-1");
  EXPECT_EQ(pod->namespace_, "shop");
  EXPECT_EQ(pod->uid, "u-1");
  EXPECT_EQ(pod->node, "node-1");
  EXPECT_EQ(pod->qos_class, "Burstable");
  ASSERT_EQ(pod->containers.size(), 2u);
  EXPECT_EQ(pod->containers[0].name, "app");
  EXPECT_EQ(pod->containers[0].id, id_app);
  EXPECT_EQ(pod->containers[0].runtime, "containerd");
  EXPECT_FALSE(pod->containers[0].ready);
  EXPECT_EQ(pod->containers[1].runtime, "cri-o");
  EXPECT_TRUE(pod->containers[1].ready);
}

TEST(Pods, SelectContainers) {
  auto pod = parse_pod(running_pod());
  auto all = select_containers(*pod, "");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->containers.size(), 2u);
  auto one = select_containers(*pod, "sidecar");
  ASSERT_TRUE(one);
  ASSERT_EQ(one->containers.size(), 1u);
  EXPECT_EQ(one->containers[0].id, id_side);
  auto none = select_containers(*pod, "db");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(),
            "container \"db\" not found in pod \"web-1\" in namespace \"shop\" (containers: app, "
            "sidecar)");
}

TEST(Pods, NotRunningOrNotScheduled) {
  json j = running_pod();
  j["status"]["phase"] = "Succeeded";
  auto r = select_containers(*parse_pod(j), "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "pod \"web-1\" in namespace \"shop\" is Succeeded, not Running: nothing to trace");
  j["spec"].erase("nodeName");
  j["status"]["phase"] = "Pending";
  r = select_containers(*parse_pod(j), "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "pod \"web-1\" in namespace \"shop\" is not scheduled to a node yet (phase Pending)");
}

TEST(Pods, UnsupportedRuntimeId) {
  json j = running_pod();
  j["status"]["containerStatuses"][1]["containerID"] = "rkt://1234";
  auto r = select_containers(*parse_pod(j), "app");
  ASSERT_FALSE(r);
  EXPECT_EQ(
      r.error(),
      "container \"app\" of pod \"web-1\" in namespace \"shop\" has id \"rkt://1234\": unsupported "
      "container runtime (supported: containerd, cri-o, docker)");
}

// Found by tests/fuzz (kube_objects): a Running pod without metadata.name was "ready" with an
// empty name, and the plugin would have asked for the logs of pods//log.
TEST(JobPod, APodWithoutANameIsNotReady) {
  auto s = evaluate_job_pods(
      json::parse(R"({"items":[{"metadata":{" name":"p"},"status":{"phase":"Running"}}]})"),
      "podtrace-x");
  EXPECT_EQ(s.kind, JobPodState::Kind::waiting);
  EXPECT_EQ(s.pod, "");
}

TEST(JobPod, States) {
  auto s = evaluate_job_pods(json::parse(R"({"items":[]})"), "podtrace-x");
  EXPECT_EQ(s.kind, JobPodState::Kind::waiting);
  EXPECT_EQ(s.message, "waiting for the pod of job podtrace-x to be created");

  s = evaluate_job_pods(json::parse(R"({"items":[{"metadata":{"name":"p"},"spec":{"nodeName":"n1"},
		"status":{"phase":"Pending","containerStatuses":[{"name":"trace-0","state":{"waiting":{"reason":"ContainerCreating"}}}]}}]})"),
                        "podtrace-x");
  EXPECT_EQ(s.kind, JobPodState::Kind::waiting);
  EXPECT_EQ(s.message, "waiting for pod p on node n1: ContainerCreating");

  s = evaluate_job_pods(
      json::parse(R"({"items":[{"metadata":{"name":"p"},"status":{"phase":"Pending",
		"conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes are available"}]}}]})"),
      "podtrace-x");
  EXPECT_EQ(s.kind, JobPodState::Kind::failed);
  EXPECT_EQ(s.message,
            "the tracer pod p cannot be scheduled (Unschedulable): 0/3 nodes are available");

  s = evaluate_job_pods(
      json::parse(R"({"items":[{"metadata":{"name":"p"},"status":{"phase":"Pending",
		"containerStatuses":[{"name":"trace-0","state":{"waiting":{"reason":"ImagePullBackOff","message":"no such image"}}}]}}]})"),
      "podtrace-x");
  EXPECT_EQ(s.kind, JobPodState::Kind::failed);
  EXPECT_EQ(s.message,
            "the tracer container trace-0 cannot start (ImagePullBackOff): no such image");

  for (const char* phase : {"Running", "Succeeded", "Failed"}) {
    s = evaluate_job_pods(
        json{{"items", {{{"metadata", {{"name", "p"}}}, {"status", {{"phase", phase}}}}}}}, "j");
    EXPECT_EQ(s.kind, JobPodState::Kind::ready) << phase;
    EXPECT_EQ(s.pod, "p");
  }
  // Hostile or broken answers never crash.
  EXPECT_EQ(evaluate_job_pods(json::parse(R"({"items":[5]})"), "j").kind,
            JobPodState::Kind::waiting);
  EXPECT_EQ(evaluate_job_pods(json::parse(R"([1])"), "j").kind, JobPodState::Kind::waiting);
}

TEST(Duration, ParseAndFormat) {
  EXPECT_EQ(*parse_duration("30s"), std::chrono::seconds(30));
  EXPECT_EQ(*parse_duration("1m30s"), std::chrono::seconds(90));
  EXPECT_EQ(*parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(*parse_duration("2h"), std::chrono::hours(2));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("0s"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("-5s"));
  EXPECT_FALSE(parse_duration("99999999999s"));
  EXPECT_EQ(format_duration(std::chrono::seconds(90)), "90s");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(1500)), "1500ms");
}TEST(JobPodTest, FailedCreateEventNamesWhyThePodIsMissing) {
  EXPECT_FALSE(job_create_failure(json::parse(R"({"items":[]})")));
  EXPECT_FALSE(job_create_failure(json::parse(R"({"items":[{"reason":"SuccessfulCreate"}]})")));
  auto why = job_create_failure(json::parse(R"json({"items":[{"reason":"FailedCreate",
      "message":"Error creating: pods \"podtrace-x-abcde\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostPID=true)"}]})json"));
  ASSERT_TRUE(why);
  EXPECT_EQ(*why,
            "the Job controller cannot create the tracer pod: Error creating: pods "
            "\"podtrace-x-abcde\" is forbidden: violates PodSecurity \"baseline:latest\": host "
            "namespaces (hostPID=true) (use --job-namespace with a namespace labelled "
            "pod-security.kubernetes.io/enforce=privileged)");
}


