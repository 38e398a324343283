// SPDX-License-Identifier: Apache-2.0
// process_test.cpp: exec argv, fork, exit codes and killing signals of real children.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel_test_util.h"

namespace podtrace::tracer::testing {
namespace {

// Forks a child that execs `sh -c "exit 3"`, reports its pid through `pid_fd`, and waits.
int exec_exit3(int pid_fd) {
  pid_t child = fork();
  if (child == 0) {
    execl("/bin/sh", "/bin/sh", "-c", "exit 3", nullptr);
    _exit(127);
  }
  if (write(pid_fd, &child, sizeof(child)) != sizeof(child)) return 20;
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 3 ? 0 : 21;
}

TEST(ProcessTest, ReportsExecArgvForkAndExitCode) {
  TestCgroup target("pt-exit-target"), other("pt-exit-other");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Workload traced(target, [&] { return exec_exit3(fds[1]); });
  Workload untraced(other, [&] { return exec_exit3(fds[1]); });
  TracerProcess tracer({"--cgroup", target.v2().string()});
  tracer.wait_for_start();
  traced.go();
  pid_t grandchild = 0;
  ASSERT_EQ(read(fds[0], &grandchild, sizeof(grandchild)), (ssize_t)sizeof(grandchild));
  ASSERT_EQ(traced.wait(), 0);
  untraced.go();
  pid_t other_grandchild = 0;
  ASSERT_EQ(read(fds[0], &other_grandchild, sizeof(other_grandchild)),
            (ssize_t)sizeof(other_grandchild));
  ASSERT_EQ(untraced.wait(), 0);
  close(fds[0]);
  close(fds[1]);
  tracer.stop();

  auto forks = tracer.events("process", "fork");
  ASSERT_EQ(forks.size(), 1u);
  EXPECT_EQ(forks[0]["pid"], traced.pid());
  EXPECT_EQ(forks[0]["child_pid"], grandchild);

  auto execs = tracer.events("process", "exec");
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0]["pid"], grandchild);
  EXPECT_EQ(execs[0]["ppid"], traced.pid());
  EXPECT_EQ(execs[0]["argv"], nlohmann::json({"/bin/sh", "-c", "exit 3"}));

  auto exits = tracer.events("process", "exit");
  auto sh = find_entry(exits, {{"pid", grandchild}});
  ASSERT_TRUE(sh);
  EXPECT_EQ((*sh)["exit_code"], 3);
  EXPECT_EQ((*sh)["signal"], 0);
  EXPECT_EQ((*sh)["oom_killed"], false);
  auto parent = find_entry(exits, {{"pid", traced.pid()}});
  ASSERT_TRUE(parent);
  EXPECT_EQ((*parent)["exit_code"], 0);
  EXPECT_FALSE(find_entry(exits, {{"pid", other_grandchild}}));
  EXPECT_FALSE(find_entry(exits, {{"pid", untraced.pid()}}));

  const auto report = tracer.report();
  EXPECT_EQ(report["process"]["execs"], 1);
  EXPECT_EQ(report["process"]["forks"], 1);
  EXPECT_EQ(report["process"]["exits"], 2);
}

// A shell loop's clean exits do not crowd out a failure: 1100 children exit 0, then one exits 7.
// The report lists the first 10 clean exits of the program, the last of them counting the rest,
// and the failed one; the counts stay exact.
TEST(ProcessTest, AFailureAfterManyCleanExitsIsListed) {
  TestCgroup target("pt-many-exits");
  constexpr int kClean = 1100;  // more than the list ever held
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Workload traced(target, [&] {
    for (int i = 0; i <= kClean; ++i) {
      const pid_t child = fork();
      if (child == 0) _exit(i == kClean ? 7 : 0);
      int status = 0;
      if (waitpid(child, &status, 0) != child) return 20;
      if (i == kClean && write(fds[1], &child, sizeof(child)) != sizeof(child)) return 21;
    }
    return 0;
  });
  TracerProcess tracer({"--cgroup", target.v2().string()});
  tracer.wait_for_start();
  traced.go();
  pid_t failed = 0;
  ASSERT_EQ(read(fds[0], &failed, sizeof(failed)), (ssize_t)sizeof(failed));
  ASSERT_EQ(traced.wait(), 0);
  close(fds[0]);
  close(fds[1]);
  tracer.stop();

  const auto report = tracer.report();
  EXPECT_EQ(report["process"]["forks"], kClean + 1);
  EXPECT_EQ(report["process"]["exits"], kClean + 2);  // the children and the workload
  const auto& exited = report["process"]["exited"];
  size_t clean_rows = 0;
  uint64_t clean_exits = 0;
  for (const auto& x : exited) {
    if (x["exit_code"] != 0 || x["signal"] != 0) continue;
    ++clean_rows;
    clean_exits += x.value("count", uint64_t{1});
  }
  EXPECT_EQ(clean_rows, 10u);
  EXPECT_EQ(clean_exits, uint64_t{kClean + 1});  // the children and the workload
  const auto row = find_entry(exited, {{"pid", failed}});
  ASSERT_TRUE(row) << "lost: " << report["lost_events"].dump() << " exited " << exited.size();
  EXPECT_EQ((*row)["exit_code"], 7);
}

TEST(ProcessTest, ReportsTheKillingSignal) {
  TestCgroup target("pt-signal-target");
  Workload traced(target, [] {
    raise(SIGKILL);
    return 0;
  });
  TracerProcess tracer({"--cgroup", target.v2().string()});
  tracer.wait_for_start();
  traced.go();
  int status = traced.wait();
  ASSERT_TRUE(WIFSIGNALED(status));
  tracer.stop();
  auto exits = tracer.events("process", "exit");
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0]["pid"], traced.pid());
  EXPECT_EQ(exits[0]["signal"], SIGKILL);
}

TEST(ProcessTest, ReportsAnOomKill) {
  TestCgroup target("pt-oom-target");
  target.set_memory_limit(32 << 20);
  Workload traced(target, [] {
    // Touch 256 MiB: the 32 MiB limit makes the OOM killer pick us.
    for (int i = 0; i < 256; ++i) {
      // volatile: the compiler may otherwise drop an allocation nobody reads.
      volatile char* p = static_cast<volatile char*>(malloc(1 << 20));
      if (!p) return 30;
      for (int k = 0; k < (1 << 20); k += 4096) p[k] = 1;
    }
    return 0;
  });
  TracerProcess tracer({"--cgroup", target.v2().string()});
  tracer.wait_for_start();
  traced.go();
  int status = traced.wait();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  tracer.stop();
  auto exits = tracer.events("process", "exit");
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0]["signal"], SIGKILL);
  EXPECT_EQ(exits[0]["oom_killed"], true);
  EXPECT_EQ(tracer.report()["process"]["oom_kills"], 1);
}

}  // namespace
}  // namespace podtrace::tracer::testing
