// SPDX-License-Identifier: Apache-2.0
// Turns a kubeconfig context (or the in-cluster service account) into a ClientConfig.
#include "kube/client_config.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "terminal_safe.h"
#include "util/base64.h"

namespace podtrace::plugin::kube {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// Reads `<field>` from `path` or decodes `<field>-data`; the error names file and field.
Result<std::string> file_or_data(const std::string& prefix, const char* field,
                                 const std::string& path, const std::string& data) {
  if (!data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) return make_error(fmt::format("{}: {}-data: {}", prefix, field, decoded.error()));
    return decoded;
  }
  if (path.empty()) return std::string();
  auto contents = read_file(path);
  if (!contents)
    return make_error(fmt::format("{}: {} \"{}\": {}", prefix, field, path, contents.error()));
  return contents;
}

std::string trim_space(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) i++;
  return s.substr(i);
}

}  // namespace

Result<ClientConfig> resolve_client_config(const KubeConfig& config,
                                           const std::string& context_override) {
  std::string files;
  for (const auto& f : config.files) files += (files.empty() ? "" : ":") + f;

  std::string context_name = context_override.empty() ? config.current_context : context_override;
  if (context_name.empty())
    return make_error(
        fmt::format("kubeconfig {}: no current-context is set; use --context", files));
  auto ctx_it = config.contexts.find(context_name);
  if (ctx_it == config.contexts.end()) {
    if (context_override.empty())
      return make_error(
          fmt::format("kubeconfig {}: current-context \"{}\" is not defined in contexts",
                      config.current_context_source, sanitize_for_terminal(context_name)));
    return make_error(fmt::format("kubeconfig {}: context \"{}\" not found", files,
                                  sanitize_for_terminal(context_name)));
  }
  const Context& ctx = ctx_it->second;
  std::string ctx_prefix =
      fmt::format("kubeconfig {}: context \"{}\"", ctx.source, sanitize_for_terminal(context_name));
  if (ctx.cluster.empty()) return make_error(ctx_prefix + ": missing field \"cluster\"");

  auto cl_it = config.clusters.find(ctx.cluster);
  if (cl_it == config.clusters.end())
    return make_error(fmt::format("{}: cluster \"{}\" not found", ctx_prefix,
                                  sanitize_for_terminal(ctx.cluster)));
  const Cluster& cluster = cl_it->second;
  std::string cl_prefix = fmt::format("kubeconfig {}: cluster \"{}\"", cluster.source,
                                      sanitize_for_terminal(ctx.cluster));

  ClientConfig out;
  out.context = context_name;
  out.namespace_ = ctx.namespace_;
  out.server = cluster.server;
  if (out.server.empty()) return make_error(cl_prefix + ": missing field \"server\"");
  if (out.server.rfind("https://", 0) != 0 && out.server.rfind("http://", 0) != 0)
    return make_error(fmt::format("{}: server \"{}\": must start with https://", cl_prefix,
                                  sanitize_for_terminal(out.server)));
  out.insecure_skip_tls_verify = cluster.insecure_skip_tls_verify;
  out.tls_server_name = cluster.tls_server_name;
  auto ca = file_or_data(cl_prefix, "certificate-authority", cluster.certificate_authority,
                         cluster.certificate_authority_data);
  if (!ca) return ca.take_error();
  out.ca_pem = std::move(*ca);

  if (ctx.user.empty()) return out;  // anonymous
  auto user_it = config.users.find(ctx.user);
  if (user_it == config.users.end())
    return make_error(
        fmt::format("{}: user \"{}\" not found", ctx_prefix, sanitize_for_terminal(ctx.user)));
  const AuthInfo& user = user_it->second;
  out.user = ctx.user;
  std::string user_prefix =
      fmt::format("kubeconfig {}: user \"{}\"", user.source, sanitize_for_terminal(ctx.user));

  auto cert = file_or_data(user_prefix, "client-certificate", user.client_certificate,
                           user.client_certificate_data);
  if (!cert) return cert.take_error();
  auto key = file_or_data(user_prefix, "client-key", user.client_key, user.client_key_data);
  if (!key) return key.take_error();
  if (cert->empty() != key->empty())
    return make_error(fmt::format("{}: {} is set but {} is missing", user_prefix,
                                  cert->empty() ? "client-key" : "client-certificate",
                                  cert->empty() ? "client-certificate" : "client-key"));
  out.client_cert_pem = std::move(*cert);
  out.client_key_pem = std::move(*key);

  out.token = user.token;
  if (out.token.empty() && !user.token_file.empty()) {
    auto token = read_file(user.token_file);
    if (!token)
      return make_error(
          fmt::format("{}: tokenFile \"{}\": {}", user_prefix, user.token_file, token.error()));
    out.token = trim_space(*token);
    out.token_file = user.token_file;
  }
  out.exec = user.exec;
  out.exec_source = user.source;
  if (out.exec) {
    const std::string& v = out.exec->api_version;
    if (v != "client.authentication.k8s.io/v1" && v != "client.authentication.k8s.io/v1beta1")
      return make_error(
          fmt::format("{}: exec: apiVersion \"{}\" is not supported "
                      "(use client.authentication.k8s.io/v1 or v1beta1)",
                      user_prefix, sanitize_for_terminal(v)));
  }
  if (user.has_auth_provider && out.token.empty() && !out.exec && out.client_cert_pem.empty())
    return make_error(fmt::format(
        "{}: auth-provider is not supported; use an exec credential plugin", user_prefix));
  if (user.has_basic_auth && out.token.empty() && !out.exec && out.client_cert_pem.empty())
    return make_error(
        fmt::format("{}: username/password authentication is not supported", user_prefix));
  return out;
}

bool in_cluster_available(const InClusterEnv& env) {
  return !env.service_host.empty() && !env.service_port.empty();
}

Result<ClientConfig> in_cluster_config(const InClusterEnv& env) {
  if (!in_cluster_available(env))
    return make_error(
        "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  ClientConfig out;
  out.context = "in-cluster";
  std::string host = env.service_host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6 literal
  out.server = fmt::format("https://{}:{}", host, env.service_port);
  std::string token_path = env.sa_dir + "/token";
  auto token = read_file(token_path);
  if (!token)
    return make_error(
        fmt::format("in-cluster config: token \"{}\": {}", token_path, token.error()));
  out.token = trim_space(*token);
  out.token_file = token_path;
  std::string ca_path = env.sa_dir + "/ca.crt";
  auto ca = read_file(ca_path);
  if (!ca)
    return make_error(fmt::format("in-cluster config: ca.crt \"{}\": {}", ca_path, ca.error()));
  out.ca_pem = std::move(*ca);
  if (auto ns = read_file(env.sa_dir + "/namespace")) out.namespace_ = trim_space(*ns);
  return out;
}

Result<ClientConfig> load_client_config(const ConfigRequest& request) {
  auto config = load_kubeconfig(request.sources);
  if (!config) return config.take_error();
  if (config->has_value()) return resolve_client_config(**config, request.context_override);
  if (in_cluster_available(request.in_cluster)) return in_cluster_config(request.in_cluster);
  return make_error(
      fmt::format("no kubeconfig found (looked at {}) and not running in a cluster; "
                  "use --kubeconfig or set KUBECONFIG",
                  request.sources.env_list && !request.sources.env_list->empty()
                      ? "$KUBECONFIG=" + *request.sources.env_list
                      : request.sources.home + "/.kube/config"));
}

}  // namespace podtrace::plugin::kube
