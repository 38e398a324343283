// SPDX-License-Identifier: Apache-2.0
// Defaulting and validation, reduced to the fields podtrace, kubectl and the tests rely on.
#include "object_defaults.h"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <random>

#include "qos.h"

namespace podtrace::cluster {

using nlohmann::json;

namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen(std::random_device{}());
  return gen;
}

}  // namespace

std::string random_uid() {
  std::uniform_int_distribution<uint64_t> dist;
  uint64_t a = dist(rng()), b = dist(rng());
  // Version 4, variant 1, as uuid.NewRandom.
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xffff,
                     b >> 48, b & 0xffffffffffffULL);
}

std::string random_suffix() {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::uniform_int_distribution<size_t> dist(0, sizeof(alphabet) - 2);
  std::string out;
  for (int i = 0; i < 5; ++i) out += alphabet[dist(rng())];
  return out;
}

void fill_metadata(json& obj, const std::string& ns, Clock::time_point now) {
  json& meta = obj["metadata"];
  if (!meta.is_object()) meta = json::object();
  if (meta.value("name", "").empty() && meta.contains("generateName"))
    meta["name"] = meta["generateName"].get<std::string>() + random_suffix();
  if (!ns.empty()) meta["namespace"] = ns;
  meta["uid"] = random_uid();
  meta["creationTimestamp"] = rfc3339(now);
  meta.erase("resourceVersion");
  meta.erase("deletionTimestamp");
  if (obj.value("kind", "") == "Job") meta["generation"] = 1;
}

std::optional<ApiReply> default_and_validate_pod(json& pod) {
  std::string name = pod["metadata"].value("name", "");
  if (name.empty())
    return invalid("Pod", "", name, "metadata.name",
                   "Required value: name or generateName is required");
  json& spec = pod["spec"];
  if (!spec.is_object() || !spec.contains("containers") || !spec["containers"].is_array() ||
      spec["containers"].empty())
    return invalid("Pod", "", name, "spec.containers", "Required value");
  for (auto& c : spec["containers"]) {
    if (c.value("name", "").empty())
      return invalid("Pod", "", name, "spec.containers[0].name", "Required value");
    if (!c.contains("image"))
      return invalid("Pod", "", name, "spec.containers[0].image", "Required value");
    c.emplace("terminationMessagePath", "/dev/termination-log");
    c.emplace("terminationMessagePolicy", "File");
    c.emplace("imagePullPolicy", "IfNotPresent");
    json& res = c["resources"];
    if (!res.is_object()) res = json::object();
    if (res.contains("limits")) {
      for (auto& [k, v] : res["limits"].items())
        if (!res["requests"].contains(k)) res["requests"][k] = v;
    }
  }
  spec.emplace("restartPolicy", "Always");
  spec.emplace("terminationGracePeriodSeconds", 30);
  spec.emplace("dnsPolicy", "ClusterFirst");
  spec.emplace("schedulerName", "default-scheduler");
  spec.emplace("serviceAccountName", "default");
  spec.emplace("securityContext", json::object());
  spec.emplace("enableServiceLinks", true);
  spec.emplace("preemptionPolicy", "PreemptLowerPriority");
  spec.emplace("priority", 0);
  pod["status"] = {{"phase", "Pending"}, {"qosClass", compute_qos_class(spec)}};
  pod["apiVersion"] = "v1";
  pod["kind"] = "Pod";
  return std::nullopt;
}

std::optional<ApiReply> default_and_validate_job(json& job) {
  std::string name = job["metadata"].value("name", "");
  if (name.empty())
    return invalid("Job", "batch", name, "metadata.name",
                   "Required value: name or generateName is required");
  json& spec = job["spec"];
  if (!spec.is_object() || !spec.contains("template"))
    return invalid("Job", "batch", name, "spec.template", "Required value");
  json& tmpl_spec = spec["template"]["spec"];
  std::string policy = tmpl_spec.value("restartPolicy", "");
  if (policy != "Never" && policy != "OnFailure")
    return invalid("Job", "batch", name, "spec.template.spec.restartPolicy",
                   "Required value: valid values: \"OnFailure\", \"Never\"");
  if (!tmpl_spec.contains("containers") || tmpl_spec["containers"].empty())
    return invalid("Job", "batch", name, "spec.template.spec.containers", "Required value");
  std::string uid = job["metadata"]["uid"];
  json controller_labels = {{"controller-uid", uid},
                            {"batch.kubernetes.io/controller-uid", uid},
                            {"job-name", name},
                            {"batch.kubernetes.io/job-name", name}};
  if (!spec.contains("selector"))
    spec["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
  json& labels = spec["template"]["metadata"]["labels"];
  if (!labels.is_object()) labels = json::object();
  labels.update(controller_labels);
  json& job_labels = job["metadata"]["labels"];
  if (!job_labels.is_object())
    job_labels = {{"controller-uid", uid},
                  {"batch.kubernetes.io/controller-uid", uid},
                  {"job-name", name},
                  {"batch.kubernetes.io/job-name", name}};
  spec.emplace("completions", 1);
  spec.emplace("parallelism", 1);
  spec.emplace("backoffLimit", 6);
  spec.emplace("completionMode", "NonIndexed");
  spec.emplace("suspend", false);
  job["status"] = json::object();
  job["apiVersion"] = "batch/v1";
  job["kind"] = "Job";
  return std::nullopt;
}

json make_namespace(const std::string& name, Clock::time_point now) {
  return {{"apiVersion", "v1"},
          {"kind", "Namespace"},
          {"metadata",
           {{"name", name},
            {"uid", random_uid()},
            {"creationTimestamp", rfc3339(now)},
            {"labels", {{"kubernetes.io/metadata.name", name}}}}},
          {"spec", {{"finalizers", {"kubernetes"}}}},
          {"status", {{"phase", "Active"}}}};
}

json make_node(const std::string& name, Clock::time_point now) {
  utsname u{};
  uname(&u);
  std::string ts = rfc3339(now);
  auto condition = [&](const char* type, const char* status, const char* reason,
                       const char* message) {
    return json{{"type", type},
                {"status", status},
                {"lastHeartbeatTime", ts},
                {"lastTransitionTime", ts},
                {"reason", reason},
                {"message", message}};
  };
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata",
           {{"name", name},
            {"uid", random_uid()},
            {"creationTimestamp", ts},
            {"labels",
             {{"kubernetes.io/hostname", name},
              {"kubernetes.io/os", "linux"},
              {"kubernetes.io/arch", "amd64"},
              {"beta.kubernetes.io/os", "linux"},
              {"beta.kubernetes.io/arch", "amd64"}}}}},
          {"spec", {{"podCIDR", "10.244.0.0/24"}}},
          {"status",
           {{"conditions",
             {condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                        "kubelet has sufficient memory available"),
              condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                        "kubelet has no disk pressure"),
              condition("PIDPressure", "False", "KubeletHasSufficientPID",
                        "kubelet has sufficient PID available"),
              condition("Ready", "True", "KubeletReady", "kubelet is posting ready status")}},
            {"addresses",
             {{{"type", "InternalIP"}, {"address", "127.0.0.1"}},
              {{"type", "Hostname"}, {"address", name}}}},
            {"capacity", {{"cpu", "2"}, {"memory", "8Gi"}, {"pods", "110"}}},
            {"allocatable", {{"cpu", "2"}, {"memory", "8Gi"}, {"pods", "110"}}},
            {"nodeInfo",
             {{"kubeletVersion", "v1.30.0"},
              {"kubeProxyVersion", "v1.30.0"},
              {"containerRuntimeVersion", "containerd://1.7.13"},
              {"kernelVersion", u.release},
              {"osImage", "podtrace local cluster"},
              {"operatingSystem", "linux"},
              {"architecture", "amd64"},
              {"machineID", ""},
              {"systemUUID", ""},
              {"bootID", ""}}}}}};
}

}  // namespace podtrace::cluster
