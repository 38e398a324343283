// SPDX-License-Identifier: Apache-2.0
// kubeconfig (clientcmd v1) emitted with yaml-cpp; credentials are embedded so the file is
// self-contained.
#include "kubeconfig.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace podtrace::cluster {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

void context(YAML::Emitter& out, const std::string& name, const std::string& user) {
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::Key << "context"
      << YAML::Value << YAML::BeginMap << YAML::Key << "cluster" << YAML::Value << "podtrace-local"
      << YAML::Key << "user" << YAML::Value << user << YAML::Key << "namespace" << YAML::Value
      << "default" << YAML::EndMap << YAML::EndMap;
}

}  // namespace

std::string random_token() {
  unsigned char bytes[24];
  RAND_bytes(bytes, sizeof(bytes));
  std::string out;
  for (unsigned char b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

std::string write_kubeconfig(const std::string& path, const std::string& server_url,
                             const PkiFiles& pki, const Tokens& tokens) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Config";
  out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key
      << "name" << YAML::Value << "podtrace-local" << YAML::Key << "cluster" << YAML::Value
      << YAML::BeginMap << YAML::Key << "server" << YAML::Value << server_url << YAML::Key
      << "certificate-authority-data" << YAML::Value << base64(read_file(pki.ca_cert))
      << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "podtrace-admin" << YAML::Key
      << "user" << YAML::Value << YAML::BeginMap << YAML::Key << "client-certificate-data"
      << YAML::Value << base64(read_file(pki.admin_cert)) << YAML::Key << "client-key-data"
      << YAML::Value << base64(read_file(pki.admin_key)) << YAML::EndMap << YAML::EndMap;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "podtrace-token" << YAML::Key
      << "user" << YAML::Value << YAML::BeginMap << YAML::Key << "token" << YAML::Value
      << tokens.admin << YAML::EndMap << YAML::EndMap;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "podtrace-restricted" << YAML::Key
      << "user" << YAML::Value << YAML::BeginMap << YAML::Key << "token" << YAML::Value
      << tokens.restricted << YAML::EndMap << YAML::EndMap;
  out << YAML::EndSeq;
  out << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq;
  context(out, "podtrace-admin", "podtrace-admin");
  context(out, "podtrace-token", "podtrace-token");
  context(out, "podtrace-restricted", "podtrace-restricted");
  out << YAML::EndSeq;
  out << YAML::Key << "current-context" << YAML::Value << "podtrace-admin";
  out << YAML::Key << "preferences" << YAML::Value << YAML::BeginMap << YAML::EndMap;
  out << YAML::EndMap;

  std::ofstream f(path);
  if (!f) return "cannot write " + path;
  ::chmod(path.c_str(), 0600);
  f << out.c_str() << "\n";
  return f ? "" : "cannot write " + path;
}

}  // namespace podtrace::cluster
