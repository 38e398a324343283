// SPDX-License-Identifier: Apache-2.0
// options_test.cpp: the tracer's command line: --syscall-hooks picks fileio's and the futex
// hooks' ladder, and a value outside its two names is one clear line and exit status 2.
#include "options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace podtrace::tracer {
namespace {

ParseOutcome parse(std::vector<std::string> args) {
  args.insert(args.begin(), "podtrace-tracer");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

TEST(OptionsTest, SyscallHooksDefaultToSharedAndTakePerSyscall) {
  auto shared = parse({"--cgroup", "/sys/fs/cgroup/x"});
  ASSERT_TRUE(shared.options);
  EXPECT_EQ(shared.options->syscall_hooks, SyscallHooks::kShared);
  auto per = parse({"--cgroup", "/sys/fs/cgroup/x", "--syscall-hooks", "per-syscall"});
  ASSERT_TRUE(per.options);
  EXPECT_EQ(per.options->syscall_hooks, SyscallHooks::kPerSyscall);
}

TEST(OptionsTest, UnknownSyscallHooksIsOneLineAndExitTwo) {
  ::testing::internal::CaptureStderr();
  auto bad = parse({"--cgroup", "/sys/fs/cgroup/x", "--syscall-hooks", "fentry"});
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(bad.options);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(err.find("--syscall-hooks"), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;
}

TEST(OptionsTest, LaddersPutTheFastStopOrThePerSyscallHooksFirst) {
  EXPECT_EQ(syscall_hook_ladder(SyscallHooks::kShared),
            (std::vector{AttachType::kTpBtf, AttachType::kRawTp, AttachType::kFentry,
                         AttachType::kTracepoint}));
  EXPECT_EQ(syscall_hook_ladder(SyscallHooks::kPerSyscall),
            (std::vector{AttachType::kFentry, AttachType::kTracepoint, AttachType::kTpBtf,
                         AttachType::kRawTp}));
}

}  // namespace
}  // namespace podtrace::tracer
