// SPDX-License-Identifier: Apache-2.0
// Pod Security admission: each check's wording, the order of the list, levels, versions and
// the namespace labels, against messages of the real API server.
#include "pod_security.h"

#include <gtest/gtest.h>

using namespace podtrace::cluster;
using nlohmann::json;

namespace {

const LevelVersion baseline{PodSecurityLevel::Baseline, std::nullopt};
const LevelVersion restricted{PodSecurityLevel::Restricted, std::nullopt};

std::string detail(const LevelVersion& lv, const json& spec) {
  return forbidden_detail(evaluate_pod(lv, spec));
}

// What a podtrace tracer Job's pod looks like: privileged, host PID, host /proc and /sys.
json tracer_spec() {
  return json::parse(R"({
    "hostPID": true,
    "containers": [{"name": "trace-0", "image": "podtrace",
                    "securityContext": {"privileged": true}}],
    "volumes": [{"name": "host-proc", "hostPath": {"path": "/proc"}},
                {"name": "host-sys", "hostPath": {"path": "/sys"}},
                {"name": "scratch", "emptyDir": {}}]})");
}

// A pod that passes restricted.
json hardened_spec() {
  return json::parse(R"({
    "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [{"name": "app", "image": "busybox",
                    "securityContext": {"allowPrivilegeEscalation": false,
                                        "capabilities": {"drop": ["ALL"],
                                                         "add": ["NET_BIND_SERVICE"]}}}],
    "volumes": [{"name": "cfg", "configMap": {"name": "x"}}, {"name": "tmp"}]})");
}

}  // namespace

TEST(PodSecurity, BaselineListInCheckIdOrder) {
  // Check IDs sort hostNamespaces < hostPathVolumes < privileged (registry.go), as in
  // `host namespaces (hostPID=true), hostPath volumes (volume "dev"), privileged (...)`.
  EXPECT_EQ(detail(baseline, tracer_spec()),
            "host namespaces (hostPID=true), hostPath volumes (volumes \"host-proc\", "
            "\"host-sys\"), privileged (container \"trace-0\" must not set "
            "securityContext.privileged=true)");
  EXPECT_EQ(detail(baseline, hardened_spec()), "");
  EXPECT_TRUE(evaluate_pod(LevelVersion{}, tracer_spec()).empty());  // privileged
}

TEST(PodSecurity, BaselineChecksOneByOne) {
  EXPECT_EQ(detail(baseline, {{"hostNetwork", true}, {"hostIPC", true}, {"hostPID", true}}),
            "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)");
  json caps = json::parse(R"({"containers": [
      {"name": "a", "securityContext": {"capabilities": {"add": ["SYS_ADMIN", "CHOWN"]}}},
      {"name": "b", "securityContext": {"capabilities": {"add": ["NET_ADMIN", "SYS_ADMIN"]}}},
      {"name": "ok", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"]}}}]})");
  EXPECT_EQ(detail(baseline, caps),
            "non-default capabilities (containers \"a\", \"b\" must not include \"NET_ADMIN\", "
            "\"SYS_ADMIN\" in securityContext.capabilities.add)");
  json one_volume = {{"volumes", {{{"name", "docker-sock"}, {"hostPath", {{"path", "/x"}}}}}}};
  EXPECT_EQ(detail(baseline, one_volume), "hostPath volumes (volume \"docker-sock\")");
  json ports = json::parse(R"({"containers": [
      {"name": "a", "ports": [{"containerPort": 80, "hostPort": 9100}]},
      {"name": "b", "ports": [{"containerPort": 81}, {"containerPort": 82, "hostPort": 10250}]}]})");
  // Ports compare as strings, like sets.String: "10250" < "9100".
  EXPECT_EQ(detail(baseline, ports),
            "hostPort (containers \"a\", \"b\" use hostPorts 10250, 9100)");
  ports["containers"].erase(1);
  EXPECT_EQ(detail(baseline, ports), "hostPort (container \"a\" uses hostPort 9100)");
  // Init containers come first, ephemeral ones last (visitor.go).
  json priv = json::parse(R"({
      "initContainers": [{"name": "init", "securityContext": {"privileged": true}}],
      "containers": [{"name": "main", "securityContext": {"privileged": true}},
                     {"name": "side", "securityContext": {"privileged": false}}],
      "ephemeralContainers": [{"name": "debug", "securityContext": {"privileged": true}}]})");
  EXPECT_EQ(detail(baseline, priv),
            "privileged (containers \"init\", \"main\", \"debug\" must not set "
            "securityContext.privileged=true)");
  json seccomp = json::parse(R"({
      "securityContext": {"seccompProfile": {"type": "Unconfined"}},
      "containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": "Unconfined"}}},
                     {"name": "b"}]})");
  EXPECT_EQ(detail(baseline, seccomp),
            "seccompProfile (pod and container \"a\" must not set "
            "securityContext.seccompProfile.type to \"Unconfined\")");
}

TEST(PodSecurity, RestrictedMatchesTheApiServersMessage) {
  // Reported by a v1.24 API server for a privileged nginx container running as root.
  json spec = json::parse(R"({"containers": [{"name": "nginx-120", "image": "nginx",
      "securityContext": {"privileged": true, "runAsUser": 0}}]})");
  EXPECT_EQ(detail({PodSecurityLevel::Restricted, 24}, spec),
            "privileged (container \"nginx-120\" must not set securityContext.privileged=true), "
            "allowPrivilegeEscalation != false (container \"nginx-120\" must set "
            "securityContext.allowPrivilegeEscalation=false), unrestricted capabilities "
            "(container \"nginx-120\" must set securityContext.capabilities.drop=[\"ALL\"]), "
            "runAsNonRoot != true (pod or container \"nginx-120\" must set "
            "securityContext.runAsNonRoot=true), runAsUser=0 (container \"nginx-120\" must not "
            "set runAsUser=0), seccompProfile (pod or container \"nginx-120\" must set "
            "securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")");
  EXPECT_EQ(detail(restricted, hardened_spec()), "");
}

TEST(PodSecurity, RestrictedChecksOneByOne) {
  json spec = hardened_spec();
  spec["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = true;
  EXPECT_EQ(detail(restricted, spec),
            "allowPrivilegeEscalation != false (container \"app\" must set "
            "securityContext.allowPrivilegeEscalation=false)");

  spec = hardened_spec();
  spec["containers"][0]["securityContext"]["capabilities"] = {{"drop", {"NET_RAW"}},
                                                              {"add", {"SYS_ADMIN", "BPF"}}};
  EXPECT_EQ(detail(restricted, spec),
            "unrestricted capabilities (container \"app\" must set "
            "securityContext.capabilities.drop=[\"ALL\"]; container \"app\" must not include "
            "\"BPF\", \"SYS_ADMIN\" in securityContext.capabilities.add)");

  // restrictedVolumes replaces the baseline hostPath check at restricted.
  spec = hardened_spec();
  spec["volumes"].push_back({{"name", "host"}, {"hostPath", {{"path", "/"}}}});
  spec["volumes"].push_back({{"name", "share"}, {"nfs", {{"server", "x"}, {"path", "/"}}}});
  EXPECT_EQ(detail(restricted, spec),
            "restricted volume types (volumes \"host\", \"share\" use restricted volume types "
            "\"hostPath\", \"nfs\")");
  spec["volumes"].erase(3);
  EXPECT_EQ(detail(restricted, spec),
            "restricted volume types (volume \"host\" uses restricted volume type \"hostPath\")");

  spec = hardened_spec();
  spec["securityContext"]["runAsNonRoot"] = false;
  spec["containers"][0]["securityContext"]["runAsNonRoot"] = false;
  EXPECT_EQ(detail(restricted, spec),
            "runAsNonRoot != true (pod and container \"app\" must not set "
            "securityContext.runAsNonRoot=false)");
  spec["containers"][0]["securityContext"]["runAsNonRoot"] = true;  // container overrides pod
  spec["containers"][0]["securityContext"]["runAsUser"] = 0;
  spec["securityContext"]["runAsUser"] = 0;
  EXPECT_EQ(detail(restricted, spec),
            "runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false), "
            "runAsUser=0 (pod and container \"app\" must not set runAsUser=0)");

  spec = hardened_spec();
  spec["securityContext"].erase("seccompProfile");
  spec["containers"].push_back(
      {{"name", "b"},
       {"securityContext",
        {{"allowPrivilegeEscalation", false},
         {"capabilities", {{"drop", {"ALL"}}}},
         {"seccompProfile", {{"type", "Localhost"}, {"localhostProfile", "p.json"}}}}}});
  EXPECT_EQ(detail(restricted, spec),
            "seccompProfile (pod or container \"app\" must set "
            "securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")");
}

TEST(PodSecurity, PolicyVersionsSelectChecks) {
  json spec = hardened_spec();
  spec["containers"][0]["securityContext"]["capabilities"] = {{"add", {"SYS_ADMIN"}}};
  spec["containers"][0]["securityContext"]["runAsUser"] = 0;
  // v1.21 predates the restricted capabilities check (1.22), so the baseline one applies;
  // runAsUser=0 is refused from 1.23 on.
  EXPECT_EQ(detail({PodSecurityLevel::Restricted, 21}, spec),
            "non-default capabilities (container \"app\" must not include \"SYS_ADMIN\" in "
            "securityContext.capabilities.add)");
  EXPECT_EQ(detail({PodSecurityLevel::Restricted, 23}, spec),
            "unrestricted capabilities (container \"app\" must set "
            "securityContext.capabilities.drop=[\"ALL\"]; container \"app\" must not include "
            "\"SYS_ADMIN\" in securityContext.capabilities.add), runAsUser=0 (container \"app\" "
            "must not set runAsUser=0)");
  EXPECT_EQ((LevelVersion{PodSecurityLevel::Restricted, 23}).str(), "restricted:v1.23");
  EXPECT_EQ(baseline.str(), "baseline:latest");
}

TEST(PodSecurity, PolicyFromNamespaceLabels) {
  using L = PodSecurityLevel;
  auto p = policy_from_labels(json::object());
  EXPECT_EQ(p.enforce, (LevelVersion{L::Privileged, std::nullopt}));
  EXPECT_EQ(p.warn, (LevelVersion{L::Privileged, std::nullopt}));
  // Warn follows a stricter enforce level, with its version, unless set itself.
  p = policy_from_labels({{"pod-security.kubernetes.io/enforce", "baseline"},
                          {"pod-security.kubernetes.io/enforce-version", "v1.25"}});
  EXPECT_EQ(p.enforce, (LevelVersion{L::Baseline, 25}));
  EXPECT_EQ(p.warn, (LevelVersion{L::Baseline, 25}));
  p = policy_from_labels({{"pod-security.kubernetes.io/enforce", "baseline"},
                          {"pod-security.kubernetes.io/warn", "restricted"}});
  EXPECT_EQ(p.warn, (LevelVersion{L::Restricted, std::nullopt}));
  p = policy_from_labels({{"pod-security.kubernetes.io/enforce", "bogus"}});
  EXPECT_EQ(p.enforce.level, L::Restricted);  // unparsable: fail closed
  EXPECT_EQ(p.warn.level, L::Privileged);
}

TEST(PodSecurity, NamespaceLabelsAreValidated) {
  EXPECT_FALSE(
      validate_namespace_labels("ns", {{"pod-security.kubernetes.io/enforce", "baseline"},
                                       {"pod-security.kubernetes.io/warn-version", "v1.30"}}));
  auto one = validate_namespace_labels("ns", {{"pod-security.kubernetes.io/enforce", "strict"}});
  ASSERT_TRUE(one);
  json expected =
      json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
  "message":"Namespace \"ns\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted",
  "reason":"Invalid","details":{"name":"ns","kind":"Namespace","causes":[{"reason":"FieldValueInvalid",
  "message":"Invalid value: \"strict\": must be one of privileged, baseline, restricted",
  "field":"metadata.labels[pod-security.kubernetes.io/enforce]"}]},"code":422})");
  EXPECT_EQ(one->body, expected);
  auto two =
      validate_namespace_labels("ns", {{"pod-security.kubernetes.io/enforce", "strict"},
                                       {"pod-security.kubernetes.io/enforce-version", "1.30"}});
  ASSERT_TRUE(two);
  EXPECT_EQ(two->body["message"],
            "Namespace \"ns\" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce]: "
            "Invalid value: \"strict\": must be one of privileged, baseline, restricted, "
            "metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "
            "\"1.30\": must be \"latest\" or \"v1.x\"]");
}

TEST(PodSecurity, PodAdmissionRefusesOrWarns) {
  json pod = {{"metadata", {{"name", "x"}}}, {"spec", tracer_spec()}};
  auto refused = admit_pod({{"pod-security.kubernetes.io/enforce", "baseline"}}, pod);
  ASSERT_TRUE(refused.refusal);
  EXPECT_EQ(refused.warning, "");
  EXPECT_EQ(refused.refusal->code, 403);
  json expected = json::parse(R"js({"kind":"Status","apiVersion":"v1","metadata":{},
  "status":"Failure","message":"pods \"x\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostPID=true), hostPath volumes (volumes \"host-proc\", \"host-sys\"), privileged (container \"trace-0\" must not set securityContext.privileged=true)",
  "reason":"Forbidden","details":{"name":"x","kind":"pods"},"code":403
})js");
  EXPECT_EQ(refused.refusal->body, expected);

  auto unlabelled = admit_pod(json::object(), pod);
  EXPECT_FALSE(unlabelled.refusal);
  EXPECT_EQ(unlabelled.warning, "");

  json plain = {{"metadata", {{"name", "p"}}},
                {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}};
  auto warned = admit_pod({{"pod-security.kubernetes.io/enforce", "baseline"},
                           {"pod-security.kubernetes.io/warn", "restricted"},
                           {"pod-security.kubernetes.io/warn-version", "v1.30"}},
                          plain);
  EXPECT_FALSE(warned.refusal);
  EXPECT_EQ(warned.warning,
            "would violate PodSecurity \"restricted:v1.30\": allowPrivilegeEscalation != false "
            "(container \"c\" must set securityContext.allowPrivilegeEscalation=false), "
            "unrestricted capabilities (container \"c\" must set "
            "securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or "
            "container \"c\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or "
            "container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or "
            "\"Localhost\")");
}

TEST(PodSecurity, WorkloadsOnlyWarn) {
  EXPECT_EQ(workload_warning({{"pod-security.kubernetes.io/enforce", "baseline"}}, tracer_spec()),
            "would violate PodSecurity \"baseline:latest\": host namespaces (hostPID=true), "
            "hostPath volumes (volumes \"host-proc\", \"host-sys\"), privileged (container "
            "\"trace-0\" must not set securityContext.privileged=true)");
  EXPECT_EQ(workload_warning(json::object(), tracer_spec()), "");
  // An explicit warn=privileged silences the warning of an enforce=baseline namespace.
  EXPECT_EQ(workload_warning({{"pod-security.kubernetes.io/enforce", "baseline"},
                              {"pod-security.kubernetes.io/warn", "privileged"}},
                             tracer_spec()),
            "");
}
