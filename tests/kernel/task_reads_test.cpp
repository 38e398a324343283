// SPDX-License-Identifier: Apache-2.0
// task_reads_test.cpp: the programs read the current task (its cgroup for the target filter, its
// fd table for fileio) through bpf_rdonly_cast() where the kernel has that kfunc, through the BTF
// task pointer elsewhere or with `--no-attach task_cast` (bpf/task_reads.bpf.h). Both ways the
// counts are exact and another cgroup's calls are absent.
#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <linux/btf.h>

#include "cpu.skel.h"
#include "db.skel.h"
#include "dns.skel.h"
#include "fileio.skel.h"
#include "kernel_test_util.h"
#include "locks.skel.h"
#include "memory.skel.h"
#include "netdev.skel.h"
#include "process.skel.h"
#include "profile.skel.h"
#include "tcp.skel.h"
#include "udp.skel.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;

// choose_task_reads() (tracer/probes/skeleton_loader.h) sets the flag only where a skeleton has
// it, so a family that lost it would quietly read through the BTF pointer: every family has it.
template <typename Skel>
constexpr bool has_task_reads_flag = requires(Skel* s) {
  s->rodata->task_reads_cast;
};
static_assert(has_task_reads_flag<cpu_bpf> && has_task_reads_flag<db_bpf> &&
              has_task_reads_flag<dns_bpf> && has_task_reads_flag<fileio_bpf> &&
              has_task_reads_flag<locks_bpf> && has_task_reads_flag<memory_bpf> &&
              has_task_reads_flag<netdev_bpf> && has_task_reads_flag<process_bpf> &&
              has_task_reads_flag<profile_bpf> && has_task_reads_flag<tcp_bpf> &&
              has_task_reads_flag<udp_bpf>);

// The oracle, independent of the tracer's probe: the kernel's BTF names the kfunc.
bool kernel_has_rdonly_cast() {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return false;
  const bool found = btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
  btf__free(vmlinux);
  return found;
}

class TaskReadsTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { dir_ = make_temp_dir("podtrace-task-reads"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_P(TaskReadsTest, TargetFilterAndFileCountsStayExact) {
  const bool cast_allowed = GetParam();
  TestCgroup target("pt-task-reads-target"), other("pt-task-reads-other");
  const fs::path mine = dir_ / "target.wal", theirs = dir_ / "other.wal";
  Workload traced(target, [&] { return write_fsync_loop(mine, 150); });
  Workload untraced(other, [&] { return write_fsync_loop(theirs, 150); });

  std::vector<std::string> args = {"--cgroup", target.v2().string(), "--slow-threshold", "10s"};
  if (!cast_allowed) args.insert(args.end(), {"--no-attach", "task_cast"});
  TracerProcess tracer(args);
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  EXPECT_EQ(tracer.reported_feature_works("task_cast"), cast_allowed && kernel_has_rdonly_cast());

  const auto report = tracer.report();
  const auto files = report["fileio"]["files"];
  auto fsync = find_entry(files, {{"path", mine.string()}, {"op", "fsync"}});
  ASSERT_TRUE(fsync) << files.dump();
  EXPECT_EQ((*fsync)["pid"], traced.pid());
  EXPECT_EQ((*fsync)["count"], 150);
  auto written = find_entry(files, {{"path", mine.string()}, {"op", "write"}});
  ASSERT_TRUE(written) << files.dump();
  EXPECT_EQ((*written)["count"], 150);
  EXPECT_EQ((*written)["bytes"], 150 * 9);
  EXPECT_FALSE(find_entry(files, {{"path", theirs.string()}}));
  EXPECT_EQ(report["lost_events"]["ringbuf"], 0);
}

INSTANTIATE_TEST_SUITE_P(Reads, TaskReadsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("cast_where_the_kernel_has_it")
                                             : std::string("btf_task_pointer");
                         });

}  // namespace
}  // namespace podtrace::tracer::testing
