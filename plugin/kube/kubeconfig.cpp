// SPDX-License-Identifier: Apache-2.0
// Reads kubeconfig YAML into the data model; merges several files the way kubectl does.
#include "kube/kubeconfig.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "terminal_safe.h"

namespace podtrace::plugin::kube {
namespace {

namespace fs = std::filesystem;

std::string scalar(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  if (!v || !v.IsScalar()) return {};
  return v.as<std::string>();
}

bool boolean(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  if (!v || !v.IsScalar()) return false;
  return v.as<std::string>() == "true";
}

Result<ExecConfig> parse_exec(const YAML::Node& node, const std::string& path,
                              const std::string& user) {
  ExecConfig exec;
  auto where = [&](const char* field) {
    return fmt::format("kubeconfig {}: user \"{}\": exec: {}", path, user, field);
  };
  if (!node.IsMap()) return make_error(where("must be a mapping"));
  exec.api_version = scalar(node, "apiVersion");
  exec.command = scalar(node, "command");
  if (exec.command.empty()) return make_error(where("missing field \"command\""));
  // client-go resolves a relative command that names a path against the kubeconfig's dir;
  // a bare name is looked up in $PATH.
  if (exec.command.find('/') != std::string::npos)
    exec.command = resolve_relative(path, exec.command);
  if (const YAML::Node args = node["args"]; args && args.IsSequence()) {
    for (const auto& a : args) exec.args.push_back(a.as<std::string>());
  }
  if (const YAML::Node env = node["env"]; env && env.IsSequence()) {
    for (const auto& e : env) {
      std::string name = scalar(e, "name");
      if (name.empty()) return make_error(where("env entry without \"name\""));
      exec.env.emplace_back(name, scalar(e, "value"));
    }
  }
  exec.provide_cluster_info = boolean(node, "provideClusterInfo");
  exec.interactive_mode = scalar(node, "interactiveMode");
  exec.install_hint = scalar(node, "installHint");
  return exec;
}

// Each list is [{name: x, <inner>: {...}}]; entries are parsed by `parse_entry`.
template <typename Fn>
Status for_each_named(const YAML::Node& root, const char* list, const char* inner,
                      const std::string& path, Fn parse_entry) {
  const YAML::Node items = root[list];
  if (!items || items.IsNull()) return ok_status();
  if (!items.IsSequence())
    return make_error(fmt::format("kubeconfig {}: \"{}\" must be a list", path, list));
  for (const auto& item : items) {
    std::string name = scalar(item, "name");
    if (name.empty())
      return make_error(
          fmt::format("kubeconfig {}: an entry of \"{}\" has no \"name\"", path, list));
    const YAML::Node body = item[inner];
    if (!body || !body.IsMap())
      return make_error(fmt::format("kubeconfig {}: {} \"{}\": missing field \"{}\"", path,
                                    std::string(list).substr(0, std::string(list).size() - 1),
                                    sanitize_for_terminal(name), inner));
    Status st = parse_entry(name, body);
    if (!st) return st;
  }
  return ok_status();
}

}  // namespace

std::string resolve_relative(const std::string& file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  fs::path dir = fs::path(file).parent_path();
  if (dir.empty())
    dir = fs::current_path();
  else if (dir.is_relative())
    dir = fs::absolute(dir);
  return (dir / path).lexically_normal().string();
}

Result<KubeConfig> parse_kubeconfig(const std::string& yaml_text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return make_error(fmt::format("kubeconfig {}: line {}: {}", path, e.mark.line + 1, e.msg));
  }
  KubeConfig config;
  config.files.push_back(path);
  if (!root || root.IsNull()) return config;
  if (!root.IsMap())
    return make_error(fmt::format("kubeconfig {}: not a kubeconfig (expected a mapping)", path));

  try {
    Status st = for_each_named(
        root, "clusters", "cluster", path,
        [&](const std::string& name, const YAML::Node& n) -> Status {
          Cluster c;
          c.source = path;
          c.server = scalar(n, "server");
          c.certificate_authority = resolve_relative(path, scalar(n, "certificate-authority"));
          c.certificate_authority_data = scalar(n, "certificate-authority-data");
          c.insecure_skip_tls_verify = boolean(n, "insecure-skip-tls-verify");
          c.tls_server_name = scalar(n, "tls-server-name");
          config.clusters.emplace(name, std::move(c));
          return ok_status();
        });
    if (!st) return st.take_error();

    st = for_each_named(
        root, "users", "user", path, [&](const std::string& name, const YAML::Node& n) -> Status {
          AuthInfo u;
          u.source = path;
          u.client_certificate = resolve_relative(path, scalar(n, "client-certificate"));
          u.client_certificate_data = scalar(n, "client-certificate-data");
          u.client_key = resolve_relative(path, scalar(n, "client-key"));
          u.client_key_data = scalar(n, "client-key-data");
          u.token = scalar(n, "token");
          u.token_file = resolve_relative(path, scalar(n, "tokenFile"));
          u.has_auth_provider = static_cast<bool>(n["auth-provider"]);
          u.has_basic_auth = !scalar(n, "username").empty();
          if (const YAML::Node e = n["exec"]; e && !e.IsNull()) {
            auto exec = parse_exec(e, path, name);
            if (!exec) return exec.take_error();
            u.exec = std::move(*exec);
          }
          config.users.emplace(name, std::move(u));
          return ok_status();
        });
    if (!st) return st.take_error();

    st = for_each_named(root, "contexts", "context", path,
                        [&](const std::string& name, const YAML::Node& n) -> Status {
                          Context c;
                          c.source = path;
                          c.cluster = scalar(n, "cluster");
                          c.user = scalar(n, "user");
                          c.namespace_ = scalar(n, "namespace");
                          config.contexts.emplace(name, std::move(c));
                          return ok_status();
                        });
    if (!st) return st.take_error();
  } catch (const YAML::Exception& e) {
    return make_error(fmt::format("kubeconfig {}: {}", path, e.what()));
  }
  config.current_context = scalar(root, "current-context");
  if (!config.current_context.empty()) config.current_context_source = path;
  return config;
}

Result<KubeConfig> load_kubeconfig_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::error_code ec(errno, std::generic_category());
    return make_error(fmt::format("kubeconfig {}: {}", path, ec.message()));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_kubeconfig(ss.str(), path);
}

void merge_kubeconfig(KubeConfig& into, const KubeConfig& later) {
  // std::map::insert keeps the existing element: the first definition of a name wins.
  into.clusters.insert(later.clusters.begin(), later.clusters.end());
  into.users.insert(later.users.begin(), later.users.end());
  into.contexts.insert(later.contexts.begin(), later.contexts.end());
  if (into.current_context.empty()) {
    into.current_context = later.current_context;
    into.current_context_source = later.current_context_source;
  }
  into.files.insert(into.files.end(), later.files.begin(), later.files.end());
}

Result<std::optional<KubeConfig>> load_kubeconfig(const KubeconfigSources& sources) {
  if (!sources.explicit_path.empty()) {
    auto config = load_kubeconfig_file(sources.explicit_path);
    if (!config) return config.take_error();
    return std::optional<KubeConfig>(std::move(*config));
  }

  std::vector<std::string> paths;
  if (sources.env_list && !sources.env_list->empty()) {
    std::stringstream ss(*sources.env_list);
    std::string item;
    while (std::getline(ss, item, ':')) {
      if (!item.empty() && std::find(paths.begin(), paths.end(), item) == paths.end())
        paths.push_back(item);
    }
  } else if (!sources.home.empty()) {
    paths.push_back(sources.home + "/.kube/config");
  }

  std::optional<KubeConfig> merged;
  for (const auto& path : paths) {
    struct stat st;
    // kubectl silently skips KUBECONFIG entries that do not exist.
    if (stat(path.c_str(), &st) != 0) continue;
    auto config = load_kubeconfig_file(path);
    if (!config) return config.take_error();
    if (!merged)
      merged = std::move(*config);
    else
      merge_kubeconfig(*merged, *config);
  }
  return merged;
}

}  // namespace podtrace::plugin::kube
