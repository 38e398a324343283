// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a kubeconfig file (YAML, from the user's disk or $KUBECONFIG) through the parser,
// kubectl's merge rules and the YAML-to-JSON conversion.
#include "fuzz_support.h"
#include "kube/kubeconfig.h"
#include "util/yaml_json.h"

using namespace podtrace::plugin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(podtrace::fuzz::as_text(data, size));
  auto parsed = kube::parse_kubeconfig(text, "/home/user/.kube/config");
  if (parsed) {
    // A second file defines nothing new: merging must keep the first file's entries.
    kube::KubeConfig merged = *parsed;
    kube::merge_kubeconfig(merged, *parsed);
    FUZZ_CHECK(merged.clusters.size() == parsed->clusters.size());
    FUZZ_CHECK(merged.users.size() == parsed->users.size());
    FUZZ_CHECK(merged.contexts.size() == parsed->contexts.size());
    for (const auto& [name, cluster] : parsed->clusters)
      if (!cluster.certificate_authority.empty())
        FUZZ_CHECK(cluster.certificate_authority[0] == '/');  // made absolute
  }
  (void)yaml_to_json(text);
  return 0;
}
