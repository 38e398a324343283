// SPDX-License-Identifier: Apache-2.0
// smoke_test.cpp: the smoke check's judgement of a canary report, its canary pod and the
// canary's `done` line. The end-to-end run against the local cluster is in e2e-plugin-cri.
#include <gtest/gtest.h>

#include "kube/access_review.h"
#include "sections/dns.h"
#include "sections/fileio.h"
#include "smoke/canary.h"
#include "smoke/smoke_checks.h"

namespace podtrace::plugin {
namespace {

// A report with exactly what the default canary does.
Report canary_report() {
  Report r;
  auto& f = r.get<FileioReport>();
  f.files.push_back({"/tmp/podtrace-canary.dat", 7, "write", 20, 20 * 4096, 0, 0, 0, {}});
  f.files.push_back({"/tmp/podtrace-canary.dat", 7, "fsync", 20, 0, 0, 0, 0, {}});
  f.files.push_back({"/etc/hosts", 7, "read", 3, 300, 0, 0, 0, {}});
  auto& d = r.get<DnsReport>();
  DnsLookupReport lookup;
  lookup.host = "kubernetes.default.svc.cluster.local.";
  lookup.calls = 3;
  d.lookups.push_back(lookup);
  DnsNameReport name;
  name.name = "kubernetes.default.svc.cluster.local";
  name.qtype = "A";
  name.queries = name.answers = 3;
  d.names.push_back(name);
  for (const char* family : {"fileio", "cpu", "dns"})
    r.diagnostics.push_back({family, true, "tracepoint", ""});
  r.kernel.release = "6.18.0";
  for (const char* t :
       {"tracepoint", "uprobe", "cgroup_sockops", "cgroup_skb", "perf_event", "ringbuf"})
    r.kernel.features.push_back({t, true, ""});
  r.kernel.features.push_back({"kprobe", false, "Operation not permitted"});
  return r;
}

const CanaryDone kDone{true, 20, 3, 3};

SmokeCheck row(const std::vector<SmokeCheck>& checks, const std::string& name) {
  for (const auto& c : checks)
    if (c.name == name) return c;
  static const SmokeCheck missing{"missing", CheckResult::skip, ""};
  return missing;
}

TEST(SmokeChecks, ExactCountsPass) {
  auto checks = check_canary_report(canary_report(), {}, kDone);
  ASSERT_EQ(checks.size(), 5u);
  for (const auto& c : checks) EXPECT_EQ(c.result, CheckResult::pass) << c.name << ": " << c.detail;
  EXPECT_EQ(row(checks, "file-io").detail,
            "20 writes (81920 bytes) and 20 fsyncs of /tmp/podtrace-canary.dat, as done");
  EXPECT_EQ(row(checks, "kernel").detail,
            "6.18.0: tracepoint uprobe cgroup_sockops cgroup_skb perf_event ringbuf (not kprobe)");
}

TEST(SmokeChecks, OneMissingFsyncFails) {
  Report r = canary_report();
  r.find<FileioReport>()->files[1].count = 19;
  const SmokeCheck c = row(check_canary_report(r, {}, kDone), "file-io");
  EXPECT_EQ(c.result, CheckResult::fail);
  EXPECT_EQ(c.detail,
            "the canary did 20 writes (81920 bytes) and 20 fsyncs of /tmp/podtrace-canary.dat; "
            "the report has 20 writes (81920 bytes) and 19 fsyncs");
}

TEST(SmokeChecks, AnUnresolvedNameIsTheClustersDnsNotPodtrace) {
  const SmokeCheck c =
      row(check_canary_report(canary_report(), {}, CanaryDone{true, 20, 3, 0}), "dns");
  EXPECT_EQ(c.result, CheckResult::fail);
  EXPECT_EQ(c.detail,
            "only 0 of the canary's 3 lookups of kubernetes.default.svc.cluster.local. resolved: "
            "give --dns-name a name this cluster's DNS answers");
}

TEST(SmokeChecks, ExtraQueriesFail) {
  Report r = canary_report();
  r.find<DnsReport>()->names[0].queries = 4;
  EXPECT_EQ(row(check_canary_report(r, {}, kDone), "dns").result, CheckResult::fail);
}

TEST(SmokeChecks, ADisabledFamilyFailsWhenTheKernelHasWhatItNeeds) {
  Report r = canary_report();
  r.diagnostics[2] = {"dns", false, "", "uprobe: Permission denied"};
  const SmokeCheck c = row(check_canary_report(r, {}, kDone), "families");
  EXPECT_EQ(c.result, CheckResult::fail);
  EXPECT_EQ(c.detail,
            "disabled although the node's kernel has every attach type they need: dns (uprobe: "
            "Permission denied)");
}

TEST(SmokeChecks, ADisabledFamilyPassesWhenTheKernelLacksABaseAttachType) {
  Report r = canary_report();
  r.kernel.features[1] = {"uprobe", false, "not supported"};
  r.diagnostics[2] = {"dns", false, "", "uprobe: not supported"};
  const SmokeCheck c = row(check_canary_report(r, {}, kDone), "families");
  EXPECT_EQ(c.result, CheckResult::pass);
  EXPECT_EQ(c.detail, "2 of 3 enabled; the kernel lacks uprobe: dns (uprobe: not supported)");
}

TEST(SmokeChecks, AnUntracedCanaryIsNotJudgedOnCounts) {
  auto checks = check_canary_report(canary_report(), {}, CanaryDone{false, 20, 3, 3});
  EXPECT_EQ(row(checks, "canary-workload").result, CheckResult::fail);
  EXPECT_EQ(row(checks, "file-io").name, "missing");
  EXPECT_EQ(row(check_canary_report(canary_report(), {}, std::nullopt), "canary-workload").detail,
            "the canary never said it was done");
}

TEST(SmokeChecks, NoKernelTableFails) {
  Report r = canary_report();
  r.kernel = {};
  EXPECT_EQ(row(check_canary_report(r, {}, kDone), "kernel").result, CheckResult::fail);
}

TEST(Canary, DoneLine) {
  auto done = parse_canary_log(
      "podtrace-canary: waiting for the tracer\n"
      "podtrace-canary: done: traced=yes writes=20 fsyncs=20 bytes=81920 "
      "file=/tmp/podtrace-canary.dat lookups=3 resolved=2 name=x.\n");
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->traced);
  EXPECT_EQ(done->writes, 20);
  EXPECT_EQ(done->lookups, 3);
  EXPECT_EQ(done->resolved, 2);
  EXPECT_FALSE(parse_canary_log("podtrace-canary: waiting for the tracer\n"));
}

TEST(Canary, PodPassesTheRestrictedStandardAndCannotOutliveItsDeadline) {
  CanarySpec spec{"podtrace-canary-abc", "shop", "reg.example/podtrace-tracer:1", {}};
  auto pod = canary_pod_manifest(spec);
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Never");
  EXPECT_EQ(pod["spec"]["activeDeadlineSeconds"], 600);
  const auto& c = pod["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "reg.example/podtrace-tracer:1");
  EXPECT_EQ(c["command"][0], "/usr/bin/podtrace-canary");
  EXPECT_EQ(c["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(c["securityContext"]["capabilities"]["drop"][0], "ALL");
  EXPECT_EQ(c["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
}

TEST(AccessReview, BodyAndDescription) {
  kube::AccessCheck check{"get", "pods", "log", "", "shop"};
  EXPECT_EQ(kube::describe_access(check), "get pods/log in namespace shop");
  EXPECT_EQ(kube::describe_access({"create", "jobs", "", "batch", "shop"}),
            "create jobs.batch in namespace shop");
  auto body = kube::access_review_body(check);
  EXPECT_EQ(body["kind"], "SelfSubjectAccessReview");
  EXPECT_EQ(body["spec"]["resourceAttributes"]["subresource"], "log");
  EXPECT_EQ(body["spec"]["resourceAttributes"]["namespace"], "shop");
}

}  // namespace
}  // namespace podtrace::plugin
