// SPDX-License-Identifier: Apache-2.0
// Wires ClientConfig → HttplibTransport factory + TokenSource → RestClient.
#include "kube/client_factory.h"

#include <fmt/format.h>

#include "kube/httplib_transport.h"
#include "kube/token_source.h"

namespace podtrace::plugin::kube {

Result<std::shared_ptr<RestClient>> make_rest_client(const ClientConfig& config,
                                                     const ClientTimeouts& timeouts,
                                                     bool stdin_is_terminal, RetryPolicy policy) {
  TlsSettings tls;
  tls.server = config.server;
  tls.ca_pem = config.ca_pem;
  tls.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
  tls.client_cert_pem = config.client_cert_pem;
  tls.client_key_pem = config.client_key_pem;
  tls.connect_timeout = timeouts.connect;
  tls.read_timeout = timeouts.read;

  std::shared_ptr<TokenSource> tokens;
  if (config.exec) {
    ExecClusterInfo cluster{config.server, config.ca_pem, config.insecure_skip_tls_verify,
                            config.tls_server_name};
    auto provider = std::make_shared<ExecCredentialProvider>(*config.exec, config.exec_source,
                                                             cluster, stdin_is_terminal);
    auto cred = provider->get();
    if (!cred) return cred.take_error();
    if (!cred->client_cert_pem.empty()) {
      tls.client_cert_pem = cred->client_cert_pem;
      tls.client_key_pem = cred->client_key_pem;
    }
    if (!cred->token.empty()) tokens = std::make_shared<ExecTokenSource>(provider);
  }
  if (!tokens && !config.token.empty())
    tokens = std::make_shared<StaticTokenSource>(config.token, config.token_file);

  auto factory = HttplibTransport::make_factory(tls);
  if (!factory)
    return make_error(fmt::format("context \"{}\": {}", config.context, factory.error()));
  return std::make_shared<RestClient>(std::move(*factory), tokens, policy);
}

}  // namespace podtrace::plugin::kube
