// SPDX-License-Identifier: Apache-2.0
// target_test.cpp: container-id targets in kubelet-style cgroups, bad input, capabilities, and the
// raw-tracepoint fallback.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include "families.h"
#include "kernel_features.h"
#include "kernel_test_util.h"
#include "options.h"
#include "podtrace_common.h"
#include "session.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;

// Unique per run, so a leftover from a killed run can never be mistaken for ours.
std::string container_id() {
  char prefix[9];
  snprintf(prefix, sizeof(prefix), "%08x", static_cast<unsigned>(getpid()));
  return prefix + std::string("9d2e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b");
}

int do_fsyncs(const fs::path& path, int n) {
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) return 10;
  for (int i = 0; i < n; ++i)
    if (fsync(fd) != 0) return 11;
  close(fd);
  return 0;
}

TEST(TargetTest, FindsAContainerByIdInAKubeletStyleCgroup) {
  // kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid>.slice/cri-containerd-<id>.scope
  TestCgroup pod("kubepods-besteffort-pod1234_5678.slice");
  const std::string kContainerId = container_id();
  const fs::path scope = pod.v2() / ("cri-containerd-" + kContainerId + ".scope");
  fs::create_directory(scope);
  struct ScopeGuard {
    fs::path p;
    ~ScopeGuard() { rmdir(p.c_str()); }
  } guard{scope};

  const fs::path dir = make_temp_dir("podtrace-cid");
  // The container's process lives in the scope, as under containerd.
  Workload container([&] { std::ofstream(scope / "cgroup.procs") << "0" << std::flush; },
                     [&] { return do_fsyncs(dir / "db.wal", 25); });
  TracerProcess tracer({"--container-id", "containerd://" + kContainerId});
  const auto start = tracer.wait_for_start();
  EXPECT_EQ(start["target"]["kind"], "container-id");
  EXPECT_EQ(start["target"]["cgroups"][0]["path"], scope.string());
  container.go();
  ASSERT_EQ(container.wait(), 0);
  tracer.wait_exit();  // the container's cgroup emptied: the tracer ends by itself
  const auto report = tracer.report();
  EXPECT_EQ(report["end_reason"], "target_exited");
  auto file =
      find_entry(report["fileio"]["files"], {{"path", (dir / "db.wal").string()}, {"op", "fsync"}});
  ASSERT_TRUE(file);
  EXPECT_EQ((*file)["count"], 25);
  EXPECT_EQ((*file)["pid"], container.pid());
  fs::remove_all(dir);
}

// More cgroups than the BPF filter compares inline (PT_INLINE_TARGET_CGROUPS): whatever order
// the tracer lists them in, some are found through the filter's hash. Each child's workload does
// its own number of fsyncs, so a cgroup missed or counted twice shows.
TEST(TargetTest, CountsEveryCgroupOfASubtreeLargerThanTheInlineFilter) {
  constexpr int kChildren = PT_INLINE_TARGET_CGROUPS + 4;
  TestCgroup parent("podtrace-many");
  TestCgroup outside("podtrace-many-outside");
  struct Children {
    std::vector<fs::path> dirs;
    ~Children() {
      for (const auto& d : dirs) rmdir(d.c_str());
    }
  } children;
  for (int i = 0; i < kChildren; ++i) {
    children.dirs.push_back(parent.v2() / ("c" + std::to_string(i)));
    fs::create_directory(children.dirs.back());
  }
  const fs::path dir = make_temp_dir("podtrace-many");
  std::vector<std::unique_ptr<Workload>> workloads;
  for (int i = 0; i < kChildren; ++i) {
    const fs::path procs = children.dirs[i] / "cgroup.procs";
    workloads.push_back(std::make_unique<Workload>(
        [procs] { std::ofstream(procs) << "0" << std::flush; },
        [&dir, i] { return do_fsyncs(dir / ("child" + std::to_string(i)), 10 + i); }));
  }
  Workload stranger(outside, [&] { return do_fsyncs(dir / "outside", 20); });

  TracerProcess tracer({"--cgroup", parent.v2().string()});
  const auto start = tracer.wait_for_start();
  EXPECT_EQ(start["target"]["cgroups"].size(), size_t{kChildren + 1});
  stranger.go();
  ASSERT_EQ(stranger.wait(), 0);
  for (auto& w : workloads) w->go();
  for (auto& w : workloads) ASSERT_EQ(w->wait(), 0);
  tracer.wait_exit();  // every child exited: the subtree emptied
  const auto report = tracer.report();
  EXPECT_EQ(report["end_reason"], "target_exited");
  for (int i = 0; i < kChildren; ++i) {
    const auto file =
        find_entry(report["fileio"]["files"],
                   {{"path", (dir / ("child" + std::to_string(i))).string()}, {"op", "fsync"}});
    ASSERT_TRUE(file) << "child " << i;
    EXPECT_EQ((*file)["count"], 10 + i) << "child " << i;
    EXPECT_EQ((*file)["pid"], workloads[i]->pid()) << "child " << i;
  }
  EXPECT_FALSE(find_entry(report["fileio"]["files"], {{"path", (dir / "outside").string()}}));
  fs::remove_all(dir);
}

struct BadInput {
  std::vector<std::string> args;
  int exit_code;
  std::string message;
};

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, OneClearLineAndNonZeroExit) {
  std::vector<std::string> argv{tracer_path()};
  for (const auto& a : GetParam().args) argv.push_back(a);
  const auto r = run_command(argv);
  EXPECT_EQ(r.exit_code, GetParam().exit_code);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(GetParam().message), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Tracer, BadInputTest,
    ::testing::Values(BadInput{{"--pid", "0"}, 2, "invalid --pid 0"},
                      BadInput{{"--pid", "99999999"}, 2, "invalid --pid 99999999"},
                      BadInput{{"--pid", "4194303"}, 1, "process 4194303 does not exist"},
                      BadInput{{"--container-id", "containerd://xyz"},
                               1,
                               "invalid container id \"containerd://xyz\""},
                      BadInput{{"--container-id", std::string(64, 'a')},
                               1,
                               "container " + std::string(64, 'a') + " not found"},
                      BadInput{{"--cgroup", "/etc"}, 1, "is not inside the cgroup v2 tree"},
                      BadInput{{"--cgroup", "../../etc"}, 1, "is not inside the cgroup v2 tree"},
                      BadInput{{"--cgroup", "no-such-cgroup-podtrace"}, 1, "does not exist"},
                      BadInput{{"--pid", "1", "--duration", "ten"}, 2, "invalid duration \"ten\""},
                      BadInput{{"--pid", "1", "--cgroup", "x"}, 2, "give exactly one of"},
                      BadInput{{"--bogus"}, 2, "--bogus"},
                      BadInput{{}, 2, "give exactly one of --pid, --cgroup, --container-id"}));

// Every capability of Linux 6.x; a root shell keeps only what the bounding set still allows.
const std::vector<std::string> kAllCaps = {"cap_chown",
                                           "cap_dac_override",
                                           "cap_dac_read_search",
                                           "cap_fowner",
                                           "cap_fsetid",
                                           "cap_kill",
                                           "cap_setgid",
                                           "cap_setuid",
                                           "cap_setpcap",
                                           "cap_linux_immutable",
                                           "cap_net_bind_service",
                                           "cap_net_broadcast",
                                           "cap_net_admin",
                                           "cap_net_raw",
                                           "cap_ipc_lock",
                                           "cap_ipc_owner",
                                           "cap_sys_module",
                                           "cap_sys_rawio",
                                           "cap_sys_chroot",
                                           "cap_sys_ptrace",
                                           "cap_sys_pacct",
                                           "cap_sys_admin",
                                           "cap_sys_boot",
                                           "cap_sys_nice",
                                           "cap_sys_resource",
                                           "cap_sys_time",
                                           "cap_sys_tty_config",
                                           "cap_mknod",
                                           "cap_lease",
                                           "cap_audit_write",
                                           "cap_audit_control",
                                           "cap_setfcap",
                                           "cap_mac_override",
                                           "cap_mac_admin",
                                           "cap_syslog",
                                           "cap_wake_alarm",
                                           "cap_block_suspend",
                                           "cap_audit_read",
                                           "cap_perfmon",
                                           "cap_bpf",
                                           "cap_checkpoint_restore"};

// Runs `command` as root with every capability outside `keep` dropped from the bounding set.
ProcessResult run_with_only(const std::set<std::string>& keep, const std::string& command) {
  std::string drop;
  for (const auto& c : kAllCaps)
    if (!keep.count(c)) drop += (drop.empty() ? "" : ",") + c;
  return run_command({"capsh", "--drop=" + drop, "--", "-c", command});
}

TEST(CapabilitiesTest, RunsWithOnlyTheDocumentedCapabilities) {
  TestCgroup target("pt-caps-target");
  // The five documented in docs/security.md (CAP_NET_ADMIN is for the cgroup network hooks).
  const auto r = run_with_only(
      {"cap_bpf", "cap_perfmon", "cap_sys_resource", "cap_net_admin", "cap_sys_ptrace"},
      "grep CapEff /proc/self/status >&2; " + tracer_path() + " --cgroup " + target.v2().string() +
          " --duration 1s");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Nothing beyond the five (bits 12, 19, 24, 38, 39; this sandbox may lack 24 already), and
  // certainly CAP_BPF and CAP_PERFMON.
  const auto at = r.err.find("CapEff:\t");
  ASSERT_NE(at, std::string::npos) << r.err;
  const uint64_t eff = std::stoull(r.err.substr(at + 8, 16), nullptr, 16);
  EXPECT_EQ(eff & ~0xc001081000ull, 0u) << std::hex << eff;
  EXPECT_EQ(eff & 0xc000000000ull, 0xc000000000ull) << std::hex << eff;
  EXPECT_NE(r.out.find("\"type\":\"report\""), std::string::npos);
  for (const char* family : {"fileio", "cpu", "process"})
    EXPECT_NE(r.out.find(std::string("\"enabled\":true,\"name\":\"") + family + "\"}"),
              std::string::npos)
        << family << ": " << r.out.substr(0, 600);
}

TEST(CapabilitiesTest, RefusesWithoutThemInOneLine) {
  const auto r = run_with_only({}, tracer_path() + " --pid 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(
      r.err,
      "podtrace-tracer: needs root or CAP_BPF, CAP_PERFMON (plus CAP_SYS_RESOURCE, CAP_NET_ADMIN, "
      "CAP_SYS_PTRACE; see docs/security.md)\n");
}

// Each attach type a family can fall back to, offered alone: the family must use it and still
// count exactly.
class FallbackTest : public ::testing::TestWithParam<std::pair<AttachType, std::string>> {};

TEST_P(FallbackTest, CountsExactlyOnEachFallbackAttachType) {
  const auto& [type, name] = GetParam();
  TestCgroup target("pt-fallback-target");
  const fs::path dir = make_temp_dir("podtrace-fallback");
  Workload traced(target, [&] { return do_fsyncs(dir / "f.dat", 50); });

  FixedKernelFeatures features({{type, true}, {AttachType::kRingbuf, true}});
  SessionOptions options;
  options.target.cgroup = target.v2().string();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FILE* out = fdopen(fds[1], "w");
  int rc = -1;
  std::thread session([&] {
    rc = run_session(options, features, out);
    fclose(out);
  });
  FILE* in = fdopen(fds[0], "r");
  std::vector<nlohmann::json> lines;
  char* buf = nullptr;
  size_t cap = 0;
  while (getline(&buf, &cap, in) > 0) {
    lines.push_back(nlohmann::json::parse(buf));
    if (lines.back()["type"] == "start") traced.go();
  }
  free(buf);
  fclose(in);
  session.join();
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(traced.wait(), 0);
  ASSERT_GE(lines.size(), 2u);
  for (const auto& d : lines.front()["diagnostics"]) {
    if (d["name"] == "fileio" || d["name"] == "cpu" || d["name"] == "process" ||
        d["name"] == "locks" || d["name"] == "memory" || d["name"] == "netdev") {
      EXPECT_EQ(d["enabled"], true) << d.dump();
      EXPECT_EQ(d["attach"], name) << d.dump();
    } else if (d["name"] == "udp") {
      // udp's kfree_skb programs load, its cgroup_skb counters cannot: either is acceptable.
    } else {
      // Network families need cgroup hooks, which this fake kernel lacks: off, with the reason.
      EXPECT_EQ(d["enabled"], false) << d.dump();
      EXPECT_NE(d["reason"].get<std::string>().find("disabled by test"), std::string::npos)
          << d.dump();
    }
  }
  auto file = find_entry(lines.back()["fileio"]["files"],
                         {{"path", (dir / "f.dat").string()}, {"op", "fsync"}});
  ASSERT_TRUE(file);
  EXPECT_EQ((*file)["count"], 50);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Tracer, FallbackTest,
                         ::testing::Values(std::pair{AttachType::kTpBtf, std::string("tp_btf")},
                                           std::pair{AttachType::kRawTp,
                                                     std::string("raw_tracepoint")}));

TEST(FallbackDiagnosticsTest, ExplainsEveryDisabledDiagnostic) {
  TestCgroup target("pt-nofeatures-target");
  FixedKernelFeatures none({});
  SessionOptions options;
  options.target.cgroup = target.v2().string();
  FILE* out = tmpfile();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_session(options, none, out), 1);
  const std::string err = ::testing::internal::GetCapturedStderr();
  fclose(out);
  EXPECT_NE(err.find("fileio diagnostics disabled: tp_btf: disabled by test; raw_tracepoint: "
                     "disabled by test; fentry: disabled by test; tracepoint: disabled by test"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("no diagnostic could start on this kernel"), std::string::npos);
}

}  // namespace
}  // namespace podtrace::tracer::testing

namespace podtrace::tracer::testing {
namespace {

TEST(DisableTest, OnlyTheRequestedFamiliesRunAndTheRestSayWhy) {
  TestCgroup target("pt-disable-target");
  Workload keeper(target, [] { return 0; });
  // cpu has no ring buffer: with every streaming family off the loop must still tick. The list
  // comes from the registry, so a new family cannot slip past this test.
  std::string disabled;
  for (const auto& name : family_names())
    if (name != "cpu" && name != "udp") disabled += (disabled.empty() ? "" : ",") + name;
  TracerProcess tracer(
      {"--cgroup", target.v2().string(), "--disable", disabled, "--duration", "500ms"});
  const auto start = tracer.wait_for_start();
  EXPECT_EQ(tracer.wait_exit(), 0) << tracer.stderr_text();
  for (const auto& d : start["diagnostics"]) {
    if (d["name"] == "cpu") {
      EXPECT_EQ(d["enabled"], true);
    } else if (d["name"] != "udp") {
      EXPECT_EQ(d["enabled"], false) << d.dump();
      EXPECT_EQ(d["reason"], "disabled by --disable") << d.dump();
    }
  }
  const auto report = tracer.report();
  EXPECT_EQ(report["end_reason"], "duration");
  EXPECT_TRUE(report.contains("cpu"));
  EXPECT_FALSE(report.contains("fileio"));
}

}  // namespace
}  // namespace podtrace::tracer::testing
