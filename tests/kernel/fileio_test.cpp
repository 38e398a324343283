// SPDX-License-Identifier: Apache-2.0
// fileio_test.cpp: exact file I/O counts, paths and pids from real workloads in real cgroups.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel_test_util.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;

int open_missing(const fs::path& path, int n) {
  for (int i = 0; i < n; ++i)
    if (open(path.c_str(), O_RDONLY) >= 0) return 10;
  return 0;
}

class FileioTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("podtrace-fileio"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FileioTest, CountsExactFsyncsPerFileAndIgnoresOtherCgroups) {
  TestCgroup target("pt-fsync-target"), other("pt-fsync-other");
  const fs::path mine = dir_ / "target.wal", theirs = dir_ / "other.wal";
  Workload traced(target, [&] { return write_fsync_loop(mine, 200); });
  Workload untraced(other, [&] { return write_fsync_loop(theirs, 200); });

  TracerProcess tracer({"--cgroup", target.v2().string(), "--slow-threshold", "10s"});
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  const auto ops = report["fileio"]["ops"];
  auto fsync = find_entry(ops, {{"op", "fsync"}});
  ASSERT_TRUE(fsync);
  EXPECT_EQ((*fsync)["count"], 200);
  EXPECT_EQ((*fsync)["errors"], 0);
  EXPECT_EQ((*fsync)["latency"]["count"], 200);
  auto write_op = find_entry(ops, {{"op", "write"}});
  ASSERT_TRUE(write_op);
  EXPECT_EQ((*write_op)["count"], 200);
  EXPECT_EQ((*write_op)["bytes"], 200 * 9);

  const auto files = report["fileio"]["files"];
  auto file = find_entry(files, {{"path", mine.string()}, {"op", "fsync"}});
  ASSERT_TRUE(file) << files.dump();
  EXPECT_EQ((*file)["pid"], traced.pid());
  EXPECT_EQ((*file)["count"], 200);
  auto opened = find_entry(files, {{"path", mine.string()}, {"op", "open"}});
  ASSERT_TRUE(opened);
  EXPECT_EQ((*opened)["count"], 1);
  EXPECT_FALSE(find_entry(files, {{"path", theirs.string()}}));
  EXPECT_EQ(report["lost_events"]["ringbuf"], 0);
}

// Paths are what the file is, not what the program typed: relative opens (against the working
// directory or a directory fd) and files opened before the trace get their full path from the
// kernel's dentries, across mounts (/tmp may be its own).
TEST_F(FileioTest, RelativeAndAlreadyOpenFilesHaveTheirFullPath) {
  TestCgroup target("pt-paths-target");
  const fs::path base = fs::canonical(dir_);
  fs::create_directories(base / "rel" / "sub");
  // Opened before the tracer starts: the child inherits it.
  const int pre = open((base / "pre.dat").c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(pre, 0);
  Workload traced(target, [&] {
    auto fsyncs = [](int fd, int n) {
      for (int i = 0; i < n; i++)
        if (write(fd, "x", 1) != 1 || fsync(fd) != 0) return false;
      return true;
    };
    if (chdir((base / "rel").c_str()) != 0) return 10;
    const int a = open("sub/a.dat", O_CREAT | O_WRONLY, 0600);
    const int dir = open("sub", O_DIRECTORY | O_RDONLY);
    const int b = openat(dir, "b.dat", O_CREAT | O_WRONLY, 0600);
    if (a < 0 || b < 0 || !fsyncs(a, 3) || !fsyncs(b, 2) || !fsyncs(pre, 4)) return 11;
    return 0;
  });
  close(pre);
  TracerProcess tracer({"--cgroup", target.v2().string(), "--slow-threshold", "10s"});
  ASSERT_EQ(run_under_tracer(tracer, {&traced}), std::vector<int>({0}));
  const auto files = tracer.report()["fileio"]["files"];
  for (const auto& [path, n] :
       std::vector<std::pair<fs::path, int>>{{base / "rel" / "sub" / "a.dat", 3},
                                             {base / "rel" / "sub" / "b.dat", 2},
                                             {base / "pre.dat", 4}}) {
    auto row = find_entry(files, {{"path", path.string()}, {"op", "fsync"}});
    ASSERT_TRUE(row) << path << " not in " << files.dump();
    EXPECT_EQ((*row)["count"], n) << path;
  }
  EXPECT_FALSE(find_entry(files, {{"path", "sub/a.dat"}})) << "the typed relative path leaked";
}

TEST_F(FileioTest, StreamsEveryFailedOpenWithPathPidAndErrno) {
  TestCgroup target("pt-enoent-target"), other("pt-enoent-other");
  const fs::path missing = dir_ / "does-not-exist.conf";
  Workload traced(target, [&] { return open_missing(missing, 50); });
  Workload untraced(other, [&] { return open_missing(missing, 50); });

  TracerProcess tracer({"--cgroup", target.v2().string()});
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto errors = tracer.events("fileio", "error");
  ASSERT_EQ(errors.size(), 50u);
  for (const auto& e : errors) {
    EXPECT_EQ(e["op"], "open");
    EXPECT_EQ(e["path"], missing.string());
    EXPECT_EQ(e["pid"], traced.pid());
    EXPECT_EQ(e["errno"], 2);
    EXPECT_EQ(e["error"], "ENOENT");
    EXPECT_EQ(e["cgroup_id"], target.id());
  }
  const auto report = tracer.report();
  auto open_op = find_entry(report["fileio"]["ops"], {{"op", "open"}});
  ASSERT_TRUE(open_op);
  EXPECT_EQ((*open_op)["count"], 50);
  EXPECT_EQ((*open_op)["errors"], 50);
  auto file = find_entry(report["fileio"]["files"], {{"path", missing.string()}, {"op", "open"}});
  ASSERT_TRUE(file);
  EXPECT_EQ((*file)["errors"], 50);
  EXPECT_EQ((*file)["errnos"]["ENOENT"], 50);
  bool found = false;
  for (const auto& f : report["findings"])
    if (f["title"] == "50 of 50 open calls found no such file" && f["severity"] == "info")
      found = true;
  EXPECT_TRUE(found) << report["findings"].dump();
}

TEST_F(FileioTest, SlowThresholdStreamsOnlySlowCalls) {
  TestCgroup target("pt-slow-target");
  const fs::path path = dir_ / "slow.dat";
  // 20 fsyncs, each followed by a 0-threshold comparison: with a 0 ns threshold every call is
  // slow, so exactly 20 fsync slow events must arrive.
  Workload traced(target, [&] { return write_fsync_loop(path, 20); });
  TracerProcess tracer({"--cgroup", target.v2().string(), "--slow-threshold", "0"});
  ASSERT_EQ(run_under_tracer(tracer, {&traced}), std::vector<int>({0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  size_t fsyncs = 0;
  for (const auto& e : tracer.events("fileio", "slow"))
    if (e["op"] == "fsync") {
      ++fsyncs;
      EXPECT_EQ(e["path"], path.string());
      EXPECT_GT(e["latency_ns"].get<uint64_t>(), 0u);
    }
  EXPECT_EQ(fsyncs, 20u);
}

}  // namespace
}  // namespace podtrace::tracer::testing
