// SPDX-License-Identifier: Apache-2.0
// Job rendering: the YAML template gives the shape, this file fills in what differs per run.
// Values are set as JSON fields, never pasted into YAML text, so no input can change the shape.
#include "job/job_spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>

#include "job_template.h"
#include "util/duration.h"
#include "util/yaml_json.h"

namespace podtrace::plugin {

using json = nlohmann::json;

std::string trace_container_name(size_t i) { return fmt::format("trace-{}", i); }

namespace {

bool is_label_value(const std::string& v) {
  if (v.empty() || v.size() > 63) return false;
  for (char c : v) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  }
  return std::isalnum(static_cast<unsigned char>(v.front())) &&
         std::isalnum(static_cast<unsigned char>(v.back()));
}

// Returns the object at `key`, creating it when missing or of the wrong type.
json& object_at(json& parent, const char* key) {
  json& v = parent[key];
  if (!v.is_object()) v = json::object();
  return v;
}

}  // namespace

Result<json> render_job(const JobParams& params, std::string_view template_yaml) {
  if (template_yaml.empty()) template_yaml = job_template_yaml;
  if (params.targets.empty()) return make_error("internal: a Job needs at least one target");
  auto parsed = yaml_to_json(template_yaml);
  if (!parsed) return make_error("job template: " + parsed.error());
  json job = std::move(*parsed);
  if (!job.is_object() || job.value("kind", "") != "Job")
    return make_error("job template: not a Job");

  json& meta = object_at(job, "metadata");
  meta["name"] = params.name;
  meta["namespace"] = params.namespace_;
  json& labels = object_at(meta, "labels");
  labels["app.kubernetes.io/name"] = "podtrace";
  labels[session_label] = params.session;
  if (params.targets.size() == 1 && is_label_value(params.targets[0].pod_name))
    labels[target_pod_label] = params.targets[0].pod_name;
  std::string targets;
  for (const auto& t : params.targets)
    targets += (targets.empty() ? "" : ",") + t.pod_namespace + "/" + t.pod_name;
  object_at(meta, "annotations")[targets_annotation] = targets;

  json& spec = object_at(job, "spec");
  spec["backoffLimit"] = 0;
  auto duration_s = (params.duration.count() + 999) / 1000;
  // The deadline counts from the Job's start, which includes scheduling and image pull.
  spec["activeDeadlineSeconds"] = duration_s + params.start_timeout.count() + 60;

  json& tmpl = object_at(spec, "template");
  json& pod_labels = object_at(object_at(tmpl, "metadata"), "labels");
  pod_labels["app.kubernetes.io/name"] = "podtrace";
  pod_labels[session_label] = params.session;
  json& pod_spec = object_at(tmpl, "spec");
  pod_spec["restartPolicy"] = "Never";
  object_at(pod_spec, "nodeSelector")["kubernetes.io/hostname"] = params.node;

  json& containers = pod_spec["containers"];
  if (!containers.is_array() || containers.empty() || !containers[0].is_object())
    return make_error("job template: spec.template.spec.containers[0] is missing");
  const json base = containers[0];
  containers = json::array();
  for (size_t i = 0; i < params.targets.size(); i++) {
    json c = base;
    c["name"] = trace_container_name(i);
    c["image"] = params.image;
    c["command"] = json::array({"podtrace-tracer"});
    json args = json::array();
    for (const auto& id : params.targets[i].container_ids) {
      args.push_back("--container-id");
      args.push_back(id);
    }
    if (params.targets[i].restarts) args.push_back("--follow-restarts");
    args.push_back("--duration");
    args.push_back(format_duration(params.duration));
    for (const auto& t : params.thresholds) {
      args.push_back("--threshold");
      args.push_back(t);
    }
    if (params.interval.count() > 0) {
      args.push_back("--interval");
      args.push_back(format_duration(params.interval));
    }
    // /metrics labels: who the numbers are about.
    for (const auto& [flag, value] :
         {std::pair{"--k8s-namespace", params.targets[i].pod_namespace},
          std::pair{"--k8s-pod", params.targets[i].pod_name},
          std::pair{"--k8s-container",
                    fmt::format("{}", fmt::join(params.targets[i].container_names, ","))}}) {
      if (value.empty()) continue;
      args.push_back(flag);
      args.push_back(value);
    }
    if (base.contains("args") && base["args"].is_array()) {
      for (const auto& a : base["args"]) args.push_back(a);
    }
    c["args"] = args;
    json& sc = object_at(c, "securityContext");
    if (params.privileged) {
      sc["privileged"] = true;
      sc.erase("capabilities");
    } else {
      // What the tracer needs without full privilege: BPF programs and maps, perf events,
      // locked memory, sockops/cgroup attach, reading other processes' /proc entries.
      sc["privileged"] = false;
      sc["capabilities"] = {{"add", {"BPF", "PERFMON", "SYS_RESOURCE", "NET_ADMIN", "SYS_PTRACE"}}};
    }
    containers.push_back(std::move(c));
  }
  return job;
}

}  // namespace podtrace::plugin
