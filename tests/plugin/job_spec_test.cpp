// SPDX-License-Identifier: Apache-2.0
// The rendered tracer Job, field by field.
#include "job/job_spec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "job/tracer_image.h"

using namespace podtrace;
using namespace podtrace::plugin;
using json = nlohmann::json;

namespace {

const std::string id_a = "containerd://" + std::string(64, 'a');
const std::string id_b = "containerd://" + std::string(64, 'b');
const std::string id_c = "cri-o://" + std::string(64, 'c');

JobParams params_one_pod() {
  JobParams p;
  p.name = "podtrace-abc123de";
  p.namespace_ = "shop";
  p.session = "abc123de";
  p.node = "node-1";
  p.duration = std::chrono::seconds(20);
  p.start_timeout = std::chrono::seconds(60);
  p.targets = {{"web-1", "shop", {id_a, id_b}, false, {}}};
  return p;
}

}  // namespace

TEST(JobSpec, OnePodPrivileged) {
  auto job = render_job(params_one_pod());
  ASSERT_TRUE(job) << job.error();
  const json& j = *job;
  EXPECT_EQ(j["apiVersion"], "batch/v1");
  EXPECT_EQ(j["kind"], "Job");
  EXPECT_EQ(j["metadata"]["name"], "podtrace-abc123de");
  EXPECT_EQ(j["metadata"]["namespace"], "shop");
  EXPECT_EQ(j["metadata"]["labels"]["app.kubernetes.io/name"], "podtrace");
  EXPECT_EQ(j["metadata"]["labels"]["podtrace.io/session"], "abc123de");
  EXPECT_EQ(j["metadata"]["labels"]["podtrace.io/target-pod"], "web-1");
  EXPECT_EQ(j["metadata"]["annotations"]["podtrace.io/targets"], "shop/web-1");
  EXPECT_EQ(j["spec"]["backoffLimit"], 0);
  EXPECT_EQ(j["spec"]["activeDeadlineSeconds"], 20 + 60 + 60);
  EXPECT_EQ(j["spec"]["ttlSecondsAfterFinished"], 300);

  const json& tmpl = j["spec"]["template"];
  EXPECT_EQ(tmpl["metadata"]["labels"]["podtrace.io/session"], "abc123de");
  const json& spec = tmpl["spec"];
  EXPECT_EQ(spec["restartPolicy"], "Never");
  EXPECT_EQ(spec["hostPID"], true);
  EXPECT_EQ(spec["nodeSelector"], json({{"kubernetes.io/hostname", "node-1"}}));
  EXPECT_FALSE(spec.contains("nodeName"));
  EXPECT_EQ(spec["tolerations"], json::parse(R"([{"operator":"Exists"}])"));
  EXPECT_EQ(spec["volumes"], json::parse(R"([
		{"name":"host-sys","hostPath":{"path":"/sys","type":"Directory"}},
		{"name":"host-proc","hostPath":{"path":"/proc","type":"Directory"}},
		{"name":"host-run","hostPath":{"path":"/run/podtrace/job","type":"DirectoryOrCreate"}}])"));

  ASSERT_EQ(spec["containers"].size(), 1u);
  const json& c = spec["containers"][0];
  EXPECT_EQ(c["name"], "trace-0");
  EXPECT_EQ(c["image"], "ghcr.io/podtrace/podtrace-tracer:0.1.0");
  EXPECT_EQ(c["command"], json::array({"podtrace-tracer"}));
  EXPECT_EQ(c["args"],
            json::array({"--container-id", id_a, "--container-id", id_b, "--duration", "20s",
                         "--k8s-namespace", "shop", "--k8s-pod", "web-1", "--output", "jsonl",
                         "--cgroup-root", "/host/sys/fs/cgroup", "--proc-root", "/host/proc"}));
  EXPECT_EQ(c["securityContext"], json({{"privileged", true}}));
  // Set at the container's exec, so the tracer does not exec itself again to set it.
  EXPECT_EQ(c["env"],
            json::parse(R"([{"name":"GLIBC_TUNABLES","value":"glibc.malloc.hugetlb=1"}])"));
  EXPECT_EQ(c["volumeMounts"], json::parse(R"([
		{"name":"host-sys","mountPath":"/host/sys","readOnly":true},
		{"name":"host-proc","mountPath":"/host/proc","readOnly":true},
		{"name":"host-run","mountPath":"/run/podtrace"}])"));
}

TEST(JobSpec, UnprivilegedUsesCapabilities) {
  JobParams p = params_one_pod();
  p.privileged = false;
  p.image = "registry.local/tracer:dev";
  p.duration = std::chrono::milliseconds(1500);
  auto job = render_job(p);
  ASSERT_TRUE(job) << job.error();
  const json& c = (*job)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "registry.local/tracer:dev");
  EXPECT_EQ(c["securityContext"], json::parse(R"({"privileged":false,
		"capabilities":{"add":["BPF","PERFMON","SYS_RESOURCE","NET_ADMIN","SYS_PTRACE"]}})"));
  EXPECT_EQ(c["args"][5], "1500ms");
  EXPECT_EQ((*job)["spec"]["activeDeadlineSeconds"], 2 + 60 + 60);
}

TEST(JobSpec, SeveralPodsOneContainerEach) {
  JobParams p = params_one_pod();
  p.targets = {{"web-1", "shop", {id_a}, false, {}}, {"web-2", "shop", {id_c}, false, {}}};
  auto job = render_job(p);
  ASSERT_TRUE(job) << job.error();
  const json& containers = (*job)["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["name"], "trace-0");
  EXPECT_EQ(containers[0]["args"][1], id_a);
  EXPECT_EQ(containers[1]["name"], "trace-1");
  EXPECT_EQ(containers[1]["args"][1], id_c);
  EXPECT_FALSE((*job)["metadata"]["labels"].contains("podtrace.io/target-pod"));
  EXPECT_EQ((*job)["metadata"]["annotations"]["podtrace.io/targets"], "shop/web-1,shop/web-2");
}

TEST(JobSpec, TemplateErrors) {
  EXPECT_FALSE(render_job(params_one_pod(), "kind: Pod\n"));
  auto r = render_job(params_one_pod(), "kind: Job\nspec: {template: {spec: {containers: []}}}\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "job template: spec.template.spec.containers[0] is missing");
}

TEST(TracerImage, ReleasePinsTheImageByDigest) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("pt-image-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string fallback = "ghcr.io/podtrace/podtrace-tracer:0.1.0";
  EXPECT_EQ(podtrace::plugin::default_tracer_image_in(dir, fallback), fallback);  // no file
  const std::string pinned =
      "ghcr.io/podtrace/podtrace-tracer:0.1.0@sha256:" + std::string(64, 'a');
  std::ofstream(dir / "tracer-image") << pinned << "\n";
  EXPECT_EQ(podtrace::plugin::default_tracer_image_in(dir, fallback), pinned);
  std::ofstream(dir / "tracer-image") << "evil --privileged\n";  // not an image reference
  EXPECT_EQ(podtrace::plugin::default_tracer_image_in(dir, fallback), fallback);
  std::filesystem::remove_all(dir);
}

TEST(JobSpec, ThresholdsAndLiveIntervalReachTheTracer) {
  JobParams p = params_one_pod();
  p.thresholds = {"slow_io_p99=50ms", "throttled_ratio=25%"};
  p.interval = std::chrono::seconds(1);
  auto job = render_job(p);
  ASSERT_TRUE(job) << job.error();
  const json& args = (*job)["spec"]["template"]["spec"]["containers"][0]["args"];
  const std::vector<std::string> got = args.get<std::vector<std::string>>();
  auto at = std::find(got.begin(), got.end(), "--threshold");
  ASSERT_NE(at, got.end());
  EXPECT_EQ(std::vector<std::string>(at, at + 4),
            (std::vector<std::string>{"--threshold", "slow_io_p99=50ms", "--threshold",
                                      "throttled_ratio=25%"}));
  auto interval = std::find(got.begin(), got.end(), "--interval");
  ASSERT_NE(interval, got.end());
  EXPECT_EQ(*(interval + 1), "1s");
}
