// SPDX-License-Identifier: Apache-2.0
// options.cpp: CLI11 registration and validation of the tracer's flags.
#include "options.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "families.h"
#include "thresholds.h"

namespace podtrace::tracer {

ParseOutcome parse_options(int argc, char** argv) {
  CLI::App app{
      "podtrace-tracer: eBPF diagnostics for the processes of one pod, container or cgroup"};
  app.set_version_flag("--version", PODTRACE_VERSION);
  SessionOptions o;
  long long pid = 0;
  std::string duration = "0", interval = "5s", slow = "10ms", output = "jsonl", cgroup_root,
              proc_root;
  std::vector<std::string> disable, thresholds;
  std::string thresholds_file;

  auto* target = app.add_option_group("target", "what to trace (exactly one)");
  target->add_option("--pid", pid, "trace the cgroup of this process");
  target->add_option("--cgroup", o.target.cgroup,
                     "trace this cgroup v2 directory and its children");
  target->add_option(
      "--container-id", o.target.container_ids,
      "trace a container (containerd://, cri-o://, docker:// or bare 64-hex id); repeatable");
  app.add_option("--threshold", thresholds,
                 "set a finding's threshold, NAME=VALUE (docs/usage.md lists them); repeatable");
  app.add_option("--thresholds-file", thresholds_file,
                 "a file of NAME=VALUE lines (# comments), applied before --threshold");
  app.add_flag("--follow-restarts", o.target.follow_restarts,
               "with --container-id naming every container of a pod: when one ends and the pod "
               "starts a new container (restartPolicy Always/OnFailure), trace the new one");
  app.add_flag("--check", o.check, "print which attach types and diagnostics work here, then exit");
  app.add_option("--duration", duration, "stop after this long (0: until SIGINT/SIGTERM)");
  app.add_option("--interval", interval, "period of summary lines");
  app.add_option("--slow-threshold", slow, "stream operations slower than this as events");
  app.add_option("--output,-o", output, "jsonl or text")->check(CLI::IsMember({"jsonl", "text"}));
  app.add_option("--event-lines-per-second", o.event_lines_per_s,
                 "stream at most this many event lines a second per family (0: no limit); the "
                 "rest are still counted, and the report says how many were not streamed")
      ->check(CLI::Range(uint64_t{0}, uint64_t{10'000'000}));
  app.add_option("--metrics-addr", o.metrics_addr,
                 "serve Prometheus /metrics on [HOST]:PORT (HOST defaults to 127.0.0.1)");
  app.add_option("--metrics-top", o.metrics_top,
                 "label /metrics by at most this many endpoints, DNS names, paths, statements, "
                 "locks and processes per family; the rest are summed as \"other\"")
      ->check(CLI::Range(size_t{1}, size_t{10000}));
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
  app.add_flag("--time-per-thread", o.time_per_thread,
               "break the pod's time down per thread as well as per process");
  std::vector<std::string> no_attach;
  app.add_option("--no-attach", no_attach,
                 "attach types to treat as unavailable, e.g. fentry,kprobe,tp_btf (each family "
                 "takes its next one; for testing the fallbacks)")
      ->delimiter(',')
      ->check([](const std::string& name) {
        return attach_type_from_name(name) ? std::string() : "unknown attach type " + name;
      });
  std::string syscall_hooks = "shared";
  app.add_option("--syscall-hooks", syscall_hooks,
                 "how fileio and the futex hooks hook syscalls: shared (sys_enter/sys_exit: "
                 "stops in under 100 ms) or per-syscall (fentry or each syscall's tracepoints: "
                 "other syscalls pay less, detaching takes seconds)")
      ->check(CLI::IsMember({"shared", "per-syscall"}));
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
  for (const auto& name : no_attach) o.no_attach.insert(*attach_type_from_name(name));
  o.syscall_hooks = *syscall_hooks_from_name(syscall_hooks);
  if (!thresholds_file.empty()) {
    std::ifstream in(thresholds_file);
    if (!in) return fail("cannot read --thresholds-file " + thresholds_file);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    if (auto ok = set_thresholds_from_text(o.thresholds, text); !ok)
      return fail(thresholds_file + ": " + ok.error());
  }
  for (const auto& t : thresholds)
    if (auto ok = set_threshold(o.thresholds, t); !ok) return fail(ok.error());
  const int kinds = (pid != 0) + !o.target.cgroup.empty() + !o.target.container_ids.empty();
  if (!o.check && kinds != 1)
    return fail("give exactly one of --pid, --cgroup, --container-id (or --check)");
  return {o, 0};
}

}  // namespace podtrace::tracer
