// SPDX-License-Identifier: Apache-2.0
// Everything needed to talk to one API server: endpoint, trust, credentials, namespace.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "kube/kubeconfig.h"
#include "result.h"

namespace podtrace::plugin::kube {

struct ClientConfig {
  std::string server;  // https://host:port[/prefix]
  std::string ca_pem;  // trusted CAs, PEM; empty: system trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;
  std::string token_file;  // re-read when the server says 401
  std::optional<ExecConfig> exec;
  std::string exec_source;  // kubeconfig that declared `exec`, for messages
  std::string namespace_;   // context namespace (or in-cluster namespace); may be empty
  std::string context;      // context name, or "in-cluster"
  std::string user;         // user name, for messages
};

// Picks the context (`context_override` or current-context) and reads every file it names.
// Errors name the kubeconfig file and the field.
Result<ClientConfig> resolve_client_config(const KubeConfig& config,
                                           const std::string& context_override);

// In-cluster service-account configuration. `sa_dir` defaults to
// /var/run/secrets/kubernetes.io/serviceaccount; tests point it at a fixture.
struct InClusterEnv {
  std::string service_host;  // $KUBERNETES_SERVICE_HOST
  std::string service_port;  // $KUBERNETES_SERVICE_PORT
  std::string sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

bool in_cluster_available(const InClusterEnv& env);
Result<ClientConfig> in_cluster_config(const InClusterEnv& env);

// The whole kubectl decision: kubeconfig files if any, else in-cluster, else an error.
struct ConfigRequest {
  KubeconfigSources sources;
  InClusterEnv in_cluster;
  std::string context_override;
};
Result<ClientConfig> load_client_config(const ConfigRequest& request);

// Reads a whole file; the error is "<path>: <strerror>".
Result<std::string> read_file(const std::string& path);

}  // namespace podtrace::plugin::kube
