// SPDX-License-Identifier: Apache-2.0
// Request routing, authorization wording, ages and the store's watch history.
#include <gtest/gtest.h>

#include "access_review.h"
#include "auth.h"
#include "discovery.h"
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
  EXPECT_EQ(parse_request_info("POST", "/logs", false).verb, "post");  // non-resource
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

namespace {

const User admin{"podtrace-token", {"system:masters", "system:authenticated"}};
const User restricted_user{"restricted", {"system:authenticated"}};

// The body `kubectl auth can-i` posts, around a spec.
json review(const User& user, const std::string& spec) {
  std::string body =
      R"({"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":)" + spec +
      "}";
  auto reply = review_access(user, body);
  EXPECT_EQ(reply.code, 201) << reply.body.dump();
  return reply.body;
}

json status_of(const User& user, const std::string& spec) { return review(user, spec)["status"]; }

std::string rbac_reason(const std::string& binding, const std::string& subject) {
  return "RBAC: allowed by ClusterRoleBinding \"" + binding + "\" of ClusterRole \"" + binding +
         "\" to " + subject;
}

}  // namespace

TEST(AccessReview, EchoesTheSpecWithTheDecision) {
  // What `kubectl auth can-i create jobs.batch -n default` sends and gets back.
  const std::string spec =
      R"({"resourceAttributes":{"namespace":"default","verb":"create","group":"batch","resource":"jobs"}})";
  json expected = json::parse(R"({"kind":"SelfSubjectAccessReview",
      "apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},
      "spec":{"resourceAttributes":{"namespace":"default","verb":"create","group":"batch",
      "resource":"jobs"}},"status":{"allowed":true}})");
  EXPECT_EQ(review(admin, spec), expected);
  // RBAC has no opinion: not allowed, and neither denied nor a reason.
  EXPECT_EQ(status_of(restricted_user, spec), json({{"allowed", false}}));
}

TEST(AccessReview, SameRulesAsRequests) {
  const std::string group = "Group \"system:authenticated\"";
  const std::string pod_log =
      R"({"resourceAttributes":{"namespace":"e2e","verb":"get","resource":"pods","subresource":"log","name":"writer"}})";
  EXPECT_EQ(status_of(restricted_user, pod_log),
            json({{"allowed", true},
                  {"reason", rbac_reason("podtrace-restricted", "User \"restricted\"")}}));
  EXPECT_EQ(
      status_of(restricted_user, R"({"resourceAttributes":{"verb":"watch","resource":"pods"}})"),
      json({{"allowed", true},
            {"reason", rbac_reason("podtrace-restricted", "User \"restricted\"")}}));
  EXPECT_EQ(
      status_of(restricted_user, R"({"resourceAttributes":{"verb":"delete","resource":"pods"}})"),
      json({{"allowed", false}}));
  const std::string review_create =
      R"({"resourceAttributes":{"verb":"create","group":"authorization.k8s.io","resource":"selfsubjectaccessreviews"}})";
  EXPECT_EQ(status_of(restricted_user, review_create),
            json({{"allowed", true}, {"reason", rbac_reason("system:basic-user", group)}}));
  EXPECT_EQ(status_of(restricted_user,
                      R"({"nonResourceAttributes":{"path":"/apis/batch/v1","verb":"get"}})"),
            json({{"allowed", true}, {"reason", rbac_reason("system:discovery", group)}}));
  EXPECT_EQ(
      status_of(restricted_user, R"({"nonResourceAttributes":{"path":"/metrics","verb":"get"}})"),
      json({{"allowed", false}}));
  EXPECT_EQ(
      status_of(restricted_user, R"({"nonResourceAttributes":{"path":"/api","verb":"post"}})"),
      json({{"allowed", false}}));
  // system:masters: allowed by the privileged-group authorizer, which gives no reason.
  EXPECT_EQ(status_of(admin, R"({"resourceAttributes":{"verb":"*","group":"*","resource":"*"}})"),
            json({{"allowed", true}}));

  // The request path agrees: the same user is refused the same non-resource path.
  auto denied =
      authorize(restricted_user, parse_request_info("GET", "/metrics", false), "/metrics");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->body["message"], "forbidden: User \"restricted\" cannot get path \"/metrics\"");
  EXPECT_EQ(denied->body["details"], json::object());
  EXPECT_FALSE(
      authorize(restricted_user, parse_request_info("GET", "/openapi/v3", false), "/openapi/v3"));
  const std::string reviews = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
  EXPECT_FALSE(authorize(restricted_user, parse_request_info("POST", reviews, false), reviews));
}

TEST(AccessReview, ValidationErrors) {
  auto neither = review_access(admin, R"({"spec":{}})");
  EXPECT_EQ(neither.code, 422);
  json expected = json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified",
      "reason":"Invalid","details":{"group":"authorization.k8s.io","kind":"SelfSubjectAccessReview",
      "causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified",
      "field":"spec.resourceAttributes"}]},"code":422})");
  EXPECT_EQ(neither.body, expected);
  const std::string both_spec =
      R"({"spec":{"resourceAttributes":{"verb":"get"},"nonResourceAttributes":{"path":"/api","verb":"get"}}})";
  auto both = review_access(admin, both_spec);
  EXPECT_EQ(both.code, 422);
  EXPECT_EQ(both.body["message"],
            "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: "
            "spec.nonResourceAttributes: Invalid value: "
            "authorization.NonResourceAttributes{Path:\"/api\", Verb:\"get\"}: cannot be "
            "specified in combination with resourceAttributes");
  EXPECT_EQ(review_access(admin, "not json").code, 400);
}

TEST(Discovery, AuthorizationGroupIsServed) {
  auto groups = discovery_document("/apis", "127.0.0.1:1");
  ASSERT_TRUE(groups);
  ASSERT_EQ((*groups)["groups"].size(), 2u);
  EXPECT_EQ((*groups)["groups"][0]["name"], "authorization.k8s.io");
  EXPECT_EQ((*groups)["groups"][1]["name"], "batch");
  auto list = discovery_document("/apis/authorization.k8s.io/v1", "127.0.0.1:1");
  ASSERT_TRUE(list);
  json expected = json::parse(R"([{"name":"selfsubjectaccessreviews",
      "singularName":"selfsubjectaccessreview","namespaced":false,"kind":"SelfSubjectAccessReview",
      "verbs":["create"]}])");
  EXPECT_EQ((*list)["resources"], expected);
  auto group = discovery_document("/apis/authorization.k8s.io", "");
  ASSERT_TRUE(group);
  EXPECT_EQ((*group)["preferredVersion"]["groupVersion"], "authorization.k8s.io/v1");
  auto type = find_resource("authorization.k8s.io", "v1", "selfsubjectaccessreviews");
  ASSERT_TRUE(type);
  EXPECT_FALSE(type->namespaced);
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

TEST(Tables, EventColumns) {
  auto now = Clock::now();
  json ev = {{"metadata", {{"name", "x.17"}}},
             {"involvedObject", {{"kind", "Job"}, {"name", "x"}}},
             {"reason", "FailedCreate"},
             {"message", "Error creating: no\n"},
             {"source", {{"component", "job-controller"}}},
             {"firstTimestamp", rfc3339(now - std::chrono::seconds(30))},
             {"lastTimestamp", rfc3339(now - std::chrono::seconds(5))},
             {"count", 4},
             {"type", "Warning"},
             {"eventTime", nullptr}};
  json older = ev;
  older["metadata"]["name"] = "y.1";
  older["lastTimestamp"] = rfc3339(now - std::chrono::seconds(50));
  older.erase("count");
  older["source"] = json::object();
  older["reportingComponent"] = "kubelet";
  older["reportingInstance"] = "node-a";
  json table = make_table("events", {ev, older}, "7", "None", now);
  ASSERT_EQ(table["columnDefinitions"].size(), 10u);
  EXPECT_EQ(table["columnDefinitions"][6]["name"], "Message");
  // Sorted by lastTimestamp, oldest first.
  EXPECT_EQ(
      table["rows"][0]["cells"],
      json::parse(
          R"(["50s","Warning","FailedCreate","job/x","","kubelet, node-a","Error creating: no","30s",1,"y.1"])"));
  EXPECT_EQ(
      table["rows"][1]["cells"],
      json::parse(
          R"(["5s","Warning","FailedCreate","job/x","","job-controller","Error creating: no","30s",4,"x.17"])"));
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
