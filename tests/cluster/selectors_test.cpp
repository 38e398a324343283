// SPDX-License-Identifier: Apache-2.0
// Label and field selector parsing and matching, against the grammar of labels.Parse.
#include "selectors.h"

#include <gtest/gtest.h>

#include "resource_api.h"

using namespace podtrace::cluster;
using nlohmann::json;

namespace {

Selector labels(const std::string& text) {
  auto r = parse_label_selector(text);
  EXPECT_TRUE(std::holds_alternative<Selector>(r)) << text;
  return std::get<Selector>(r);
}

}  // namespace

TEST(LabelSelector, ParsesEveryOperator) {
  Selector s = labels("a=b,c!=d, e in (y, x),f notin (z),g,!h,i==j");
  ASSERT_EQ(s.requirements.size(), 7u);
  EXPECT_EQ(s.requirements[0], (Requirement{"a", SelectorOp::Equals, {"b"}}));
  EXPECT_EQ(s.requirements[1], (Requirement{"c", SelectorOp::NotEquals, {"d"}}));
  EXPECT_EQ(s.requirements[2], (Requirement{"e", SelectorOp::In, {"x", "y"}}));
  EXPECT_EQ(s.requirements[3], (Requirement{"f", SelectorOp::NotIn, {"z"}}));
  EXPECT_EQ(s.requirements[4], (Requirement{"g", SelectorOp::Exists, {}}));
  EXPECT_EQ(s.requirements[5], (Requirement{"h", SelectorOp::DoesNotExist, {}}));
  EXPECT_EQ(s.requirements[6], (Requirement{"i", SelectorOp::Equals, {"j"}}));
}

TEST(LabelSelector, EmptyMatchesEverything) {
  EXPECT_TRUE(labels("").empty());
  EXPECT_TRUE(matches_labels(labels(""), json::object()));
}

TEST(LabelSelector, Matching) {
  json l = {{"app", "web"}, {"tier", "front"}, {"batch.kubernetes.io/job-name", "x"}};
  EXPECT_TRUE(matches_labels(labels("app=web,tier in (front,back)"), l));
  EXPECT_FALSE(matches_labels(labels("app=web,tier notin (front)"), l));
  EXPECT_TRUE(matches_labels(labels("app!=db"), l));
  EXPECT_TRUE(matches_labels(labels("missing!=x"), l));
  EXPECT_FALSE(matches_labels(labels("missing in (x)"), l));
  EXPECT_TRUE(matches_labels(labels("batch.kubernetes.io/job-name"), l));
  EXPECT_FALSE(matches_labels(labels("!app"), l));
  EXPECT_TRUE(matches_labels(labels("!missing"), l));
  EXPECT_FALSE(matches_labels(labels("app=web"), nullptr));
}

TEST(LabelSelector, RejectsMalformed) {
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_label_selector("a in (x")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_label_selector("a=b,,c=d")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_label_selector("a=b c")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_label_selector("a within (x)")));
}

TEST(FieldSelector, ParsesAndMatchesPaths) {
  auto r = parse_field_selector("metadata.name=demo,spec.nodeName==node-a,status.phase!=Failed");
  ASSERT_TRUE(std::holds_alternative<Selector>(r));
  Selector s = std::get<Selector>(r);
  ASSERT_EQ(s.requirements.size(), 3u);
  json pod = {{"metadata", {{"name", "demo"}}},
              {"spec", {{"nodeName", "node-a"}}},
              {"status", {{"phase", "Running"}}}};
  EXPECT_TRUE(matches_fields(s, "pods", pod));
  pod["status"]["phase"] = "Failed";
  EXPECT_FALSE(matches_fields(s, "pods", pod));
  // An unset field reads as "".
  auto empty_node = std::get<Selector>(parse_field_selector("spec.nodeName="));
  EXPECT_TRUE(matches_fields(empty_node, "pods", json{{"spec", json::object()}}));
}

TEST(FieldSelector, SupportedFieldsPerResource) {
  EXPECT_TRUE(field_supported("pods", "spec.nodeName"));
  EXPECT_TRUE(field_supported("pods", "status.phase"));
  EXPECT_TRUE(field_supported("jobs", "metadata.name"));
  EXPECT_FALSE(field_supported("jobs", "spec.nodeName"));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_field_selector("a in (b)")));
}

TEST(FieldSelector, EventFields) {
  // The fields of pkg/registry/core/event/strategy.go ToSelectableFields.
  for (const char* key :
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
        "metadata.name", "metadata.namespace"})
    EXPECT_TRUE(field_supported("events", key)) << key;
  EXPECT_FALSE(field_supported("events", "message"));
  EXPECT_FALSE(field_supported("pods", "involvedObject.name"));

  json event = {{"metadata", {{"name", "job.17c"}, {"namespace", "psa"}}},
                {"involvedObject",
                 {{"kind", "Job"},
                  {"namespace", "psa"},
                  {"name", "job"},
                  {"uid", "u-1"},
                  {"apiVersion", "batch/v1"},
                  {"resourceVersion", "42"}}},
                {"reason", "FailedCreate"},
                {"type", "Warning"},
                {"source", {{"component", "job-controller"}}},
                {"reportingComponent", "job-controller"}};
  // What `kubectl describe job` asks for.
  auto describe = std::get<Selector>(parse_field_selector(
      "involvedObject.name=job,involvedObject.namespace=psa,involvedObject.kind=Job,"
      "involvedObject.uid=u-1"));
  EXPECT_TRUE(matches_fields(describe, "events", event));
  auto other_uid = std::get<Selector>(parse_field_selector("involvedObject.uid=u-2"));
  EXPECT_FALSE(matches_fields(other_uid, "events", event));
  auto by_source = std::get<Selector>(
      parse_field_selector("source=job-controller,type=Warning,reason!=Scheduled,"
                           "involvedObject.apiVersion=batch/v1,involvedObject.fieldPath="));
  EXPECT_TRUE(matches_fields(by_source, "events", event));
  // source falls back to reportingComponent for events written through events.k8s.io.
  event["source"] = json::object();
  event["reportingComponent"] = "kubelet";
  EXPECT_EQ(field_value("events", "source", event), "kubelet");
  EXPECT_EQ(field_value("events", "involvedObject.resourceVersion", event), "42");
  // Other resources' computed fields.
  EXPECT_EQ(field_value("jobs", "status.successful", json{{"status", json::object()}}), "0");
  EXPECT_EQ(field_value("jobs", "status.successful", json{{"status", {{"succeeded", 1}}}}), "1");
  EXPECT_EQ(field_value("nodes", "spec.unschedulable", json::object()), "false");
}

TEST(FieldSelector, ListFilterRefusesUnknownEventFields) {
  httplib::Request req;
  req.params.emplace("fieldSelector", "involvedObject.name=x,reason=FailedCreate");
  auto ok = parse_list_filter("events", req);
  ASSERT_TRUE(std::holds_alternative<ListFilter>(ok));
  EXPECT_TRUE(std::get<ListFilter>(ok).matches({{"metadata", {{"name", "e"}}},
                                                {"involvedObject", {{"name", "x"}}},
                                                {"reason", "FailedCreate"}}));
  EXPECT_FALSE(std::get<ListFilter>(ok).matches({{"metadata", {{"name", "e"}}},
                                                 {"involvedObject", {{"name", "y"}}},
                                                 {"reason", "FailedCreate"}}));
  httplib::Request bad;
  bad.params.emplace("fieldSelector", "involvedObject.color=red");
  auto refused = parse_list_filter("events", bad);
  ASSERT_TRUE(std::holds_alternative<ApiReply>(refused));
  EXPECT_EQ(std::get<ApiReply>(refused).code, 400);
  EXPECT_EQ(std::get<ApiReply>(refused).body["message"],
            "field label not supported: involvedObject.color");
}
