// SPDX-License-Identifier: Apache-2.0
// smoke.cpp: the smoke check as a sequence of steps; each adds rows to the verdict table. A
// failed precondition (RBAC, Pod Security) stops before anything is created.
#include "smoke/smoke.h"

#include <fmt/format.h>

#include <sstream>

#include "kube/access_review.h"
#include "kube/api_paths.h"
#include "kube/json_access.h"
#include "session/signals.h"
#include "smoke/smoke_checks.h"
#include "style.h"
#include "terminal_safe.h"
#include "text_writer.h"
#include "util/duration.h"

namespace podtrace::plugin {

namespace {

using json = nlohmann::json;

// Progress goes to the user as it happens, and is kept to name the error at the end.
class TeeBuffer : public std::streambuf {
 public:
  explicit TeeBuffer(std::ostream& out) : out_(*out.rdbuf()) {}
  const std::string& text() const { return copy_; }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    copy_.push_back(static_cast<char>(c));
    return out_.sputc(static_cast<char>(c));
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    copy_.append(s, static_cast<size_t>(n));
    return out_.sputn(s, n);
  }

 private:
  std::streambuf& out_;
  std::string copy_;
};

// What a podtrace run does, as RBAC sees it (manifests/rbac.yaml grants exactly this).
std::vector<kube::AccessCheck> needed_access(const std::string& ns, const std::string& job_ns) {
  std::vector<kube::AccessCheck> checks = {
      {"get", "pods", "", "", ns},
      {"list", "pods", "", "", ns},
      {"create", "jobs", "", "batch", job_ns},
      {"delete", "jobs", "", "batch", job_ns},
      {"get", "jobs", "", "batch", job_ns},
      {"list", "pods", "", "", job_ns},
      {"get", "pods", "log", "", job_ns},
      // The canary only: podtrace itself never creates or deletes pods.
      {"create", "pods", "", "", ns},
      {"delete", "pods", "", "", ns},
      {"get", "pods", "log", "", ns}};
  std::vector<kube::AccessCheck> unique;
  for (const auto& c : checks) {
    const bool seen = std::any_of(unique.begin(), unique.end(), [&](const auto& u) {
      return kube::describe_access(u) == kube::describe_access(c);
    });
    if (!seen) unique.push_back(c);
  }
  return unique;
}

class SmokeRun {
 public:
  SmokeRun(const SessionOptions& session, const SmokeOptions& smoke, kube::RestClient& client,
           std::ostream& err)
      : session_(session),
        smoke_(smoke),
        client_(client),
        err_(err),
        job_ns_(session.job_namespace.empty() ? session.namespace_ : session.job_namespace) {
    canary_.name = session.pod;
    canary_.namespace_ = session.namespace_;
    canary_.image = session.image;
    canary_.workload = smoke.workload;
  }

  ~SmokeRun() { delete_canary(); }

  std::vector<SmokeCheck> run() {
    if (check_access() && check_pod_security() && start_canary()) trace_canary();
    delete_canary();
    if (canary_created_)
      add(canary_deleted_ ? CheckResult::pass : CheckResult::fail, "cleanup",
          canary_deleted_
              ? fmt::format("canary pod {} and the tracer Job deleted", canary_.name)
              : fmt::format("could not delete the canary pod {}: {}", canary_.name, delete_error_));
    return checks_;
  }

  const Report* report() const { return report_ ? &*report_ : nullptr; }

 private:
  void add(CheckResult r, std::string name, std::string detail) {
    checks_.push_back({std::move(name), r, std::move(detail)});
  }

  bool check_access() {
    std::vector<std::string> denied;
    for (const auto& c : needed_access(session_.namespace_, job_ns_)) {
      auto allowed = kube::can_i(client_, c);
      if (!allowed) {
        add(CheckResult::fail, "rbac", "cannot ask the API server: " + allowed.error());
        return false;
      }
      if (!*allowed) denied.push_back(kube::describe_access(c));
    }
    if (!denied.empty()) {
      add(CheckResult::fail, "rbac",
          fmt::format("not allowed: {} (manifests/rbac.yaml: bind podtrace-user, and "
                      "podtrace-smoke for the canary)",
                      fmt::join(denied, ", ")));
      return false;
    }
    add(CheckResult::pass, "rbac",
        fmt::format("may run tracer Jobs in {} and trace pods in {}", job_ns_,
                    session_.namespace_));
    return true;
  }

  // The tracer's pod is privileged: a namespace that enforces baseline or restricted refuses it.
  bool check_pod_security() {
    auto ns = client_.get("/api/v1/namespaces/" + job_ns_, {"get", "namespaces", "", "", job_ns_});
    if (!ns) {
      add(CheckResult::skip, "pod-security",
          "cannot read namespace " + job_ns_ + " (" + ns.error() + "); the Job will tell");
      return true;
    }
    std::string level = "privileged";
    if (const json* meta = member(*ns, "metadata"))
      if (const json* labels = member(*meta, "labels"))
        level = get_text(*labels, "pod-security.kubernetes.io/enforce", "privileged");
    if (level != "privileged") {
      add(CheckResult::fail, "pod-security",
          fmt::format("namespace {} enforces Pod Security \"{}\", which refuses the tracer's "
                      "privileged pod: use --job-namespace with a namespace labelled "
                      "pod-security.kubernetes.io/enforce=privileged",
                      job_ns_, sanitize_for_terminal(level)));
      return false;
    }
    add(CheckResult::pass, "pod-security",
        fmt::format("namespace {} allows privileged pods", job_ns_));
    return true;
  }

  bool start_canary() {
    auto created =
        client_.post(kube::pods_path(canary_.namespace_, ""), canary_pod_manifest(canary_),
                     {"create", "pods", "", canary_.namespace_, ""});
    // Even a failed create may have happened (a lost answer): cleanup tries either way.
    canary_created_ = true;
    if (!created) {
      add(CheckResult::fail, "canary", "cannot create the canary pod: " + created.error());
      return false;
    }
    auto node = wait_for_canary(client_, canary_, session_.start_timeout,
                                [] { return stop_requests() > 0; });
    if (!node) {
      add(CheckResult::fail, "canary", node.error());
      return false;
    }
    node_ = *node;
    add(CheckResult::pass, "canary",
        fmt::format("pod {} running on node {}", canary_.name, sanitize_for_terminal(node_)));
    return true;
  }

  void trace_canary() {
    SessionOptions o = session_;
    o.report = true;
    o.follow = false;
    auto timeout = parse_duration(smoke_.canary_timeout);
    o.duration = timeout ? *timeout : std::chrono::minutes(2);
    auto next_look = std::chrono::steady_clock::now();
    o.done = [&]() {
      if (std::chrono::steady_clock::now() < next_look) return false;
      next_look = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      auto log = read_canary_log(client_, canary_);
      if (log) done_ = parse_canary_log(*log);
      return done_.has_value();
    };
    TeeBuffer tee(err_);
    std::ostream progress(&tee);
    SessionReport result;
    const int code = trace_session(o, client_, progress, false, result);
    if (code == 130 || stop_requests() > 0) {
      add(CheckResult::fail, "tracer", "interrupted");
      return;
    }
    const PodTrace* trace = result.pods.empty() ? nullptr : &result.pods.front();
    if (!trace || !trace->report) {
      add(CheckResult::fail, "tracer", "no report: " + last_error(tee.text(), trace));
      return;
    }
    report_ = *trace->report;
    add(CheckResult::pass, "tracer",
        fmt::format("job {} traced the canary on node {} and reported", trace->job,
                    sanitize_for_terminal(node_)));
    for (auto& c : check_canary_report(*report_, canary_.workload, done_))
      checks_.push_back(std::move(c));
  }

  static std::string last_error(const std::string& progress, const PodTrace* trace) {
    if (trace && !trace->errors.empty()) return sanitize_for_terminal(trace->errors.back());
    std::string last;
    std::istringstream lines(progress);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("error: ", 0) == 0) last = line.substr(7);
    return last.empty() ? "the tracer ended without one" : last;
  }

  void delete_canary() {
    if (!canary_created_ || canary_deleted_) return;
    json options = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"gracePeriodSeconds", 0}};
    auto deleted = client_.del(kube::pod_path(canary_.namespace_, canary_.name), options,
                               {"delete", "pods", "", canary_.namespace_, canary_.name});
    if (deleted || deleted.error().find("not found") != std::string::npos)
      canary_deleted_ = true;
    else
      delete_error_ = deleted.error();
  }

  const SessionOptions& session_;
  const SmokeOptions& smoke_;
  kube::RestClient& client_;
  std::ostream& err_;
  const std::string job_ns_;
  CanarySpec canary_;
  std::string node_;
  bool canary_created_ = false;
  bool canary_deleted_ = false;
  std::string delete_error_;
  std::optional<CanaryDone> done_;
  std::optional<Report> report_;
  std::vector<SmokeCheck> checks_;
};

bool all_passed(const std::vector<SmokeCheck>& checks) {
  return std::none_of(checks.begin(), checks.end(),
                      [](const auto& c) { return c.result == CheckResult::fail; });
}

void render_text(const std::vector<SmokeCheck>& checks, const Report* report, bool color,
                 std::ostream& out) {
  TextWriter text(Style(color), {});
  text.heading("podtrace smoke check");
  Table table({{"CHECK", Table::Align::kLeft},
               {"RESULT", Table::Align::kLeft},
               {"DETAIL", Table::Align::kLeft}});
  for (const auto& c : checks) {
    const Tone tone = c.result == CheckResult::pass   ? Tone::kGreen
                      : c.result == CheckResult::fail ? Tone::kRed
                                                      : Tone::kYellow;
    table.add_row({{c.name}, {std::string(check_result_name(c.result)), tone}, {c.detail}});
  }
  text.table(table);
  if (report && !report->kernel.features.empty()) {
    text.section("node kernel " + report->kernel.release);
    Table features({{"ATTACH TYPE", Table::Align::kLeft}, {"WORKS", Table::Align::kLeft}});
    for (const auto& f : report->kernel.features)
      features.add_row(
          {{f.attach}, {f.works ? "yes" : "no: " + f.reason, f.works ? Tone::kPlain : Tone::kDim}});
    text.table(features);
  }
  out << text.str();
  std::vector<std::string> failed;
  for (const auto& c : checks)
    if (c.result == CheckResult::fail) failed.push_back(c.name);
  out << "\n"
      << (failed.empty() ? fmt::format("smoke check passed ({} checks)", checks.size())
                         : fmt::format("smoke check FAILED: {}", fmt::join(failed, ", ")))
      << "\n";
}

json render_json(const std::vector<SmokeCheck>& checks, const Report* report) {
  json rows = json::array();
  for (const auto& c : checks)
    rows.push_back(
        {{"name", c.name},
         {"result",
          c.result == CheckResult::fail ? "fail" : std::string(check_result_name(c.result))},
         {"detail", c.detail}});
  json j = {{"passed", all_passed(checks)}, {"checks", rows}};
  if (report && !report->kernel.features.empty())
    j["kernel"] = {{"release", report->kernel.release}, {"features", report->kernel.features}};
  if (report) j["diagnostics"] = report->diagnostics;
  return j;
}

}  // namespace

CLI::App* register_smoke_command(CLI::App& app, SmokeOptions& o) {
  CLI::App* smoke = app.add_subcommand(
      "smoke",
      "Check that podtrace works on this cluster: RBAC, Pod Security, and a traced canary pod "
      "whose known workload must show up with exact counts (for CI; -o json for machines)");
  // -n, --job-namespace, --image, -o, --kubeconfig, --context, --start-timeout: the main flags.
  smoke->fallthrough();
  smoke->add_option("--dns-name", o.workload.dns_name,
                    "Name the canary resolves; it must resolve in the cluster [default: "
                    "kubernetes.default.svc.cluster.local.]");
  smoke->add_option("--canary-timeout", o.canary_timeout,
                    "Longest trace of the canary before its counts are judged [default: 2m]");
  return smoke;
}

int run_smoke(const SessionOptions& session, const SmokeOptions& smoke, kube::RestClient& client,
              std::ostream& out, std::ostream& err, bool color) {
  if (auto d = parse_duration(smoke.canary_timeout); !d) {
    err << "error: --canary-timeout: " << d.error() << "\n";
    return 1;
  }
  std::vector<SmokeCheck> checks;
  std::optional<Report> report;
  {
    SmokeRun run(session, smoke, client, err);
    err << fmt::format("smoke check: canary pod {} in namespace {}\n", session.pod,
                       session.namespace_);
    checks = run.run();
    if (run.report()) report = *run.report();
  }
  if (session.output == OutputFormat::json)
    out << render_json(checks, report ? &*report : nullptr).dump(2) << "\n";
  else
    render_text(checks, report ? &*report : nullptr, color, out);
  out.flush();
  if (stop_requests() > 0) return 130;
  return all_passed(checks) ? 0 : 1;
}

}  // namespace podtrace::plugin
