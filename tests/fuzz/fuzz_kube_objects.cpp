// SPDX-License-Identifier: Apache-2.0
// Fuzz target: Kubernetes objects as the API server (or anything pretending to be one) sends
// them: a Pod, a PodList for the tracer Job, an EventList. The input is JSON; its first byte
// picks the decoder so one corpus covers all of them.
#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "kube/pods.h"
#include "session/job_pod.h"

using namespace podtrace::plugin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto doc =
      nlohmann::json::parse(podtrace::fuzz::as_text(data + 1, size - 1), nullptr, false);
  if (doc.is_discarded()) return 0;
  switch (data[0] % 3) {
    case 0: {
      auto pod = kube::parse_pod(doc);
      if (!pod) break;
      for (const char* container : {"", "app", "sidecar"}) {
        auto chosen = kube::select_containers(*pod, container);
        if (!chosen) continue;
        FUZZ_CHECK(!chosen->containers.empty());
        for (const auto& c : chosen->containers) FUZZ_CHECK(!c.id.empty());
      }
      break;
    }
    case 1: {
      const auto state = evaluate_job_pods(doc, "podtrace-abc12");
      if (state.kind == JobPodState::Kind::ready) FUZZ_CHECK(!state.pod.empty());
      break;
    }
    default:
      (void)job_create_failure(doc);
  }
  return 0;
}
