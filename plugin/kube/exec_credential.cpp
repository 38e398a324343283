// SPDX-License-Identifier: Apache-2.0
// Runs exec credential plugins with posix_spawn, parses their ExecCredential and caches it.
#include "kube/exec_credential.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <vector>

#include "terminal_safe.h"
#include "util/base64.h"

extern char** environ;

namespace podtrace::plugin::kube {
namespace {

using json = nlohmann::json;

constexpr int exec_timeout_ms = 60'000;

std::string string_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

}  // namespace

Result<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest)
    return make_error(fmt::format("invalid timestamp \"{}\"", sanitize_for_terminal(text)));
  if (*rest == '.') {
    rest++;
    while (*rest >= '0' && *rest <= '9') rest++;
  }
  long offset = 0;
  if (*rest == 'Z' || *rest == 'z') {
    rest++;
  } else if (*rest == '+' || *rest == '-') {
    // Exactly "+hh:mm": a shorter offset ("-3:59") must not move past the end (found by
    // tests/fuzz).
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!digit(rest[1]) || !digit(rest[2]) || rest[3] != ':' || !digit(rest[4]) || !digit(rest[5]))
      return make_error(fmt::format("invalid timestamp \"{}\"", sanitize_for_terminal(text)));
    const int hh = (rest[1] - '0') * 10 + (rest[2] - '0');
    const int mm = (rest[4] - '0') * 10 + (rest[5] - '0');
    offset = (hh * 3600L + mm * 60L) * (*rest == '+' ? 1 : -1);
    rest += 6;
  } else {
    return make_error(
        fmt::format("invalid timestamp \"{}\": missing time zone", sanitize_for_terminal(text)));
  }
  if (*rest != '\0')
    return make_error(fmt::format("invalid timestamp \"{}\"", sanitize_for_terminal(text)));
  time_t t = timegm(&tm) - offset;
  // system_clock counts nanoseconds, which end in 2262; a plugin may write a far-away expiry
  // ("9999-12-31T23:59:59Z": never). Clamp instead of overflowing (found by tests/fuzz).
  using std::chrono::system_clock;
  const auto limit_s =
      std::chrono::duration_cast<std::chrono::seconds>(system_clock::duration::max()).count();
  if (t >= limit_s) return system_clock::time_point::max();
  if (t <= -limit_s) return system_clock::time_point::min();
  return system_clock::from_time_t(t);
}

Result<ExecCredential> parse_exec_credential(const std::string& output,
                                             const std::string& api_version) {
  json doc = json::parse(output, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return make_error("output is not an ExecCredential JSON object");
  if (string_field(doc, "kind") != "ExecCredential")
    return make_error("output has kind \"" + sanitize_for_terminal(string_field(doc, "kind")) +
                      "\", expected \"ExecCredential\"");
  if (string_field(doc, "apiVersion") != api_version)
    return make_error(fmt::format("output has apiVersion \"{}\", expected \"{}\"",
                                  sanitize_for_terminal(string_field(doc, "apiVersion")),
                                  api_version));
  auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) return make_error("output has no \"status\"");
  ExecCredential cred;
  cred.token = string_field(*status, "token");
  // In an ExecCredential these are PEM text, not base64 like in a kubeconfig.
  cred.client_cert_pem = string_field(*status, "clientCertificateData");
  cred.client_key_pem = string_field(*status, "clientKeyData");
  if (cred.client_cert_pem.empty() != cred.client_key_pem.empty())
    return make_error("status must set both clientCertificateData and clientKeyData, or neither");
  if (cred.token.empty() && cred.client_cert_pem.empty())
    return make_error("status has neither \"token\" nor \"clientCertificateData\"");
  std::string expiry = string_field(*status, "expirationTimestamp");
  if (!expiry.empty()) {
    auto t = parse_rfc3339(expiry);
    if (!t) return make_error("status.expirationTimestamp: " + t.error());
    cred.expiry = *t;
  }
  return cred;
}

ExecCredentialProvider::ExecCredentialProvider(ExecConfig config, std::string source,
                                               ExecClusterInfo cluster, bool stdin_is_terminal,
                                               Clock clock)
    : config_(std::move(config)),
      source_(std::move(source)),
      cluster_(std::move(cluster)),
      stdin_is_terminal_(stdin_is_terminal),
      clock_(std::move(clock)) {}

Result<ExecCredential> ExecCredentialProvider::get(bool force_refresh) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cached_ && !force_refresh && (!cached_->expiry || clock_() < *cached_->expiry))
    return *cached_;
  auto cred = run();
  if (!cred) return cred;
  cached_ = *cred;
  return cred;
}

Result<ExecCredential> ExecCredentialProvider::run() {
  runs_++;
  std::string prefix =
      fmt::format("exec credential plugin \"{}\" (kubeconfig {})", config_.command, source_);

  bool interactive = stdin_is_terminal_ && config_.interactive_mode != "Never";
  json info = {{"apiVersion", config_.api_version},
               {"kind", "ExecCredential"},
               {"spec", {{"interactive", interactive}}}};
  if (config_.provide_cluster_info) {
    json cluster = {{"server", cluster_.server}};
    if (!cluster_.ca_pem.empty())
      cluster["certificate-authority-data"] = base64_encode(cluster_.ca_pem);
    if (cluster_.insecure_skip_tls_verify) cluster["insecure-skip-tls-verify"] = true;
    if (!cluster_.tls_server_name.empty()) cluster["tls-server-name"] = cluster_.tls_server_name;
    info["spec"]["cluster"] = cluster;
  }

  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; e++) {
    std::string_view entry(*e);
    if (entry.rfind("KUBERNETES_EXEC_INFO=", 0) == 0) continue;
    bool overridden = false;
    for (const auto& [name, value] : config_.env)
      overridden = overridden || entry.rfind(name + "=", 0) == 0;
    if (!overridden) env_strings.emplace_back(entry);
  }
  for (const auto& [name, value] : config_.env) env_strings.push_back(name + "=" + value);
  env_strings.push_back("KUBERNETES_EXEC_INFO=" + info.dump());

  std::vector<char*> argv{const_cast<char*>(config_.command.c_str())};
  for (auto& a : config_.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0)
    return make_error(fmt::format("{}: pipe: {}", prefix, std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  if (!interactive)
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, config_.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    std::string hint =
        config_.install_hint.empty() ? "" : "\n" + sanitize_for_terminal(config_.install_hint);
    return make_error(fmt::format("{}: cannot run: {}{}", prefix, std::strerror(rc), hint));
  }

  std::string output;
  bool timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(exec_timeout_ms);
  char buf[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{out_pipe[0], POLLIN, 0};
    int pr = poll(&pfd, 1, static_cast<int>(left.count()));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) {
      timed_out = pr == 0;
      break;
    }
    ssize_t n = read(out_pipe[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
    if (output.size() > (1 << 20)) {
      timed_out = false;
      kill(pid, SIGKILL);
      break;
    }
  }
  close(out_pipe[0]);
  if (timed_out) kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    return make_error(fmt::format("{}: no answer within {} s", prefix, exec_timeout_ms / 1000));
  if (WIFSIGNALED(wstatus))
    return make_error(fmt::format("{}: killed by signal {}", prefix, WTERMSIG(wstatus)));
  if (WEXITSTATUS(wstatus) != 0)
    return make_error(fmt::format("{}: exited with status {}", prefix, WEXITSTATUS(wstatus)));
  auto cred = parse_exec_credential(output, config_.api_version);
  if (!cred) return make_error(fmt::format("{}: {}", prefix, cred.error()));
  return cred;
}

}  // namespace podtrace::plugin::kube
