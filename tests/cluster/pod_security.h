// SPDX-License-Identifier: Apache-2.0
// Pod Security admission (k8s.io/pod-security-admission): a namespace's pod-security.kubernetes.io
// labels, the baseline and restricted checks, and the API server's refusals and warnings.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api_status.h"

namespace podtrace::cluster {

enum class PodSecurityLevel { Privileged, Baseline, Restricted };

// A level at a policy version: "baseline:latest", "restricted:v1.29".
struct LevelVersion {
  PodSecurityLevel level = PodSecurityLevel::Privileged;
  std::optional<int> minor;  // policy version v1.<minor>; nullopt is "latest"

  std::string str() const;
  bool operator==(const LevelVersion&) const = default;
};

// The modes the harness acts on; audit only annotates audit logs, which it does not keep.
struct PodSecurityPolicy {
  LevelVersion enforce;
  LevelVersion warn;
};

// One check a pod fails: reason "hostPath volumes", detail `volumes "a", "b"`.
struct CheckFailure {
  std::string reason;
  std::string detail;
};

// The policy of a namespace from its labels (privileged:latest where a label is absent; warn
// defaults to enforce when only enforce is set, as since Kubernetes 1.26). A value that does
// not parse counts as restricted:latest for enforce and privileged for warn.
PodSecurityPolicy policy_from_labels(const nlohmann::json& labels);

// The 422 the API server answers for a Namespace whose pod-security labels do not parse
// (`Namespace "x" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: ...`).
std::optional<ApiReply> validate_namespace_labels(const std::string& name,
                                                  const nlohmann::json& labels);

// The checks of `lv` that pod_spec fails, in the API server's order: baseline checks sorted by
// check ID, then restricted ones sorted by ID; at restricted, a baseline check that a
// restricted one supersedes is skipped.
std::vector<CheckFailure> evaluate_pod(const LevelVersion& lv, const nlohmann::json& pod_spec);

// `host namespaces (hostPID=true), privileged (container "x" must not ...)`.
std::string forbidden_detail(const std::vector<CheckFailure>& failures);

// Admission of a pod create in a namespace with these labels: the 403 refusal (enforce) or a
// warning (warn, only when enforce allowed the pod). pod carries metadata.name.
struct PodAdmission {
  std::optional<ApiReply> refusal;
  std::string warning;
};
PodAdmission admit_pod(const nlohmann::json& namespace_labels, const nlohmann::json& pod);

// For workload resources (Jobs) the API server does not enforce, it only warns at the warn
// level about the pod template: `would violate PodSecurity "baseline:latest": ...` or "".
std::string workload_warning(const nlohmann::json& namespace_labels,
                             const nlohmann::json& pod_template_spec);

}  // namespace podtrace::cluster
