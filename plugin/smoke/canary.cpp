// SPDX-License-Identifier: Apache-2.0
#include "smoke/canary.h"

#include <fmt/format.h>

#include <regex>
#include <thread>

#include "kube/api_paths.h"
#include "kube/json_access.h"
#include "session/job_pod.h"

namespace podtrace::plugin {

using json = nlohmann::json;

json canary_pod_manifest(const CanarySpec& s) {
  const CanaryWorkload& w = s.workload;
  json container = {
      {"name", "canary"},
      {"image", s.image},
      {"command",
       {"/usr/bin/podtrace-canary", "--writes", std::to_string(w.writes), "--lookups",
        std::to_string(w.lookups), "--name", w.dns_name, "--file", w.file}},
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"runAsNonRoot", true},
        {"runAsUser", 65534},
        {"runAsGroup", 65534},
        {"capabilities", {{"drop", {"ALL"}}}},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      {"resources",
       {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}, {"limits", {{"memory", "64Mi"}}}}}};
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", s.name},
            {"namespace", s.namespace_},
            {"labels",
             {{"app.kubernetes.io/name", "podtrace-canary"},
              {"app.kubernetes.io/managed-by", "kubectl-podtrace"}}}}},
          {"spec",
           {{"restartPolicy", "Never"},
            {"activeDeadlineSeconds", 600},
            {"terminationGracePeriodSeconds", 1},
            {"automountServiceAccountToken", false},
            {"containers", {container}}}}};
}

std::optional<CanaryDone> parse_canary_log(const std::string& log) {
  static const std::regex done(
      "podtrace-canary: done: traced=(yes|no) writes=(\\d+) fsyncs=\\d+ bytes=\\d+ file=\\S+ "
      "lookups=(\\d+) resolved=(\\d+)");
  std::smatch m;
  if (!std::regex_search(log, m, done)) return std::nullopt;
  return CanaryDone{m[1] == "yes", std::stoi(m[2]), std::stoi(m[3]), std::stoi(m[4])};
}

Result<std::string> wait_for_canary(kube::RestClient& client, const CanarySpec& spec,
                                    std::chrono::milliseconds timeout,
                                    const std::function<bool()>& should_stop) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last = "not created yet";
  while (!should_stop()) {
    auto pod = client.get(kube::pod_path(spec.namespace_, spec.name),
                          {"get", "pods", "", spec.namespace_, spec.name});
    if (!pod) return pod.take_error();
    // The Job pod's rules apply as they are: the canary runs the tracer image.
    JobPodState state = evaluate_job_pods(json{{"items", json::array({*pod})}}, spec.name);
    if (state.kind == JobPodState::Kind::failed) return make_error(state.message);
    if (state.kind == JobPodState::Kind::ready) {
      const json* st = member(*pod, "status");
      if (st && get_text(*st, "phase") != "Running")
        return make_error(fmt::format("the canary pod ended before it was traced (phase {})",
                                      get_text(*st, "phase")));
      const json* podspec = member(*pod, "spec");
      return podspec ? get_text(*podspec, "nodeName") : std::string();
    }
    last = state.message;
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(
          fmt::format("the canary pod did not start within {} s ({})",
                      std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), last));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return make_error("interrupted");
}

Result<std::string> read_canary_log(kube::RestClient& client, const CanarySpec& spec) {
  auto transport = client.new_transport();
  std::string log;
  auto outcome = client.stream(
      *transport, kube::pod_log_path(spec.namespace_, spec.name, "canary", false),
      {"get", "pods/log", "", spec.namespace_, spec.name}, [&](std::string_view data) {
        // One line is all we need; bounded so a chatty pod cannot grow us.
        if (log.size() < 64 * 1024) log.append(data);
        return true;
      });
  if (outcome.kind != kube::StreamOutcome::Kind::ended) return make_error(outcome.message);
  return log;
}

}  // namespace podtrace::plugin
