// SPDX-License-Identifier: Apache-2.0
// Label and field selector parsing and matching, against the grammar of labels.Parse.
#include "selectors.h"

#include <gtest/gtest.h>

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
  EXPECT_TRUE(matches_fields(s, pod));
  pod["status"]["phase"] = "Failed";
  EXPECT_FALSE(matches_fields(s, pod));
  // An unset field reads as "".
  auto empty_node = std::get<Selector>(parse_field_selector("spec.nodeName="));
  EXPECT_TRUE(matches_fields(empty_node, json{{"spec", json::object()}}));
}

TEST(FieldSelector, SupportedFieldsPerResource) {
  EXPECT_TRUE(field_supported("pods", "spec.nodeName"));
  EXPECT_TRUE(field_supported("pods", "status.phase"));
  EXPECT_TRUE(field_supported("jobs", "metadata.name"));
  EXPECT_FALSE(field_supported("jobs", "spec.nodeName"));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_field_selector("a in (b)")));
}
