// SPDX-License-Identifier: Apache-2.0
// Kubeconfig loading the way kubectl does it: merging, contexts, every credential kind, errors.
#include "kube/kubeconfig.h"

#include <gtest/gtest.h>

#include "cli/options.h"
#include "kube/client_config.h"
#include "test_files.h"
#include "util/base64.h"

using namespace podtrace;
using namespace podtrace::plugin;
using namespace podtrace::plugin::kube;
using podtrace::testing::TempDir;

namespace {

const char* basic_config = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: certs/ca.crt
- name: c2
  cluster:
    server: https://10.0.0.2:443
    insecure-skip-tls-verify: true
users:
- name: alice
  user:
    client-certificate: certs/alice.crt
    client-key: certs/alice.key
- name: bob
  user:
    token: bob-token
- name: carol
  user:
    tokenFile: carol.token
contexts:
- name: dev
  context: {cluster: c1, user: alice, namespace: shop}
- name: ops
  context: {cluster: c2, user: bob}
- name: carol
  context: {cluster: c2, user: carol}
)";

ConfigRequest explicit_request(const std::string& path, const std::string& context = {}) {
  ConfigRequest r;
  r.sources.explicit_path = path;
  r.context_override = context;
  return r;
}

}  // namespace

TEST(Kubeconfig, ClientCertificateFilesRelativeToTheKubeconfig) {
  TempDir dir;
  dir.write("certs/ca.crt", "CA PEM");
  dir.write("certs/alice.crt", "ALICE CERT");
  dir.write("certs/alice.key", "ALICE KEY");
  std::string path = dir.write("config", basic_config);

  auto cfg = load_client_config(explicit_request(path));
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443");
  EXPECT_EQ(cfg->ca_pem, "CA PEM");
  EXPECT_EQ(cfg->client_cert_pem, "ALICE CERT");
  EXPECT_EQ(cfg->client_key_pem, "ALICE KEY");
  EXPECT_EQ(cfg->token, "");
  EXPECT_EQ(cfg->namespace_, "shop");
  EXPECT_EQ(cfg->context, "dev");
  EXPECT_FALSE(cfg->insecure_skip_tls_verify);
}

TEST(Kubeconfig, TokenAndInsecureSkipVerifyWithContextOverride) {
  TempDir dir;
  std::string path = dir.write("config", basic_config);
  auto cfg = load_client_config(explicit_request(path, "ops"));
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->server, "https://10.0.0.2:443");
  EXPECT_TRUE(cfg->insecure_skip_tls_verify);
  EXPECT_EQ(cfg->token, "bob-token");
  EXPECT_EQ(cfg->namespace_, "");
  EXPECT_EQ(cfg->ca_pem, "");
}

TEST(Kubeconfig, TokenFileIsReadAndTrimmed) {
  TempDir dir;
  dir.write("carol.token", "carol-secret\n");
  std::string path = dir.write("config", basic_config);
  auto cfg = load_client_config(explicit_request(path, "carol"));
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->token, "carol-secret");
  EXPECT_EQ(cfg->token_file, dir / "carol.token");
}

TEST(Kubeconfig, MissingCertificateFileNamesFileAndField) {
  TempDir dir;
  std::string path = dir.write("config", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h:1"}}]
users: [{name: bob, user: {client-certificate: /nope.crt, client-key: /nope.key}}]
contexts: [{name: x, context: {cluster: c, user: bob}}]
)");
  auto cfg = load_client_config(explicit_request(path));
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error(),
            "kubeconfig " + path +
                ": user \"bob\": client-certificate \"/nope.crt\": No such file or directory");
}

TEST(Kubeconfig, BadBase64NamesTheField) {
  TempDir dir;
  std::string path = dir.write("config", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h:1", certificate-authority-data: "!!!notbase64"}}]
contexts: [{name: x, context: {cluster: c}}]
)");
  auto cfg = load_client_config(explicit_request(path));
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error(),
            "kubeconfig " + path + ": cluster \"c\": certificate-authority-data: invalid base64");
}

TEST(Kubeconfig, Base64DataFieldsAreDecoded) {
  TempDir dir;
  std::string path = dir.write(
      "config",
      "current-context: x\n"
      "clusters: [{name: c, cluster: {server: \"https://h:1\", certificate-authority-data: \"" +
          base64_encode("CA DATA") +
          "\"}}]\n"
          "users: [{name: u, user: {client-certificate-data: \"" +
          base64_encode("CERT DATA") + "\", client-key-data: \"" + base64_encode("KEY DATA!") +
          "\"}}]\n"
          "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
  auto cfg = load_client_config(explicit_request(path));
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->ca_pem, "CA DATA");
  EXPECT_EQ(cfg->client_cert_pem, "CERT DATA");
  EXPECT_EQ(cfg->client_key_pem, "KEY DATA!");
}

TEST(Kubeconfig, MissingServerField) {
  TempDir dir;
  std::string path = dir.write("config", R"(current-context: x
clusters: [{name: c, cluster: {insecure-skip-tls-verify: true}}]
contexts: [{name: x, context: {cluster: c}}]
)");
  auto cfg = load_client_config(explicit_request(path));
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error(), "kubeconfig " + path + ": cluster \"c\": missing field \"server\"");
}

TEST(Kubeconfig, UnknownContext) {
  TempDir dir;
  std::string path = dir.write("config", basic_config);
  auto cfg = load_client_config(explicit_request(path, "nope"));
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error(), "kubeconfig " + path + ": context \"nope\" not found");
}

TEST(Kubeconfig, MissingExplicitFile) {
  auto cfg = load_client_config(explicit_request("/nonexistent/kubeconfig"));
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error(), "kubeconfig /nonexistent/kubeconfig: No such file or directory");
}

TEST(Kubeconfig, BrokenYamlReportsLine) {
  TempDir dir;
  std::string path = dir.write("config", "clusters:\n- name: c\n  cluster: {server: [\n");
  auto cfg = load_client_config(explicit_request(path));
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().rfind("kubeconfig " + path + ": line ", 0), 0u) << cfg.error();
}

TEST(Kubeconfig, KubeconfigListMergesFirstWins) {
  TempDir dir;
  std::string a = dir.write("a", R"(current-context: from-a
clusters: [{name: shared, cluster: {server: "https://a:1"}}]
contexts: [{name: from-a, context: {cluster: shared, namespace: ns-a}}]
)");
  std::string b = dir.write("b", R"(current-context: from-b
clusters:
- {name: shared, cluster: {server: "https://b:1"}}
- {name: only-b, cluster: {server: "https://b:2"}}
users: [{name: ub, user: {token: tb}}]
contexts:
- {name: from-b, context: {cluster: only-b, user: ub}}
- {name: from-a, context: {cluster: only-b}}
)");
  ConfigRequest r;
  r.sources.env_list = a + ":" + dir / "missing" + ":" + b;
  auto cfg = load_client_config(r);
  ASSERT_TRUE(cfg) << cfg.error();
  // current-context and the context "from-a" come from the first file; cluster "shared" too.
  EXPECT_EQ(cfg->context, "from-a");
  EXPECT_EQ(cfg->server, "https://a:1");
  EXPECT_EQ(cfg->namespace_, "ns-a");

  r.context_override = "from-b";
  cfg = load_client_config(r);
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->server, "https://b:2");
  EXPECT_EQ(cfg->token, "tb");
}

TEST(Kubeconfig, InClusterWhenNoKubeconfig) {
  TempDir dir;
  dir.write("sa/token", "sa-token\n");
  dir.write("sa/ca.crt", "SA CA");
  dir.write("sa/namespace", "monitoring");
  ConfigRequest r;
  r.sources.env_list = dir / "does-not-exist";
  r.in_cluster.service_host = "10.96.0.1";
  r.in_cluster.service_port = "443";
  r.in_cluster.sa_dir = dir / "sa";
  auto cfg = load_client_config(r);
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->context, "in-cluster");
  EXPECT_EQ(cfg->server, "https://10.96.0.1:443");
  EXPECT_EQ(cfg->token, "sa-token");
  EXPECT_EQ(cfg->ca_pem, "SA CA");
  EXPECT_EQ(cfg->namespace_, "monitoring");

  r.in_cluster.service_host = "fd00::1";
  cfg = load_client_config(r);
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->server, "https://[fd00::1]:443");
}

TEST(Kubeconfig, InClusterMissingTokenNamesThePath) {
  TempDir dir;
  InClusterEnv env{"10.96.0.1", "443", dir / "sa"};
  auto cfg = in_cluster_config(env);
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error(),
            "in-cluster config: token \"" + dir / "sa/token" + "\": No such file or directory");
}

TEST(Kubeconfig, NothingFound) {
  ConfigRequest r;
  r.sources.home = "/nonexistent-home";
  auto cfg = load_client_config(r);
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().find("/nonexistent-home/.kube/config"), std::string::npos) << cfg.error();
}

TEST(Kubeconfig, ExecCommandWithSlashIsRelativeToTheFile) {
  TempDir dir;
  std::string path = dir.write("sub/config", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h:1"}}]
users:
- name: e
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/cred
      args: [a, b]
      env: [{name: FOO, value: bar}]
      interactiveMode: Never
contexts: [{name: x, context: {cluster: c, user: e}}]
)");
  auto cfg = load_client_config(explicit_request(path));
  ASSERT_TRUE(cfg) << cfg.error();
  ASSERT_TRUE(cfg->exec);
  EXPECT_EQ(cfg->exec->command, dir / "sub/bin/cred");
  EXPECT_EQ(cfg->exec->args, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(cfg->exec->env.size(), 1u);
  EXPECT_EQ(cfg->exec->env[0].first, "FOO");
  EXPECT_EQ(cfg->exec->env[0].second, "bar");
  EXPECT_EQ(cfg->exec->interactive_mode, "Never");
}

TEST(Kubeconfig, UnsupportedExecApiVersion) {
  TempDir dir;
  std::string path = dir.write("config", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h:1"}}]
users: [{name: e, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: cred}}}]
contexts: [{name: x, context: {cluster: c, user: e}}]
)");
  auto cfg = load_client_config(explicit_request(path));
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error(), "kubeconfig " + path +
                             ": user \"e\": exec: apiVersion "
                             "\"client.authentication.k8s.io/v1alpha1\" is not supported "
                             "(use client.authentication.k8s.io/v1 or v1beta1)");
}

TEST(SessionOptions, NamespaceFallsBackToContextThenDefault) {
  CliOptions cli;
  cli.pod = "web-1";
  auto o = make_session_options(cli, "shop");
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->namespace_, "shop");
  o = make_session_options(cli, "");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->namespace_, "default");
  cli.namespace_ = "prod";
  o = make_session_options(cli, "shop");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->namespace_, "prod");
  EXPECT_EQ(o->duration, std::chrono::seconds(30));
  EXPECT_EQ(o->image, "ghcr.io/podtrace/podtrace-tracer:0.1.0");
}

TEST(SessionOptions, RejectsBadNamesBeforeAnyRequest) {
  CliOptions cli;
  cli.pod = "Web_1";
  auto o = make_session_options(cli, "");
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error(),
            "invalid pod name \"Web_1\": must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', "
            "'.', at most 253 characters)");

  cli.pod = "web";
  cli.namespace_ = "a/../b";
  EXPECT_FALSE(make_session_options(cli, ""));
  cli.namespace_ = "ok";
  cli.container = "bad\x1b[31m";
  o = make_session_options(cli, "");
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().find('\x1b'), std::string::npos);
  cli.container = "";
  cli.diagnose = "10x";
  o = make_session_options(cli, "");
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error(), "--diagnose: invalid duration \"10x\": unit must be ms, s, m or h");
}
