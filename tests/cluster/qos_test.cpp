// SPDX-License-Identifier: Apache-2.0
// QoS classes and kubelet cgroup names for the resource shapes Kubernetes distinguishes.
#include "qos.h"

#include <gtest/gtest.h>

#include "quantity.h"

using namespace podtrace::cluster;
using nlohmann::json;

namespace {

json spec_with(std::initializer_list<json> resources) {
  json containers = json::array();
  int i = 0;
  for (const auto& r : resources)
    containers.push_back({{"name", "c" + std::to_string(i++)}, {"resources", r}});
  return {{"containers", containers}};
}

}  // namespace

TEST(Quantity, ParsesSuffixes) {
  EXPECT_EQ(parse_quantity_milli("500m"), 500);
  EXPECT_EQ(parse_quantity_milli("2"), 2000);
  EXPECT_EQ(parse_quantity_milli("0.25"), 250);
  EXPECT_EQ(parse_quantity("128Mi"), 134217728);
  EXPECT_EQ(parse_quantity("1G"), 1000000000);
  EXPECT_EQ(parse_quantity("1e3"), 1000);
  EXPECT_EQ(parse_quantity("1.5Gi"), 1610612736);
  EXPECT_FALSE(parse_quantity("12XB").has_value());
  EXPECT_FALSE(parse_quantity("").has_value());
}

TEST(Qos, BestEffortWithoutResources) {
  EXPECT_EQ(compute_qos_class(spec_with({json::object()})), "BestEffort");
  EXPECT_EQ(compute_qos_class(spec_with({{{"requests", {{"ephemeral-storage", "1Gi"}}}}})),
            "BestEffort");
}

TEST(Qos, GuaranteedWhenLimitsEqualRequestsForCpuAndMemory) {
  json r = {{"limits", {{"cpu", "500m"}, {"memory", "128Mi"}}},
            {"requests", {{"cpu", "0.5"}, {"memory", "128Mi"}}}};
  EXPECT_EQ(compute_qos_class(spec_with({r})), "Guaranteed");
  // Limits only: requests default to limits.
  EXPECT_EQ(compute_qos_class(spec_with({{{"limits", {{"cpu", "1"}, {"memory", "1Gi"}}}}})),
            "Guaranteed");
  EXPECT_EQ(compute_qos_class(spec_with({r, r})), "Guaranteed");
}

TEST(Qos, BurstableOtherwise) {
  EXPECT_EQ(compute_qos_class(spec_with({{{"requests", {{"cpu", "100m"}}}}})), "Burstable");
  EXPECT_EQ(compute_qos_class(spec_with({{{"limits", {{"cpu", "200m"}}}}})), "Burstable");
  json g = {{"limits", {{"cpu", "1"}, {"memory", "1Gi"}}}};
  EXPECT_EQ(compute_qos_class(spec_with({g, json::object()})), "Burstable");
  json unequal = {{"limits", {{"cpu", "1"}, {"memory", "1Gi"}}},
                  {"requests", {{"cpu", "500m"}, {"memory", "1Gi"}}}};
  EXPECT_EQ(compute_qos_class(spec_with({unequal})), "Burstable");
}

TEST(Qos, CgroupPathsFollowTheSystemdDriver) {
  EXPECT_EQ(pod_cgroup_path("Burstable", "1a2b-3c"),
            "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b_3c.slice");
  EXPECT_EQ(pod_cgroup_path("BestEffort", "u-1"),
            "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podu_1.slice");
  EXPECT_EQ(pod_cgroup_path("Guaranteed", "u-1"), "kubepods.slice/kubepods-podu_1.slice");
}
