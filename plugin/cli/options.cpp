// SPDX-License-Identifier: Apache-2.0
// CLI11 registration for `kubectl podtrace`, plus input validation.
#include "cli/options.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include "job/job_spec.h"
#include "job/tracer_image.h"
#include "kube/names.h"
#include "terminal_safe.h"
#include "thresholds.h"
#include "util/duration.h"

namespace podtrace::plugin {

void register_options(CLI::App& app, CliOptions& o) {
  app.add_option("pod", o.pod, "Pod to trace");
  app.add_option("-n,--namespace", o.namespace_,
                 "Namespace of the pod (default: the context's, else \"default\")");
  app.add_option("-l,--selector", o.selector,
                 "Trace every running pod matching this label selector");
  app.add_option("-c,--container", o.container, "Trace only this container (default: all)");
  app.add_option("--kubeconfig", o.kubeconfig,
                 "Path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config)");
  app.add_option("--context", o.context, "Kubeconfig context to use");
  app.add_option("--diagnose", o.diagnose,
                 "Trace for DURATION (e.g. 30s, 2m) and print the report [default: 30s]");
  app.add_flag("--live", o.live,
               "Redraw a compact top-like screen every second while tracing (plain lines when "
               "stdout is not a terminal); the report follows at the end");
  app.add_flag("-f,--follow", o.follow,
               "Print abnormal events live (until Ctrl-C, or --diagnose DURATION)");
  app.add_option("-o,--output", o.output, "Report format")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--histograms", o.histograms,
               "Full latency histograms under each row of the text report");
  app.add_option("--threshold", o.thresholds,
                 "Set a finding's threshold, NAME=VALUE (see docs/usage.md); repeatable");
  app.add_option("--thresholds-file", o.thresholds_file,
                 "A file of NAME=VALUE lines (# comments), applied before --threshold");
  app.add_option("--html", o.html,
                 "Also write the report as one self-contained HTML page to this file");
  app.add_option("--image", o.image,
                 fmt::format("Tracer image [default: {}]", default_tracer_image));
  app.add_flag("--privileged", o.privileged,
               "Run the tracer privileged; --privileged=false adds only BPF, PERFMON, "
               "SYS_RESOURCE, NET_ADMIN, SYS_PTRACE");
  app.add_flag("--keep", o.keep, "Do not delete the tracer Job at the end");
  app.add_option("--start-timeout", o.start_timeout,
                 "How long to wait for the tracer pod to start [default: 60s]");
  app.add_option("--job-namespace", o.job_namespace,
                 "Namespace for the tracer Job (default: the pod's)");
}

Result<SessionOptions> make_session_options(const CliOptions& cli,
                                            const std::string& context_namespace) {
  SessionOptions o;
  if (cli.pod.empty() == cli.selector.empty())
    return make_error(cli.pod.empty() ? "give a pod name or -l/--selector"
                                      : "give a pod name or -l/--selector, not both");
  if (!cli.pod.empty()) {
    auto st = kube::validate_dns1123_subdomain("pod name", cli.pod);
    if (!st) return st.take_error();
  }
  if (!cli.selector.empty()) {
    auto st = kube::validate_label_selector(cli.selector);
    if (!st) return st.take_error();
  }
  o.namespace_ = !cli.namespace_.empty()      ? cli.namespace_
                 : !context_namespace.empty() ? context_namespace
                                              : "default";
  if (auto st = kube::validate_dns1123_label("namespace", o.namespace_); !st)
    return st.take_error();
  if (!cli.job_namespace.empty()) {
    if (auto st = kube::validate_dns1123_label("job namespace", cli.job_namespace); !st)
      return st.take_error();
  }
  if (!cli.container.empty()) {
    if (auto st = kube::validate_dns1123_label("container name", cli.container); !st)
      return st.take_error();
  }
  o.pod = cli.pod;
  o.selector = cli.selector;
  o.container = cli.container;
  o.job_namespace = cli.job_namespace;
  o.image = cli.image.empty() ? installed_tracer_image(default_tracer_image) : cli.image;
  for (char c : o.image) {
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f)
      return make_error(fmt::format("invalid image \"{}\"", sanitize_for_terminal(o.image)));
  }
  o.privileged = cli.privileged;
  o.keep = cli.keep;
  o.follow = cli.follow;
  o.live = cli.live;
  if (o.live && o.follow) return make_error("--live and --follow both use the screen: pick one");
  o.histograms = cli.histograms;
  o.html_path = cli.html;
  // Checked here, so a typo costs no Job; the tracer gets one --threshold per setting.
  DiagnoseThresholds checked;
  if (!cli.thresholds_file.empty()) {
    std::ifstream in(cli.thresholds_file);
    if (!in) return make_error("cannot read --thresholds-file " + cli.thresholds_file);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    if (auto ok = set_thresholds_from_text(checked, text); !ok)
      return make_error(cli.thresholds_file + ": " + ok.error());
    for (const auto& info : threshold_catalogue())
      if (threshold_value(checked, info.name) != threshold_value({}, info.name))
        o.thresholds.push_back(
            fmt::format("{}={}", info.name, threshold_value(checked, info.name)));
  }
  for (const auto& t : cli.thresholds) {
    if (auto ok = set_threshold(checked, t); !ok) return make_error(ok.error());
    o.thresholds.push_back(t);
  }
  o.output = cli.output == "json" ? OutputFormat::json : OutputFormat::text;

  if (!cli.diagnose.empty()) {
    auto d = parse_duration(cli.diagnose);
    if (!d) return make_error("--diagnose: " + d.error());
    o.duration = *d;
    o.report = true;
  } else if (cli.follow) {
    o.duration =
        std::chrono::hours(1);  // until Ctrl-C, bounded so a lost client cannot leak a tracer
    o.report = false;
  }
  auto st = parse_duration(cli.start_timeout);
  if (!st) return make_error("--start-timeout: " + st.error());
  o.start_timeout = *st;
  return o;
}

}  // namespace podtrace::plugin
