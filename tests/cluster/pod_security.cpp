// SPDX-License-Identifier: Apache-2.0
// The checks and wording of k8s.io/pod-security-admission/policy (check_*.go) over pod JSON.
// Implemented: baseline capabilities, hostNamespaces, hostPathVolumes, hostPorts, privileged,
// seccompProfile; restricted allowPrivilegeEscalation, capabilities, restrictedVolumes,
// runAsNonRoot, runAsUser, seccompProfile. Not implemented (a pod that leaves those fields
// unset passes them anyway): appArmorProfile, procMount, seLinuxOptions, sysctls,
// windowsHostProcess, the pre-1.19 seccomp annotations and the Windows-pod exemptions.
#include "pod_security.h"

#include <algorithm>
#include <functional>
#include <set>

namespace podtrace::cluster {

using nlohmann::json;

namespace {

const char* enforce_label = "pod-security.kubernetes.io/enforce";
const char* enforce_version_label = "pod-security.kubernetes.io/enforce-version";
const char* warn_label = "pod-security.kubernetes.io/warn";
const char* warn_version_label = "pod-security.kubernetes.io/warn-version";

// policy/helpers.go
std::string join_quote(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "\"" : ", \"") + item + "\"";
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

const char* pluralize(const char* singular, const char* plural, size_t count) {
  return count == 1 ? singular : plural;
}

// sets.NewString(...).List(): unique and sorted.
std::vector<std::string> sorted(const std::set<std::string>& set) {
  return {set.begin(), set.end()};
}

std::optional<PodSecurityLevel> parse_level(const json& value) {
  if (!value.is_string()) return std::nullopt;
  std::string v = value.get<std::string>();
  if (v == "privileged") return PodSecurityLevel::Privileged;
  if (v == "baseline") return PodSecurityLevel::Baseline;
  if (v == "restricted") return PodSecurityLevel::Restricted;
  return std::nullopt;
}

struct ParsedVersion {
  std::optional<int> minor;  // nullopt: "latest"
};

// "latest" or "v1.N" (regexp ^v1\.([0-9]|[1-9][0-9]*)$); nullopt when malformed.
std::optional<ParsedVersion> parse_version(const json& value) {
  if (!value.is_string()) return std::nullopt;
  std::string v = value.get<std::string>();
  if (v == "latest") return ParsedVersion{};
  if (v.size() < 4 || v.size() > 12 || v.compare(0, 3, "v1.") != 0) return std::nullopt;
  std::string digits = v.substr(3);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  for (char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  return ParsedVersion{std::stoi(digits)};
}

// Whether policy version `minor` (nullopt: latest) includes a check added in v1.<wanted>.
bool version_at_least(const std::optional<int>& minor, int wanted) {
  return !minor || *minor >= wanted;
}

void each_container(const json& spec, const std::function<void(const json&)>& visit) {
  // visitor.go order: init containers, containers, ephemeral containers.
  for (const char* list : {"initContainers", "containers", "ephemeralContainers"})
    if (spec.contains(list) && spec[list].is_array())
      for (const auto& c : spec[list]) visit(c);
}

const json& security_context(const json& container) {
  static const json empty = json::object();
  auto it = container.find("securityContext");
  return it != container.end() && it->is_object() ? *it : empty;
}

std::vector<std::string> capabilities(const json& sc, const char* which) {
  std::vector<std::string> out;
  if (!sc.contains("capabilities") || !sc["capabilities"].is_object()) return out;
  for (const auto& c : sc["capabilities"].value(which, json::array()))
    if (c.is_string()) out.push_back(c.get<std::string>());
  return out;
}

bool valid_seccomp(const std::string& type) {
  return type == "RuntimeDefault" || type == "Localhost";
}

using CheckFn = std::function<std::optional<CheckFailure>(const json& spec)>;

std::optional<CheckFailure> capabilities_baseline(const json& spec) {
  static const std::set<std::string> allowed = {
      "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",      "MKNOD",
      "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT"};
  std::vector<std::string> bad;
  std::set<std::string> caps;
  each_container(spec, [&](const json& c) {
    bool valid = true;
    for (const auto& cap : capabilities(security_context(c), "add"))
      if (!allowed.count(cap)) {
        valid = false;
        caps.insert(cap);
      }
    if (!valid) bad.push_back(c.value("name", ""));
  });
  if (bad.empty()) return std::nullopt;
  return CheckFailure{"non-default capabilities",
                      std::string(pluralize("container", "containers", bad.size())) + " " +
                          join_quote(bad) + " must not include " + join_quote(sorted(caps)) +
                          " in securityContext.capabilities.add"};
}

std::optional<CheckFailure> host_namespaces(const json& spec) {
  std::vector<std::string> set;
  for (const char* field : {"hostNetwork", "hostPID", "hostIPC"})
    if (spec.value(field, false)) set.push_back(std::string(field) + "=true");
  if (set.empty()) return std::nullopt;
  return CheckFailure{"host namespaces", join(set, ", ")};
}

std::optional<CheckFailure> host_path_volumes(const json& spec) {
  std::vector<std::string> bad;
  for (const auto& v : spec.value("volumes", json::array()))
    if (v.contains("hostPath") && !v["hostPath"].is_null()) bad.push_back(v.value("name", ""));
  if (bad.empty()) return std::nullopt;
  return CheckFailure{"hostPath volumes", std::string(pluralize("volume", "volumes", bad.size())) +
                                              " " + join_quote(bad)};
}

std::optional<CheckFailure> host_ports(const json& spec) {
  std::vector<std::string> bad;
  std::set<std::string> ports;  // compared as strings, like sets.String
  each_container(spec, [&](const json& c) {
    bool valid = true;
    for (const auto& p : c.value("ports", json::array()))
      if (p.value("hostPort", 0) != 0) {
        valid = false;
        ports.insert(std::to_string(p.value("hostPort", 0)));
      }
    if (!valid) bad.push_back(c.value("name", ""));
  });
  if (bad.empty()) return std::nullopt;
  return CheckFailure{"hostPort", std::string(pluralize("container", "containers", bad.size())) +
                                      " " + join_quote(bad) + " " +
                                      pluralize("uses", "use", bad.size()) + " " +
                                      pluralize("hostPort", "hostPorts", ports.size()) + " " +
                                      join(sorted(ports), ", ")};
}

std::optional<CheckFailure> privileged(const json& spec) {
  std::vector<std::string> bad;
  each_container(spec, [&](const json& c) {
    if (security_context(c).value("privileged", false)) bad.push_back(c.value("name", ""));
  });
  if (bad.empty()) return std::nullopt;
  return CheckFailure{"privileged", std::string(pluralize("container", "containers", bad.size())) +
                                        " " + join_quote(bad) +
                                        " must not set securityContext.privileged=true"};
}

// seccompProfile_baseline (1.19+) and _restricted share the scan; restricted also requires a
// profile on every container not covered by a valid pod-level one.
std::optional<CheckFailure> seccomp(const json& spec, bool restricted) {
  std::vector<std::string> setters;
  std::set<std::string> bad_values;
  bool pod_set = false;
  const json& pod_sc = spec.value("securityContext", json::object());
  if (pod_sc.contains("seccompProfile") && pod_sc["seccompProfile"].is_object()) {
    std::string type = pod_sc["seccompProfile"].value("type", "");
    if (!valid_seccomp(type)) {
      setters.push_back("pod");
      bad_values.insert(type);
    } else {
      pod_set = true;
    }
  }
  std::vector<std::string> explicitly_bad, implicitly_bad;
  each_container(spec, [&](const json& c) {
    const json& sc = security_context(c);
    if (sc.contains("seccompProfile") && sc["seccompProfile"].is_object()) {
      std::string type = sc["seccompProfile"].value("type", "");
      if (!valid_seccomp(type)) {
        explicitly_bad.push_back(c.value("name", ""));
        bad_values.insert(type);
      }
    } else if (!pod_set) {
      implicitly_bad.push_back(c.value("name", ""));
    }
  });
  if (!explicitly_bad.empty())
    setters.push_back(std::string(pluralize("container", "containers", explicitly_bad.size())) +
                      " " + join_quote(explicitly_bad));
  if (!setters.empty())
    return CheckFailure{"seccompProfile", join(setters, " and ") +
                                              " must not set securityContext.seccompProfile.type "
                                              "to " +
                                              join_quote(sorted(bad_values))};
  if (restricted && !implicitly_bad.empty())
    return CheckFailure{
        "seccompProfile",
        std::string("pod or ") + pluralize("container", "containers", implicitly_bad.size()) + " " +
            join_quote(implicitly_bad) +
            " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\""};
  return std::nullopt;
}

std::optional<CheckFailure> allow_privilege_escalation(const json& spec) {
  std::vector<std::string> bad;
  each_container(spec, [&](const json& c) {
    const json& sc = security_context(c);
    auto it = sc.find("allowPrivilegeEscalation");
    if (it == sc.end() || !it->is_boolean() || it->get<bool>()) bad.push_back(c.value("name", ""));
  });
  if (bad.empty()) return std::nullopt;
  return CheckFailure{"allowPrivilegeEscalation != false",
                      std::string(pluralize("container", "containers", bad.size())) + " " +
                          join_quote(bad) +
                          " must set securityContext.allowPrivilegeEscalation=false"};
}

std::optional<CheckFailure> capabilities_restricted(const json& spec) {
  std::vector<std::string> missing_drop_all, adding;
  std::set<std::string> forbidden;
  each_container(spec, [&](const json& c) {
    const json& sc = security_context(c);
    if (!sc.contains("capabilities") || !sc["capabilities"].is_object()) {
      missing_drop_all.push_back(c.value("name", ""));
      return;
    }
    auto drop = capabilities(sc, "drop");
    if (std::find(drop.begin(), drop.end(), "ALL") == drop.end())
      missing_drop_all.push_back(c.value("name", ""));
    bool added_forbidden = false;
    for (const auto& cap : capabilities(sc, "add"))
      if (cap != "NET_BIND_SERVICE") {
        added_forbidden = true;
        forbidden.insert(cap);
      }
    if (added_forbidden) adding.push_back(c.value("name", ""));
  });
  std::vector<std::string> details;
  if (!missing_drop_all.empty())
    details.push_back(std::string(pluralize("container", "containers", missing_drop_all.size())) +
                      " " + join_quote(missing_drop_all) +
                      " must set securityContext.capabilities.drop=[\"ALL\"]");
  if (!adding.empty())
    details.push_back(std::string(pluralize("container", "containers", adding.size())) + " " +
                      join_quote(adding) + " must not include " + join_quote(sorted(forbidden)) +
                      " in securityContext.capabilities.add");
  if (details.empty()) return std::nullopt;
  return CheckFailure{"unrestricted capabilities", join(details, "; ")};
}

std::optional<CheckFailure> restricted_volumes(const json& spec) {
  static const std::set<std::string> allowed = {
      "configMap", "csi",   "downwardAPI",           "emptyDir",
      "ephemeral", "image", "persistentVolumeClaim", "projected",
      "secret"};
  static const std::set<std::string> known_bad = {"hostPath",
                                                  "gcePersistentDisk",
                                                  "awsElasticBlockStore",
                                                  "gitRepo",
                                                  "nfs",
                                                  "iscsi",
                                                  "glusterfs",
                                                  "rbd",
                                                  "flexVolume",
                                                  "cinder",
                                                  "cephfs",
                                                  "flocker",
                                                  "fc",
                                                  "azureFile",
                                                  "vsphereVolume",
                                                  "quobyte",
                                                  "azureDisk",
                                                  "portworxVolume",
                                                  "photonPersistentDisk",
                                                  "scaleIO",
                                                  "storageos"};
  std::vector<std::string> bad;
  std::set<std::string> types;
  for (const auto& v : spec.value("volumes", json::array())) {
    std::string type;
    bool any_source = false, ok = false;
    for (const auto& [key, value] : v.items()) {
      if (key == "name" || value.is_null()) continue;
      any_source = true;
      if (allowed.count(key))
        ok = true;
      else if (known_bad.count(key) && type.empty())
        type = key;
    }
    // A volume without a source is defaulted to emptyDir by the API server.
    if (ok || !any_source) continue;
    bad.push_back(v.value("name", ""));
    types.insert(type.empty() ? "unknown" : type);
  }
  if (bad.empty()) return std::nullopt;
  return CheckFailure{
      "restricted volume types",
      std::string(pluralize("volume", "volumes", bad.size())) + " " + join_quote(bad) + " " +
          pluralize("uses", "use", bad.size()) + " " +
          pluralize("restricted volume type", "restricted volume types", types.size()) + " " +
          join_quote(sorted(types))};
}

std::optional<CheckFailure> run_as_non_root(const json& spec) {
  std::vector<std::string> setters;
  bool pod_non_root = false;
  const json& pod_sc = spec.value("securityContext", json::object());
  if (pod_sc.contains("runAsNonRoot") && pod_sc["runAsNonRoot"].is_boolean()) {
    if (!pod_sc["runAsNonRoot"].get<bool>())
      setters.push_back("pod");
    else
      pod_non_root = true;
  }
  std::vector<std::string> explicitly_bad, implicitly_bad;
  each_container(spec, [&](const json& c) {
    const json& sc = security_context(c);
    if (sc.contains("runAsNonRoot") && sc["runAsNonRoot"].is_boolean()) {
      if (!sc["runAsNonRoot"].get<bool>()) explicitly_bad.push_back(c.value("name", ""));
    } else if (!pod_non_root) {
      implicitly_bad.push_back(c.value("name", ""));
    }
  });
  if (!explicitly_bad.empty())
    setters.push_back(std::string(pluralize("container", "containers", explicitly_bad.size())) +
                      " " + join_quote(explicitly_bad));
  if (!setters.empty())
    return CheckFailure{
        "runAsNonRoot != true",
        join(setters, " and ") + " must not set securityContext.runAsNonRoot=false"};
  if (!implicitly_bad.empty())
    return CheckFailure{
        "runAsNonRoot != true",
        std::string("pod or ") + pluralize("container", "containers", implicitly_bad.size()) + " " +
            join_quote(implicitly_bad) + " must set securityContext.runAsNonRoot=true"};
  return std::nullopt;
}

std::optional<CheckFailure> run_as_user(const json& spec) {
  auto is_root = [](const json& sc) {
    return sc.contains("runAsUser") && sc["runAsUser"].is_number_integer() &&
           sc["runAsUser"].get<long long>() == 0;
  };
  std::vector<std::string> setters, bad;
  if (is_root(spec.value("securityContext", json::object()))) setters.push_back("pod");
  each_container(spec, [&](const json& c) {
    if (is_root(security_context(c))) bad.push_back(c.value("name", ""));
  });
  if (!bad.empty())
    setters.push_back(std::string(pluralize("container", "containers", bad.size())) + " " +
                      join_quote(bad));
  if (setters.empty()) return std::nullopt;
  return CheckFailure{"runAsUser=0", join(setters, " and ") + " must not set runAsUser=0"};
}

struct Check {
  const char* id;
  PodSecurityLevel level;
  int min_minor;              // first policy version v1.<min_minor> the check applies to
  const char* superseded_by;  // restricted check that replaces this baseline one, or nullptr
  CheckFn run;
};

// Baseline checks sorted by ID, then restricted ones sorted by ID (registry.go orderedIDs).
const std::vector<Check>& checks() {
  using L = PodSecurityLevel;
  static const std::vector<Check> all = {
      {"capabilities_baseline", L::Baseline, 0, "capabilities_restricted", capabilities_baseline},
      {"hostNamespaces", L::Baseline, 0, nullptr, host_namespaces},
      {"hostPathVolumes", L::Baseline, 0, "restrictedVolumes", host_path_volumes},
      {"hostPorts", L::Baseline, 0, nullptr, host_ports},
      {"privileged", L::Baseline, 0, nullptr, privileged},
      {"seccompProfile_baseline", L::Baseline, 19, "seccompProfile_restricted",
       [](const json& s) { return seccomp(s, false); }},
      {"allowPrivilegeEscalation", L::Restricted, 8, nullptr, allow_privilege_escalation},
      {"capabilities_restricted", L::Restricted, 22, nullptr, capabilities_restricted},
      {"restrictedVolumes", L::Restricted, 0, nullptr, restricted_volumes},
      {"runAsNonRoot", L::Restricted, 0, nullptr, run_as_non_root},
      {"runAsUser", L::Restricted, 23, nullptr, run_as_user},
      {"seccompProfile_restricted", L::Restricted, 19, nullptr,
       [](const json& s) { return seccomp(s, true); }},
  };
  return all;
}

bool applies(const Check& check, const LevelVersion& lv) {
  if (lv.level == PodSecurityLevel::Privileged) return false;
  if (check.level == PodSecurityLevel::Restricted && lv.level != PodSecurityLevel::Restricted)
    return false;
  if (!version_at_least(lv.minor, check.min_minor)) return false;
  // An override only takes effect where the overriding check itself applies.
  if (check.superseded_by && lv.level == PodSecurityLevel::Restricted)
    for (const auto& other : checks())
      if (std::string(other.id) == check.superseded_by &&
          version_at_least(lv.minor, other.min_minor))
        return false;
  return true;
}

json labels_object(const json& labels) { return labels.is_object() ? labels : json::object(); }

}  // namespace

std::string LevelVersion::str() const {
  const char* name = level == PodSecurityLevel::Privileged ? "privileged"
                     : level == PodSecurityLevel::Baseline ? "baseline"
                                                           : "restricted";
  return std::string(name) + ":" + (minor ? "v1." + std::to_string(*minor) : "latest");
}

PodSecurityPolicy policy_from_labels(const json& raw) {
  json labels = labels_object(raw);
  PodSecurityPolicy p;
  // api.PolicyToEvaluate: a value that does not parse means restricted for enforce, privileged
  // for warn (fail open) and latest for versions.
  bool has_enforce = false;
  if (labels.contains(enforce_label)) {
    auto level = parse_level(labels[enforce_label]);
    p.enforce.level = level.value_or(PodSecurityLevel::Restricted);
    has_enforce = level.has_value();
  }
  if (labels.contains(enforce_version_label))
    p.enforce.minor = parse_version(labels[enforce_version_label]).value_or(ParsedVersion{}).minor;
  bool has_warn = labels.contains(warn_label);
  if (has_warn)
    p.warn.level = parse_level(labels[warn_label]).value_or(PodSecurityLevel::Privileged);
  bool has_warn_version = labels.contains(warn_version_label);
  if (has_warn_version)
    p.warn.minor = parse_version(labels[warn_version_label]).value_or(ParsedVersion{}).minor;
  // api.PolicyToEvaluate (1.26+): an unset warn level follows a stricter enforce level, and
  // then its version follows too unless warn-version is set.
  if (!has_warn && has_enforce && p.enforce.level > p.warn.level) {
    p.warn.level = p.enforce.level;
    if (!has_warn_version) p.warn.minor = p.enforce.minor;
  }
  return p;
}

std::optional<ApiReply> validate_namespace_labels(const std::string& name, const json& raw) {
  json labels = labels_object(raw);
  json causes = json::array();
  std::vector<std::string> messages;
  auto check = [&](const char* label, bool level) {
    if (!labels.contains(label)) return;
    const json& value = labels[label];
    bool ok = level ? parse_level(value).has_value() : parse_version(value).has_value();
    if (ok) return;
    std::string body = "Invalid value: \"" +
                       (value.is_string() ? value.get<std::string>() : value.dump()) + "\": " +
                       (level ? "must be one of privileged, baseline, restricted"
                              : "must be \"latest\" or \"v1.x\"");
    std::string field = std::string("metadata.labels[") + label + "]";
    causes.push_back({{"reason", "FieldValueInvalid"}, {"message", body}, {"field", field}});
    messages.push_back(field + ": " + body);
  };
  check(enforce_label, true);
  check(enforce_version_label, false);
  check("pod-security.kubernetes.io/audit", true);
  check("pod-security.kubernetes.io/audit-version", false);
  check(warn_label, true);
  check(warn_version_label, false);
  if (messages.empty()) return std::nullopt;
  // errors.NewInvalid: one error is quoted as is, several as an aggregate "[a, b]".
  std::string all = messages.size() == 1 ? messages[0] : "[" + join(messages, ", ") + "]";
  return status_failure(422, "Invalid", "Namespace \"" + name + "\" is invalid: " + all,
                        {{"name", name}, {"kind", "Namespace"}, {"causes", causes}});
}

std::vector<CheckFailure> evaluate_pod(const LevelVersion& lv, const json& pod_spec) {
  std::vector<CheckFailure> failures;
  const json spec = pod_spec.is_object() ? pod_spec : json::object();
  for (const auto& check : checks())
    if (applies(check, lv))
      if (auto failure = check.run(spec)) failures.push_back(std::move(*failure));
  return failures;
}

std::string forbidden_detail(const std::vector<CheckFailure>& failures) {
  std::string out;
  for (size_t i = 0; i < failures.size(); ++i) {
    out += (i ? ", " : "") + failures[i].reason;
    if (!failures[i].detail.empty()) out += " (" + failures[i].detail + ")";
  }
  return out;
}

PodAdmission admit_pod(const json& namespace_labels, const json& pod) {
  PodAdmission out;
  PodSecurityPolicy policy = policy_from_labels(namespace_labels);
  const json& spec = pod.value("spec", json::object());
  auto enforced = evaluate_pod(policy.enforce, spec);
  if (!enforced.empty()) {
    std::string name = pod.value("metadata", json::object()).value("name", "");
    // admission.go forbiddenResponse: errors.NewForbidden(pods, name, ...).
    out.refusal = status_failure(403, "Forbidden",
                                 "pods \"" + name + "\" is forbidden: violates PodSecurity \"" +
                                     policy.enforce.str() + "\": " + forbidden_detail(enforced),
                                 {{"name", name}, {"kind", "pods"}});
    return out;  // a request that is refused gets no warnings
  }
  auto warned = evaluate_pod(policy.warn, spec);
  if (!warned.empty())
    out.warning =
        "would violate PodSecurity \"" + policy.warn.str() + "\": " + forbidden_detail(warned);
  return out;
}

std::string workload_warning(const json& namespace_labels, const json& pod_template_spec) {
  PodSecurityPolicy policy = policy_from_labels(namespace_labels);
  auto warned = evaluate_pod(policy.warn, pod_template_spec);
  if (warned.empty()) return "";
  return "would violate PodSecurity \"" + policy.warn.str() + "\": " + forbidden_detail(warned);
}

}  // namespace podtrace::cluster
