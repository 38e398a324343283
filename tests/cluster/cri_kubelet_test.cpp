// SPDX-License-Identifier: Apache-2.0
// cri_kubelet_test.cpp: the CRI configurations the harness kubelet sends for a pod, as the real
// kubelet would build them: cgroup parent, DNS, namespaces, resources, mounts, log paths.
#include "cri_kubelet.h"

#include <gtest/gtest.h>

namespace podtrace::cluster {
namespace {

using nlohmann::json;
namespace rt = runtime::v1;

json tracer_pod() {
  return json::parse(R"json({
    "metadata": {"name": "podtrace-x", "namespace": "shop", "uid": "u-1", "labels": {"app": "t"}},
    "spec": {
      "hostPID": true,
      "nodeName": "node-a",
      "containers": [{
        "name": "trace-0",
        "image": "docker.io/podtrace/podtrace-tracer:0.1.0",
        "command": ["podtrace-tracer"],
        "args": ["--container-id", "$(TARGET)", "$$(literal)"],
        "env": [{"name": "TARGET", "value": "containerd://abc"},
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "securityContext": {"privileged": true},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "512Mi"}},
        "volumeMounts": [{"name": "host-proc", "mountPath": "/host/proc", "readOnly": true}]
      }],
      "volumes": [{"name": "host-proc", "hostPath": {"path": "/proc", "type": "Directory"}}]
    }})json");
}

TEST(CriKubelet, SandboxLikeKubelet) {
  CriKubeletConfig c;
  c.state_dir = "/state";
  c.dns_server = "10.88.77.1";
  const rt::PodSandboxConfig s = sandbox_config(tracer_pod(), c);
  EXPECT_EQ(s.metadata().name(), "podtrace-x");
  EXPECT_EQ(s.metadata().namespace_(), "shop");
  EXPECT_EQ(s.metadata().uid(), "u-1");
  EXPECT_EQ(s.log_directory(), "/state/pods/shop_podtrace-x_u-1");
  EXPECT_EQ(s.linux().cgroup_parent(), "/kubepods/burstable/podu-1");
  EXPECT_EQ(s.linux().security_context().namespace_options().pid(), rt::NODE);
  EXPECT_EQ(s.linux().security_context().namespace_options().network(), rt::POD);
  EXPECT_TRUE(s.linux().security_context().privileged());
  ASSERT_EQ(s.dns_config().servers_size(), 1);
  EXPECT_EQ(s.dns_config().servers(0), "10.88.77.1");
  ASSERT_EQ(s.dns_config().searches_size(), 3);
  EXPECT_EQ(s.dns_config().searches(0), "shop.svc.cluster.local");
  EXPECT_EQ(s.dns_config().searches(2), "cluster.local");
  ASSERT_EQ(s.dns_config().options_size(), 1);
  EXPECT_EQ(s.dns_config().options(0), "ndots:5");
  EXPECT_EQ(s.labels().at("app"), "t");
  EXPECT_EQ(s.labels().at("io.kubernetes.pod.uid"), "u-1");
}

TEST(CriKubelet, ContainerLikeKubelet) {
  const json pod = tracer_pod();
  const rt::ContainerConfig c =
      container_config(pod, pod["spec"]["containers"][0], 2, "10.88.77.10");
  EXPECT_EQ(c.metadata().name(), "trace-0");
  EXPECT_EQ(c.metadata().attempt(), 2u);
  EXPECT_EQ(c.image().image(), "docker.io/podtrace/podtrace-tracer:0.1.0");
  ASSERT_EQ(c.command_size(), 1);
  ASSERT_EQ(c.args_size(), 3);
  EXPECT_EQ(c.args(1), "containerd://abc");  // $(VAR) expanded
  EXPECT_EQ(c.args(2), "$(literal)");        // $$ escapes
  ASSERT_EQ(c.envs_size(), 2);
  EXPECT_EQ(c.envs(1).value(), "podtrace-x");  // downward API
  EXPECT_EQ(c.log_path(), "trace-0/2.log");
  ASSERT_EQ(c.mounts_size(), 1);
  EXPECT_EQ(c.mounts(0).container_path(), "/host/proc");
  EXPECT_EQ(c.mounts(0).host_path(), "/proc");
  EXPECT_TRUE(c.mounts(0).readonly());
  EXPECT_TRUE(c.linux().security_context().privileged());
  EXPECT_EQ(c.linux().security_context().namespace_options().pid(), rt::NODE);
  EXPECT_EQ(c.linux().resources().cpu_shares(), 51);  // 50m
  EXPECT_EQ(c.linux().resources().cpu_quota(), 0);    // no CPU limit
  EXPECT_EQ(c.linux().resources().memory_limit_in_bytes(), 512ll << 20);
}

TEST(CriKubelet, LimitsBecomeQuotaAndGuaranteedHasNoQosLevel) {
  json pod = tracer_pod();
  auto& res = pod["spec"]["containers"][0]["resources"];
  res = {{"limits", {{"cpu", "500m"}, {"memory", "128Mi"}}}};
  const rt::ContainerConfig c = container_config(pod, pod["spec"]["containers"][0], 0, "");
  EXPECT_EQ(c.linux().resources().cpu_period(), 100000);
  EXPECT_EQ(c.linux().resources().cpu_quota(), 50000);
  EXPECT_EQ(c.linux().resources().cpu_shares(), 512);  // the request defaults to the limit
  EXPECT_EQ(sandbox_config(pod, {}).linux().cgroup_parent(), "/kubepods/podu-1");
  EXPECT_EQ(cgroupfs_pod_parent("BestEffort", "u"), "/kubepods/besteffort/podu");
}

}  // namespace
}  // namespace podtrace::cluster
