// SPDX-License-Identifier: Apache-2.0
// The kubeconfig data model and its loading/merging, following kubectl's rules.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "result.h"

namespace podtrace::plugin::kube {

// Every entry remembers the file it came from: relative paths resolve against that file's
// directory and error messages name it.
struct Cluster {
  std::string source;
  std::string server;
  std::string certificate_authority;       // path, already made absolute
  std::string certificate_authority_data;  // base64, decoded when used
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
};

struct ExecConfig {
  std::string api_version;
  std::string command;  // made absolute if it contains a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool provide_cluster_info = false;
  std::string interactive_mode;
  std::string install_hint;
};

struct AuthInfo {
  std::string source;
  std::string client_certificate;
  std::string client_certificate_data;
  std::string client_key;
  std::string client_key_data;
  std::string token;
  std::string token_file;
  std::optional<ExecConfig> exec;
  bool has_auth_provider = false;
  bool has_basic_auth = false;
};

struct Context {
  std::string source;
  std::string cluster;
  std::string user;
  std::string namespace_;
};

struct KubeConfig {
  std::map<std::string, Cluster> clusters;
  std::map<std::string, AuthInfo> users;
  std::map<std::string, Context> contexts;
  std::string current_context;
  std::string current_context_source;
  std::vector<std::string> files;  // the files that were read, in order
};

// Parses one kubeconfig document. `path` is used for errors and relative paths.
Result<KubeConfig> parse_kubeconfig(const std::string& yaml_text, const std::string& path);

Result<KubeConfig> load_kubeconfig_file(const std::string& path);

// Merges `later` into `into`: the first file to define a name (or current-context) wins.
void merge_kubeconfig(KubeConfig& into, const KubeConfig& later);

// Where the kubeconfig comes from, as kubectl decides it: --kubeconfig, else the KUBECONFIG
// list (missing files skipped), else ~/.kube/config.
struct KubeconfigSources {
  std::string explicit_path;            // --kubeconfig
  std::optional<std::string> env_list;  // $KUBECONFIG
  std::string home;                     // $HOME
};

// Returns the merged config, or std::nullopt when no file exists and the caller may fall back
// to in-cluster configuration.
Result<std::optional<KubeConfig>> load_kubeconfig(const KubeconfigSources& sources);

// Makes `path` absolute relative to the directory of `file`.
std::string resolve_relative(const std::string& file, const std::string& path);

}  // namespace podtrace::plugin::kube
