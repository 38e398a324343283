// SPDX-License-Identifier: Apache-2.0
// Fuzz target: what an exec credential plugin (aws, gke-gcloud-auth-plugin, ...) writes on
// stdout, for both API versions, and the RFC 3339 expiry parser.
#include "fuzz_support.h"
#include "kube/exec_credential.h"

using namespace podtrace::plugin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(podtrace::fuzz::as_text(data, size));
  for (const char* version :
       {"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"}) {
    auto credential = kube::parse_exec_credential(text, version);
    // A credential without a token must carry a client certificate and key.
    if (credential && credential->token.empty())
      FUZZ_CHECK(!credential->client_cert_pem.empty() && !credential->client_key_pem.empty());
  }
  (void)kube::parse_rfc3339(text);
  return 0;
}
