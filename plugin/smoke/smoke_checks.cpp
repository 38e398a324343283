// SPDX-License-Identifier: Apache-2.0
#include "smoke/smoke_checks.h"

#include <fmt/format.h>

#include <algorithm>

#include "sections/dns.h"
#include "sections/fileio.h"

namespace podtrace::plugin {

namespace {

SmokeCheck pass(std::string name, std::string detail) {
  return {std::move(name), CheckResult::pass, std::move(detail)};
}
SmokeCheck fail(std::string name, std::string detail) {
  return {std::move(name), CheckResult::fail, std::move(detail)};
}

struct FileTotals {
  uint64_t writes = 0, write_bytes = 0, fsyncs = 0;
};

FileTotals totals_for(const FileioReport& f, const std::string& path) {
  FileTotals t;
  for (const auto& row : f.files) {
    if (row.path != path) continue;
    if (row.op == "write") {
      t.writes += row.count;
      t.write_bytes += row.bytes;
    } else if (row.op == "fsync") {
      t.fsyncs += row.count;
    }
  }
  return t;
}

SmokeCheck check_fileio(const Report& r, const CanaryWorkload& w) {
  const auto* f = r.find<FileioReport>();
  if (!f) return fail("file-io", "the report has no file I/O section");
  const FileTotals t = totals_for(*f, w.file);
  const uint64_t want = static_cast<uint64_t>(w.writes);
  const uint64_t want_bytes = want * CanaryWorkload::kBlockBytes;
  if (t.writes == want && t.write_bytes == want_bytes && t.fsyncs == want)
    return pass("file-io", fmt::format("{} writes ({} bytes) and {} fsyncs of {}, as done", want,
                                       want_bytes, want, w.file));
  return fail("file-io",
              fmt::format("the canary did {} writes ({} bytes) and {} fsyncs of {}; "
                          "the report has {} writes ({} bytes) and {} fsyncs",
                          want, want_bytes, want, w.file, t.writes, t.write_bytes, t.fsyncs));
}

SmokeCheck check_dns(const Report& r, const CanaryWorkload& w, const CanaryDone& done) {
  if (done.resolved != done.lookups)
    return fail("dns", fmt::format("only {} of the canary's {} lookups of {} resolved: give "
                                   "--dns-name a name this cluster's DNS answers",
                                   done.resolved, done.lookups, w.dns_name));
  const auto* d = r.find<DnsReport>();
  if (!d) return fail("dns", "the report has no DNS section");
  std::string wire_name = w.dns_name;
  if (!wire_name.empty() && wire_name.back() == '.') wire_name.pop_back();
  uint64_t calls = 0, queries = 0, answers = 0;
  for (const auto& l : d->lookups)
    if (l.host == w.dns_name) calls += l.calls;
  for (const auto& n : d->names) {
    if (n.name != wire_name || n.qtype != "A") continue;
    queries += n.queries;
    answers += n.answers;
  }
  const uint64_t want = static_cast<uint64_t>(w.lookups);
  if (calls == want && queries == want && answers == want)
    return pass("dns", fmt::format("{} getaddrinfo calls for {}, {} A queries, {} answers", want,
                                   w.dns_name, want, want));
  std::string why = fmt::format(
      "the canary made {} getaddrinfo calls for {} (one A query each); the report has {} calls, "
      "{} queries and {} answers",
      want, w.dns_name, calls, queries, answers);
  if (!d->lookup_status.empty()) why += " (getaddrinfo: " + d->lookup_status + ")";
  return fail("dns", why);
}

std::vector<std::string> working_types(const NodeKernel& k) {
  std::vector<std::string> out;
  for (const auto& f : k.features)
    if (f.works) out.push_back(f.attach);
  return out;
}

SmokeCheck check_families(const Report& r) {
  const auto works = working_types(r.kernel);
  std::vector<std::string> missing_base;
  for (const auto& t : base_attach_types())
    if (std::find(works.begin(), works.end(), t) == works.end()) missing_base.push_back(t);
  std::vector<std::string> failed, limited;
  size_t enabled = 0;
  for (const auto& d : r.diagnostics) {
    if (d.enabled) {
      enabled++;
      continue;
    }
    const std::string line = fmt::format("{} ({})", d.name, d.reason);
    (missing_base.empty() ? failed : limited).push_back(line);
  }
  if (r.diagnostics.empty()) return fail("families", "the report lists no diagnostics");
  if (!failed.empty())
    return fail("families",
                fmt::format("disabled although the node's kernel has every attach type they "
                            "need: {}",
                            fmt::join(failed, "; ")));
  if (!limited.empty())
    return pass("families", fmt::format("{} of {} enabled; the kernel lacks {}: {}", enabled,
                                        r.diagnostics.size(), fmt::join(missing_base, ", "),
                                        fmt::join(limited, "; ")));
  return pass("families", fmt::format("all {} enabled", enabled));
}

SmokeCheck check_kernel(const Report& r) {
  if (r.kernel.features.empty()) return fail("kernel", "the report has no kernel feature table");
  std::vector<std::string> without;
  for (const auto& f : r.kernel.features)
    if (!f.works) without.push_back(f.attach);
  return pass(
      "kernel",
      fmt::format("{}: {}{}", r.kernel.release.empty() ? "?" : r.kernel.release,
                  fmt::join(working_types(r.kernel), " "),
                  without.empty() ? "" : fmt::format(" (not {})", fmt::join(without, " "))));
}

}  // namespace

std::string_view check_result_name(CheckResult r) {
  switch (r) {
    case CheckResult::pass:
      return "pass";
    case CheckResult::fail:
      return "FAIL";
    case CheckResult::skip:
      return "skip";
  }
  return "?";
}

const std::vector<std::string>& base_attach_types() {
  static const std::vector<std::string> types = {"tracepoint", "uprobe",     "cgroup_sockops",
                                                 "cgroup_skb", "perf_event", "ringbuf"};
  return types;
}

std::vector<SmokeCheck> check_canary_report(const Report& report, const CanaryWorkload& workload,
                                            const std::optional<CanaryDone>& done) {
  std::vector<SmokeCheck> checks;
  if (!done) {
    checks.push_back(fail("canary-workload", "the canary never said it was done"));
  } else if (!done->traced) {
    checks.push_back(
        fail("canary-workload", "the canary saw no tracer uprobe in its libc and ran untraced"));
  } else {
    checks.push_back(pass("canary-workload", "started once the tracer's probes were attached"));
    checks.push_back(check_fileio(report, workload));
    checks.push_back(check_dns(report, workload, *done));
  }
  checks.push_back(check_families(report));
  checks.push_back(check_kernel(report));
  return checks;
}

}  // namespace podtrace::plugin
