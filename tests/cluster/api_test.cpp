// SPDX-License-Identifier: Apache-2.0
// Request routing, authorization wording, ages and the store's watch history.
#include <gtest/gtest.h>

#include "auth.h"
#include "request_info.h"
#include "store.h"
#include "tables.h"
#include "time_format.h"

using namespace podtrace::cluster;
using nlohmann::json;

TEST(RequestInfo, NamespacedPaths) {
  auto i = parse_request_info("GET", "/api/v1/namespaces/demo/pods/web/log", false);
  EXPECT_TRUE(i.is_resource);
  EXPECT_EQ(i.verb, "get");
  EXPECT_EQ(i.ns, "demo");
  EXPECT_EQ(i.resource, "pods");
  EXPECT_EQ(i.name, "web");
  EXPECT_EQ(i.subresource, "log");
  auto j = parse_request_info("POST", "/apis/batch/v1/namespaces/default/jobs", false);
  EXPECT_EQ(j.verb, "create");
  EXPECT_EQ(j.group, "batch");
  EXPECT_EQ(j.resource, "jobs");
  auto w = parse_request_info("GET", "/api/v1/pods", true);
  EXPECT_EQ(w.verb, "watch");
  EXPECT_EQ(w.ns, "");
  auto ns = parse_request_info("GET", "/api/v1/namespaces/demo", false);
  EXPECT_EQ(ns.resource, "namespaces");
  EXPECT_EQ(ns.name, "demo");
  EXPECT_FALSE(parse_request_info("GET", "/apis/batch/v1", false).is_resource);
}

TEST(Authorize, RestrictedUserGetsTheApiServersMessage) {
  User restricted{"restricted", {"system:authenticated"}};
  auto create_job = parse_request_info("POST", "/apis/batch/v1/namespaces/default/jobs", false);
  auto denied = authorize(restricted, create_job, "/apis/batch/v1/namespaces/default/jobs");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->code, 403);
  json expected = json::parse(
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"jobs.batch is forbidden: User \"restricted\" cannot create resource \"jobs\" in API group \"batch\" in the namespace \"default\"","reason":"Forbidden","details":{"group":"batch","kind":"jobs"},"code":403})");
  EXPECT_EQ(denied->body, expected);
  EXPECT_FALSE(authorize(restricted,
                         parse_request_info("GET", "/api/v1/namespaces/d/pods/x/log", false), ""));
  EXPECT_FALSE(authorize(restricted, parse_request_info("GET", "/api/v1/pods", true), ""));
  auto node = authorize(restricted, parse_request_info("GET", "/api/v1/nodes/n1", false), "");
  ASSERT_TRUE(node);
  EXPECT_EQ(node->body["message"],
            "nodes \"n1\" is forbidden: User \"restricted\" cannot get resource \"nodes\" in API "
            "group \"\" at the cluster scope");
  EXPECT_FALSE(authorize(User{"podtrace-admin", {"system:masters"}}, create_job, ""));
}

TEST(TimeFormat, HumanDurations) {
  using std::chrono::seconds;
  EXPECT_EQ(human_duration(seconds(5)), "5s");
  EXPECT_EQ(human_duration(seconds(119)), "119s");
  EXPECT_EQ(human_duration(seconds(150)), "2m30s");
  EXPECT_EQ(human_duration(seconds(3600 * 5 + 60)), "5h1m");
  EXPECT_EQ(human_duration(seconds(86400 * 3)), "3d");
  Clock::time_point t;
  ASSERT_TRUE(parse_rfc3339("2024-05-01T10:00:00Z", t));
  EXPECT_EQ(rfc3339(t), "2024-05-01T10:00:00Z");
}

TEST(Store, WatchHistoryAndGone) {
  Store store(2);
  json pod = {{"metadata", {{"name", "a"}, {"namespace", "d"}}}};
  auto created = store.create("pods", pod);
  ASSERT_TRUE(created);
  EXPECT_FALSE(store.create("pods", pod));
  store.update("pods", "d", "a", [](json& p) {
    p["metadata"]["labels"]["x"] = "y";
    return true;
  });
  store.remove("pods", "d", "a");
  std::vector<WatchEvent> events;
  EXPECT_FALSE(store.events_since(1, events));  // history of 2 no longer holds ADDED
  ASSERT_TRUE(store.events_since(3, events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "DELETED");
}

TEST(Tables, PodStatusColumn) {
  json pod = {{"metadata", {{"name", "p"}}},
              {"status",
               {{"phase", "Succeeded"},
                {"containerStatuses",
                 {{{"state", {{"terminated", {{"reason", "Completed"}, {"exitCode", 0}}}}}}}}}}};
  EXPECT_EQ(pod_status_reason(pod), "Completed");
  pod["status"]["containerStatuses"][0]["state"] = {{"terminated", {{"exitCode", 3}}}};
  EXPECT_EQ(pod_status_reason(pod), "ExitCode:3");
  pod["metadata"]["deletionTimestamp"] = "2024-05-01T10:00:00Z";
  EXPECT_EQ(pod_status_reason(pod), "Terminating");
}

#include "kubelet.h"

TEST(Kubelet, HostPathArgumentsAreRewritten) {
  std::vector<std::pair<std::string, std::string>> mounts = {
      {"/host/sys", "/sys"}, {"/host/proc", "/proc"}, {"/rootfs", "/"}};
  EXPECT_EQ(rewrite_host_paths("/host/sys/fs/cgroup", mounts), "/sys/fs/cgroup");
  EXPECT_EQ(rewrite_host_paths("--proc-root=/host/proc", mounts), "--proc-root=/proc");
  EXPECT_EQ(rewrite_host_paths("/host/system", mounts), "/host/system");
  EXPECT_EQ(rewrite_host_paths("/rootfs/etc", mounts), "/etc");
  EXPECT_EQ(expand_env_refs("$(NODE)-$$(NODE)-$(MISSING)", {{"NODE", "n1"}}),
            "n1-$(NODE)-$(MISSING)");
}
