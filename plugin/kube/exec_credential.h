// SPDX-License-Identifier: Apache-2.0
// client-go exec credential plugins (client.authentication.k8s.io/v1 and v1beta1).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "kube/kubeconfig.h"
#include "result.h"

namespace podtrace::plugin::kube {

struct ExecCredential {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiry;
};

// The ExecCredential.spec.cluster object, sent when provideClusterInfo is true.
struct ExecClusterInfo {
  std::string server;
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
};

// Parses the plugin's stdout; `api_version` is the version that was requested.
Result<ExecCredential> parse_exec_credential(const std::string& output,
                                             const std::string& api_version);

// Parses an RFC 3339 timestamp ("2024-05-01T10:00:00Z", fractions and offsets allowed).
Result<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text);

// Runs the plugin when needed and caches its answer until expirationTimestamp.
class ExecCredentialProvider {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  ExecCredentialProvider(ExecConfig config, std::string source, ExecClusterInfo cluster,
                         bool stdin_is_terminal, Clock clock = std::chrono::system_clock::now);

  // Cached credential, or a fresh run when none is cached, it expired, or `force_refresh`.
  Result<ExecCredential> get(bool force_refresh = false);

  int runs() const { return runs_; }

 private:
  Result<ExecCredential> run();

  ExecConfig config_;
  std::string source_;
  ExecClusterInfo cluster_;
  bool stdin_is_terminal_;
  Clock clock_;
  std::mutex mutex_;
  std::optional<ExecCredential> cached_;
  int runs_ = 0;
};

}  // namespace podtrace::plugin::kube
