// SPDX-License-Identifier: Apache-2.0
// Exec credential plugins run for real (small shell scripts): v1, v1beta1, caching, errors.
#include "kube/exec_credential.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_files.h"

using namespace podtrace::plugin::kube;
using podtrace::testing::TempDir;

namespace {

// The script records its args, its FOO variable and KUBERNETES_EXEC_INFO, then answers.
std::string write_plugin(const TempDir& dir, const std::string& status_json,
                         const std::string& api_version) {
  return dir.write("cred.sh",
                   "#!/bin/sh\n"
                   "echo \"$@\" > \"" +
                       dir / "args" +
                       "\"\n"
                       "echo \"$FOO\" > \"" +
                       dir / "foo" +
                       "\"\n"
                       "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"" +
                       dir / "info" +
                       "\"\n"
                       "echo run >> \"" +
                       dir / "runs" +
                       "\"\n"
                       "cat <<'JSON'\n"
                       "{\"apiVersion\":\"" +
                       api_version + "\",\"kind\":\"ExecCredential\",\"status\":" + status_json +
                       "}\n"
                       "JSON\n",
                   0755);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ExecConfig config_for(const std::string& command, const std::string& api_version) {
  ExecConfig c;
  c.api_version = api_version;
  c.command = command;
  c.args = {"get-token", "--cluster=dev"};
  c.env = {{"FOO", "bar"}};
  c.interactive_mode = "Never";
  return c;
}

}  // namespace

TEST(ExecCredential, V1TokenWithArgsEnvAndExecInfo) {
  TempDir dir;
  const std::string v1 = "client.authentication.k8s.io/v1";
  auto cmd = write_plugin(dir, R"({"token":"tok-v1"})", v1);
  ExecConfig config = config_for(cmd, v1);
  config.provide_cluster_info = true;
  ExecCredentialProvider provider(config, "/kubeconfig",
                                  {"https://127.0.0.1:6443", "CA", false, ""}, false);
  auto cred = provider.get();
  ASSERT_TRUE(cred) << cred.error();
  EXPECT_EQ(cred->token, "tok-v1");
  EXPECT_FALSE(cred->expiry);
  EXPECT_EQ(slurp(dir / "args"), "get-token --cluster=dev\n");
  EXPECT_EQ(slurp(dir / "foo"), "bar\n");
  auto info = nlohmann::json::parse(slurp(dir / "info"));
  EXPECT_EQ(info["apiVersion"], v1);
  EXPECT_EQ(info["kind"], "ExecCredential");
  EXPECT_EQ(info["spec"]["interactive"], false);
  EXPECT_EQ(info["spec"]["cluster"]["server"], "https://127.0.0.1:6443");
  EXPECT_EQ(info["spec"]["cluster"]["certificate-authority-data"], "Q0E=");
  // No expiry: cached for the whole run.
  ASSERT_TRUE(provider.get());
  EXPECT_EQ(provider.runs(), 1);
}

TEST(ExecCredential, V1beta1ClientCertificate) {
  TempDir dir;
  const std::string v1beta1 = "client.authentication.k8s.io/v1beta1";
  auto cmd = write_plugin(
      dir, R"({"clientCertificateData":"-----BEGIN CERTIFICATE-----\nX\n","clientKeyData":"KEY"})",
      v1beta1);
  ExecCredentialProvider provider(config_for(cmd, v1beta1), "/kubeconfig", {}, false);
  auto cred = provider.get();
  ASSERT_TRUE(cred) << cred.error();
  EXPECT_EQ(cred->token, "");
  EXPECT_EQ(cred->client_cert_pem, "-----BEGIN CERTIFICATE-----\nX\n");
  EXPECT_EQ(cred->client_key_pem, "KEY");
}

TEST(ExecCredential, ExpirationTimestampIsHonoured) {
  TempDir dir;
  const std::string v1 = "client.authentication.k8s.io/v1";
  auto cmd = write_plugin(dir, R"({"token":"t","expirationTimestamp":"2030-01-01T00:00:00Z"})", v1);
  auto now = std::chrono::system_clock::from_time_t(1893455000);  // 2029-12-31T23:43:20Z
  ExecCredentialProvider provider(config_for(cmd, v1), "/kubeconfig", {}, false,
                                  [&] { return now; });
  ASSERT_TRUE(provider.get());
  ASSERT_TRUE(provider.get());
  EXPECT_EQ(provider.runs(), 1);
  now = std::chrono::system_clock::from_time_t(1893456000);  // exactly the expiry
  ASSERT_TRUE(provider.get());
  EXPECT_EQ(provider.runs(), 2);
  ASSERT_TRUE(provider.get(true));  // a 401 forces a refresh
  EXPECT_EQ(provider.runs(), 3);
  EXPECT_EQ(slurp(dir / "runs"), "run\nrun\nrun\n");
}

TEST(ExecCredential, Rfc3339WithOffsetAndFraction) {
  auto t = parse_rfc3339("2030-01-01T02:00:00.123+02:00");
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*t), 1893456000);
  EXPECT_FALSE(parse_rfc3339("2030-01-01 00:00:00"));
}

// Found by tests/fuzz (exec_credential): a year past 2262 overflowed system_clock's nanoseconds
// (undefined behaviour). "Never expires" is now the latest time the clock can hold.
TEST(ExecCredential, Rfc3339FarAwayExpiryIsClamped) {
  auto t = parse_rfc3339("9999-12-31T23:59:59Z");
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(*t, std::chrono::system_clock::time_point::max());
  auto past = parse_rfc3339("0001-01-01T00:00:00Z");
  ASSERT_TRUE(past) << past.error();
  EXPECT_EQ(*past, std::chrono::system_clock::time_point::min());
}

TEST(ExecCredential, WrongApiVersionInAnswer) {
  TempDir dir;
  auto cmd = write_plugin(dir, R"({"token":"t"})", "client.authentication.k8s.io/v1beta1");
  ExecCredentialProvider provider(config_for(cmd, "client.authentication.k8s.io/v1"), "/kc", {},
                                  false);
  auto cred = provider.get();
  ASSERT_FALSE(cred);
  EXPECT_EQ(
      cred.error(),
      "exec credential plugin \"" + cmd +
          "\" (kubeconfig /kc): output has apiVersion \"client.authentication.k8s.io/v1beta1\", "
          "expected \"client.authentication.k8s.io/v1\"");
}

TEST(ExecCredential, FailingPlugin) {
  TempDir dir;
  auto cmd = dir.write("fail.sh", "#!/bin/sh\necho 'not logged in' >&2\nexit 3\n", 0755);
  ExecCredentialProvider provider(config_for(cmd, "client.authentication.k8s.io/v1"), "/kc", {},
                                  false);
  auto cred = provider.get();
  ASSERT_FALSE(cred);
  EXPECT_EQ(cred.error(),
            "exec credential plugin \"" + cmd + "\" (kubeconfig /kc): exited with status 3");
}

TEST(ExecCredential, MissingPluginShowsInstallHint) {
  ExecConfig c = config_for("/nonexistent/cred-plugin", "client.authentication.k8s.io/v1");
  c.install_hint = "install it with: brew install cred";
  ExecCredentialProvider provider(c, "/kc", {}, false);
  auto cred = provider.get();
  ASSERT_FALSE(cred);
  EXPECT_EQ(cred.error(),
            "exec credential plugin \"/nonexistent/cred-plugin\" (kubeconfig /kc): cannot run: "
            "No such file or directory\ninstall it with: brew install cred");
}

TEST(ExecCredential, GarbageOutput) {
  auto cred = parse_exec_credential("hello", "client.authentication.k8s.io/v1");
  ASSERT_FALSE(cred);
  EXPECT_EQ(cred.error(), "output is not an ExecCredential JSON object");
  cred = parse_exec_credential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}})",
      "client.authentication.k8s.io/v1");
  ASSERT_FALSE(cred);
  EXPECT_EQ(cred.error(), "status has neither \"token\" nor \"clientCertificateData\"");
}
