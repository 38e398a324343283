// SPDX-License-Identifier: Apache-2.0
// cgroup_test.cpp: container lookup and /proc/PID/cgroup parsing on fixture trees for every
// runtime and cgroup driver, on pure v2 and on hybrid hosts. No root needed.
#include "cgroup.h"

#include <gtest/gtest.h>

#include <fstream>

#include "target.h"

namespace podtrace::tracer {
namespace {

namespace fs = std::filesystem;

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class FixtureTree {
 public:
  explicit FixtureTree(bool hybrid) {
    std::string tmpl = (fs::temp_directory_path() / "podtrace-cgfix-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
    if (hybrid) {
      v2_ = root_ / "sys/fs/cgroup/unified";
      touch(v2_ / "cgroup.procs");
      fs::create_directories(root_ / "sys/fs/cgroup/cpu,cpuacct");
    } else {
      v2_ = root_ / "sys/fs/cgroup";
      touch(v2_ / "cgroup.controllers");
    }
  }
  ~FixtureTree() { fs::remove_all(root_); }
  HostRoots roots() const { return {root_ / "sys/fs/cgroup", root_ / "proc"}; }
  fs::path add_v2(const std::string& rel) {
    fs::path p = v2_ / rel;
    touch(p / "cgroup.procs");
    return p;
  }
  void add_proc(int pid, const std::string& cgroup_file) {
    fs::create_directories(root_ / "proc" / std::to_string(pid));
    std::ofstream(root_ / "proc" / std::to_string(pid) / "cgroup") << cgroup_file;
  }
  const fs::path& root() const { return root_; }

 private:
  static void touch(const fs::path& p) {
    fs::create_directories(p.parent_path());
    std::ofstream{p};
  }
  fs::path root_;
  fs::path v2_;
};

struct Layout {
  std::string runtime_driver;
  std::string relative;  // where the container's cgroup lives under the v2 root
};

class ContainerLookupTest : public ::testing::TestWithParam<std::tuple<bool, Layout>> {};

TEST_P(ContainerLookupTest, FindsTheContainerCgroup) {
  const auto& [hybrid, layout] = GetParam();
  FixtureTree tree(hybrid);
  const fs::path expected = tree.add_v2(layout.relative);
  // Decoys: another container, and a CRI-O conmon scope for the same id.
  tree.add_v2("kubepods.slice/kubepods-pod11.slice/cri-containerd-" + std::string(64, 'f') +
              ".scope");
  tree.add_v2("kubepods.slice/kubepods-pod11.slice/crio-conmon-" + kId + ".scope");
  CgroupFs cgroups(tree.roots());
  EXPECT_EQ(cgroups.layout(), hybrid ? CgroupLayout::kHybrid : CgroupLayout::kUnified);
  const auto found = cgroups.find_container(kId);
  ASSERT_EQ(found.size(), 1u) << layout.runtime_driver;
  EXPECT_EQ(found[0], expected);

  TargetSpec spec;
  spec.container_ids = {"containerd://" + kId};
  auto target = resolve_target(spec, cgroups);
  ASSERT_TRUE(target) << target.error();
  ASSERT_EQ(target->cgroups.size(), 1u);
  EXPECT_EQ(target->cgroups[0].path, expected);
}

INSTANTIATE_TEST_SUITE_P(
    AllRuntimesAndDrivers, ContainerLookupTest,
    ::testing::Combine(
        ::testing::Bool(),
        ::testing::Values(
            Layout{"containerd-systemd",
                   "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b_3c4d.slice/"
                   "cri-containerd-" +
                       kId + ".scope"},
            Layout{"containerd-cgroupfs", "kubepods/burstable/pod1a2b-3c4d/" + kId},
            Layout{"crio-systemd",
                   "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod9.slice/crio-" +
                       kId + ".scope"},
            Layout{"crio-cgroupfs", "kubepods/besteffort/pod9/crio-" + kId},
            Layout{"docker-systemd", "system.slice/docker-" + kId + ".scope"},
            Layout{"docker-cgroupfs", "docker/" + kId},
            Layout{"guaranteed-qos",
                   "kubepods.slice/kubepods-pod77.slice/cri-containerd-" + kId + ".scope"})));

TEST(CgroupFsTest, ReadsV2AndV1MembershipFromProc) {
  FixtureTree tree(true);
  tree.add_v2("kubepods.slice/pod1/app");
  tree.add_proc(42,
                "12:memory:/kubepods.slice/pod1/app\n4:cpu,cpuacct:/kubepods.slice/pod1/app\n0::/"
                "kubepods.slice/pod1/app\n");
  CgroupFs cgroups(tree.roots());
  auto v2 = cgroups.v2_cgroup_of(42);
  ASSERT_TRUE(v2);
  EXPECT_EQ(*v2, tree.root() / "sys/fs/cgroup/unified/kubepods.slice/pod1/app");
  auto cpu = cgroups.v1_cgroup_of(42, "cpu");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(*cpu, tree.root() / "sys/fs/cgroup/cpu,cpuacct/kubepods.slice/pod1/app");
  EXPECT_FALSE(cgroups.v2_cgroup_of(43));
  EXPECT_EQ(cgroups.v2_cgroup_of(43).error(),
            "cannot read " + (tree.root() / "proc/43/cgroup").string() + ": no such process");
}

TEST(CgroupFsTest, CpuControllerOfAHybridCgroupIsTheSameV1Path) {
  FixtureTree tree(true);
  const auto v2 = tree.add_v2("kubepods.slice/pod1/app");
  fs::create_directories(tree.root() / "sys/fs/cgroup/cpu,cpuacct/kubepods.slice/pod1/app");
  CgroupFs cgroups(tree.roots());
  auto dir = cgroups.cpu_controller_dir(v2);
  ASSERT_TRUE(dir);
  EXPECT_EQ(*dir, tree.root() / "sys/fs/cgroup/cpu,cpuacct/kubepods.slice/pod1/app");
}

TEST(CgroupFsTest, CgroupTargetMustStayInsideTheV2Tree) {
  FixtureTree tree(false);
  tree.add_v2("a/b");
  CgroupFs cgroups(tree.roots());
  TargetSpec spec;
  spec.cgroup = "a/../../../../etc";
  auto t = resolve_target(spec, cgroups);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().find("is not inside the cgroup v2 tree"), std::string::npos);
  spec.cgroup = "a";
  t = resolve_target(spec, cgroups);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->cgroups.size(), 2u);  // a and its child b
}

// A process in a fixture cgroup, with its command line in the fixture /proc.
void run_in(const FixtureTree& tree, const fs::path& cgroup, int pid, const std::string& argv0) {
  std::ofstream(cgroup / "cgroup.procs") << pid << "\n";
  fs::create_directories(tree.root() / "proc" / std::to_string(pid));
  std::ofstream(tree.root() / "proc" / std::to_string(pid) / "cmdline")
      << argv0 << std::string(1, '\0') << "1000" << std::string(1, '\0');
}

TEST(RestartTest, FollowsTheNewContainerWithTheSameCommandInTheSamePod) {
  const std::string kNew(64, 'b'), kSidecar(64, 'c');
  FixtureTree tree(false);
  const fs::path pod = "kubepods/besteffort/pod1";
  run_in(tree, tree.add_v2((pod / "sandbox").string()), 10, "/pause");
  const fs::path old_dir = tree.add_v2((pod / kId).string());
  run_in(tree, old_dir, 20, "sleep");
  run_in(tree, tree.add_v2((pod / kSidecar).string()), 30, "envoy");
  CgroupFs cgroups(tree.roots());
  TargetSpec spec;
  spec.container_ids = {"containerd://" + kId};
  spec.follow_restarts = true;
  auto t = resolve_target(spec, cgroups);
  ASSERT_TRUE(t) << t.error();

  // The container's processes are gone: the trace waits while its pod is there.
  std::ofstream(old_dir / "cgroup.procs");
  EXPECT_TRUE(refresh_target(*t, 1.0));
  EXPECT_TRUE(awaiting_restart(*t));
  fs::remove_all(old_dir);
  EXPECT_TRUE(refresh_target(*t, 1.5));

  // A recreated sandbox is not the container; the new container is taken as soon as its
  // cgroup exists, before the runtime has put a process in it.
  run_in(tree, tree.add_v2((pod / "sandbox2").string()), 35, "/pause");
  EXPECT_TRUE(refresh_target(*t, 2.0));
  EXPECT_TRUE(awaiting_restart(*t));
  const fs::path new_dir = tree.add_v2((pod / kNew).string());
  ASSERT_TRUE(refresh_target(*t, 2.5));
  // Until the runtime starts its process the new container is awaited, not ended.
  EXPECT_TRUE(awaiting_restart(*t));
  EXPECT_TRUE(refresh_target(*t, 2.7));
  EXPECT_EQ(t->restarts.size(), 1u);
  run_in(tree, new_dir, 40, "sleep");
  ASSERT_TRUE(refresh_target(*t, 2.8));
  EXPECT_FALSE(awaiting_restart(*t));
  ASSERT_EQ(t->cgroups.size(), 1u);
  EXPECT_EQ(t->cgroups[0].path, new_dir);
  ASSERT_EQ(t->restarts.size(), 1u);
  EXPECT_EQ(t->restarts[0].old_id, kId.substr(0, 12));
  EXPECT_EQ(t->restarts[0].new_id, kNew.substr(0, 12));
  EXPECT_EQ(t->restarts[0].at_s, 2.5);
  auto findings = restart_findings(*t);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].title, "the traced container restarted during the trace");
  EXPECT_EQ(findings[0].detail,
            "container 0123456789ab ended and its pod started bbbbbbbbbbbb at 2.5 s; the trace "
            "followed the new container (the process section has the old one's exit)");

  // The pod itself goes away: the target exited.
  fs::remove_all(tree.root() / "sys/fs/cgroup" / pod);
  EXPECT_FALSE(refresh_target(*t, 3.0));
  EXPECT_FALSE(awaiting_restart(*t));
}

TEST(RestartTest, WithoutFollowAnEndedContainerEndsTheTarget) {
  FixtureTree tree(false);
  const fs::path dir = tree.add_v2("kubepods/besteffort/pod1/" + kId);
  run_in(tree, dir, 20, "sleep");
  CgroupFs cgroups(tree.roots());
  TargetSpec spec;
  spec.container_ids = {kId};
  auto t = resolve_target(spec, cgroups);
  ASSERT_TRUE(t) << t.error();
  fs::remove_all(dir);
  EXPECT_FALSE(refresh_target(*t, 1.0));
  EXPECT_EQ(target_exit_finding(*t).title, "the traced container ended during the trace");
}

TEST(ContainerIdTest, AcceptsRuntimePrefixesAndRejectsEverythingElse) {
  EXPECT_EQ(*parse_container_id("containerd://" + kId), kId);
  EXPECT_EQ(*parse_container_id("cri-o://" + kId), kId);
  EXPECT_EQ(*parse_container_id("docker://" + kId), kId);
  EXPECT_EQ(*parse_container_id(kId), kId);
  for (const std::string& bad :
       {std::string(""), kId.substr(1), kId + "0", "containerd://" + kId.substr(0, 63) + "g",
        "rkt://" + kId, "../../" + kId.substr(6), std::string(64, 'A')})
    EXPECT_FALSE(parse_container_id(bad)) << bad;
}

TEST(ContainerIdTest, NamesOnlyMatchKnownRuntimePatterns) {
  EXPECT_TRUE(is_container_cgroup_name("cri-containerd-" + kId + ".scope", kId));
  EXPECT_TRUE(is_container_cgroup_name("crio-" + kId, kId));
  EXPECT_FALSE(is_container_cgroup_name("crio-conmon-" + kId + ".scope", kId));
  EXPECT_FALSE(is_container_cgroup_name("x" + kId, kId));
}

TEST(PidTest, ValidatesTheRange) {
  EXPECT_TRUE(validate_pid(1));
  EXPECT_TRUE(validate_pid(4194304));
  EXPECT_FALSE(validate_pid(0));
  EXPECT_FALSE(validate_pid(-5));
  EXPECT_EQ(validate_pid(4194305).error(), "invalid --pid 4194305: must be between 1 and 4194304");
}

}  // namespace
}  // namespace podtrace::tracer
