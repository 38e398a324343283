// SPDX-License-Identifier: Apache-2.0
// options.cpp: CLI11 registration and validation of the tracer's flags.
#include "options.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>

#include "families.h"

namespace podtrace::tracer {

Result<uint64_t> parse_duration_ns(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  const std::string number = text.substr(0, i), unit = text.substr(i);
  double value = 0;
  try {
    size_t used = 0;
    value = std::stod(number, &used);
    if (used != number.size()) throw std::invalid_argument("trailing");
  } catch (...) {
    return make_error("invalid duration \"" + text + "\": use e.g. 30s, 500ms, 2m");
  }
  double scale = 0;
  if (unit.empty() || unit == "s")
    scale = 1e9;
  else if (unit == "ms")
    scale = 1e6;
  else if (unit == "us")
    scale = 1e3;
  else if (unit == "ns")
    scale = 1;
  else if (unit == "m")
    scale = 60e9;
  else if (unit == "h")
    scale = 3600e9;
  else
    return make_error("invalid duration \"" + text + "\": unknown unit \"" + unit + "\"");
  const double ns = value * scale;
  if (ns > 7 * 24 * 3600e9)
    return make_error("invalid duration \"" + text + "\": longer than a week");
  return static_cast<uint64_t>(ns);
}

ParseOutcome parse_options(int argc, char** argv) {
  CLI::App app{
      "podtrace-tracer: eBPF diagnostics for the processes of one pod, container or cgroup"};
  app.set_version_flag("--version", PODTRACE_VERSION);
  SessionOptions o;
  long long pid = 0;
  std::string duration = "0", interval = "5s", slow = "10ms", output = "jsonl", cgroup_root,
              proc_root;
  std::vector<std::string> disable;

  auto* target = app.add_option_group("target", "what to trace (exactly one)");
  target->add_option("--pid", pid, "trace the cgroup of this process");
  target->add_option("--cgroup", o.target.cgroup,
                     "trace this cgroup v2 directory and its children");
  target->add_option(
      "--container-id", o.target.container_ids,
      "trace a container (containerd://, cri-o://, docker:// or bare 64-hex id); repeatable");
  app.add_flag("--follow-restarts", o.target.follow_restarts,
               "with --container-id naming every container of a pod: when one ends and the pod "
               "starts a new container (restartPolicy Always/OnFailure), trace the new one");
  app.add_flag("--check", o.check, "print which attach types and diagnostics work here, then exit");
  app.add_option("--duration", duration, "stop after this long (0: until SIGINT/SIGTERM)");
  app.add_option("--interval", interval, "period of summary lines");
  app.add_option("--slow-threshold", slow, "stream operations slower than this as events");
  app.add_option("--output,-o", output, "jsonl or text")->check(CLI::IsMember({"jsonl", "text"}));
  app.add_option("--metrics-addr", o.metrics_addr,
                 "serve Prometheus /metrics on [HOST]:PORT (HOST defaults to 127.0.0.1)");
  app.add_option("--html", o.html_path,
                 "also write the final report as one self-contained HTML page to this file");
  app.add_option("--k8s-namespace", o.k8s_namespace, "label metrics with this namespace");
  app.add_option("--k8s-pod", o.k8s_pod, "label metrics with this pod name");
  app.add_option("--k8s-container", o.k8s_container,
                 "label metrics with this container name (a comma list when several)");
  const auto names = family_names();
  std::string listed;
  for (const auto& n : names) listed += (listed.empty() ? "" : ", ") + n;
  app.add_option("--disable", disable, "diagnostics to turn off (" + listed + ")")
      ->delimiter(',')
      ->check(CLI::IsMember(names));
  app.add_flag("--histograms", o.histograms,
               "--output text: full latency histograms under each row");
  app.add_option("--cgroup-root", cgroup_root, "where the host's /sys/fs/cgroup is mounted");
  app.add_option("--proc-root", proc_root, "where the host's /proc is mounted");
  app.add_flag("--verbose,-v", o.verbose, "show libbpf diagnostics on stderr");
  std::string dns_timeout = "5s";
  app.add_option("--dns-timeout", dns_timeout,
                 "count a DNS query without an answer after this long as a timeout");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      app.exit(e);
      return {std::nullopt, 0};
    }
    std::fprintf(stderr, "podtrace-tracer: %s\n", e.what());
    return {std::nullopt, 2};
  }
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "podtrace-tracer: %s\n", msg.c_str());
    return ParseOutcome{std::nullopt, 2};
  };
  if (app.count("--pid")) {
    if (auto ok = validate_pid(pid); !ok) return fail(ok.error());
  }
  o.target.pid = static_cast<int>(pid);
  for (auto [text, field] : {std::pair{&duration, &o.duration_ns},
                             {&interval, &o.interval_ns},
                             {&slow, &o.slow_threshold_ns},
                             {&dns_timeout, &o.dns_timeout_ns}}) {
    auto ns = parse_duration_ns(*text);
    if (!ns) return fail(ns.error());
    *field = *ns;
  }
  if (o.interval_ns < 100'000'000) return fail("--interval must be at least 100ms");
  o.output = output == "text" ? OutputFormat::kText : OutputFormat::kJsonl;
  if (!cgroup_root.empty()) o.roots.cgroup = cgroup_root;
  if (!proc_root.empty()) o.roots.proc = proc_root;
  o.disabled.insert(disable.begin(), disable.end());
  const int kinds = (pid != 0) + !o.target.cgroup.empty() + !o.target.container_ids.empty();
  if (!o.check && kinds != 1)
    return fail("give exactly one of --pid, --cgroup, --container-id (or --check)");
  return {o, 0};
}

}  // namespace podtrace::tracer
