// SPDX-License-Identifier: Apache-2.0
// malloc_setup_test.cpp: the tracer execs itself once with glibc's malloc.hugetlb tunable
// (malloc_setup.h) and still runs as podtrace-tracer, the name `ps`, `pgrep` and the leak checks
// look for; once started it asks for no more huge pages; and a tunable the user set is left
// alone.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "family_args.h"
#include "kernel_test_util.h"

namespace podtrace::tracer::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool huge_pages_can_be_asked_for() {
  const std::string modes = read_file("/sys/kernel/mm/transparent_hugepage/enabled");
  return modes.find("[madvise]") != std::string::npos ||
         modes.find("[always]") != std::string::npos;
}

std::string environment_of(pid_t pid) {
  std::string env = read_file("/proc/" + std::to_string(pid) + "/environ");
  for (char& c : env)
    if (c == '\0') c = '\n';
  return env;
}

std::vector<std::string> fileio_only(const TestCgroup& target) {
  return {"--cgroup", target.v2().string(), "--disable", families_except("fileio")};
}

TEST(MallocSetupTest, ExecsOnceWithHugePageMallocUnderItsOwnName) {
  TestCgroup target("pt-malloc-setup");
  ::unsetenv("GLIBC_TUNABLES");
  TracerProcess tracer(fileio_only(target));
  tracer.wait_for_start();
  const std::string status = read_file("/proc/" + std::to_string(tracer.pid()) + "/status");
  EXPECT_EQ(read_file("/proc/" + std::to_string(tracer.pid()) + "/comm"), "podtrace-tracer\n");
  const std::string env = environment_of(tracer.pid());
  if (huge_pages_can_be_asked_for())
    EXPECT_NE(env.find("GLIBC_TUNABLES=glibc.malloc.hugetlb=1\n"), std::string::npos) << env;
  else
    EXPECT_EQ(env.find("GLIBC_TUNABLES="), std::string::npos) << env;
  // Started: the process asks for no more huge pages (PR_SET_THP_DISABLE).
  EXPECT_NE(status.find("THP_enabled:\t0\n"), std::string::npos) << status;
  EXPECT_EQ(tracer.stop(), 0) << tracer.stderr_text();
}

TEST(MallocSetupTest, LeavesATunableTheUserSetAlone) {
  TestCgroup target("pt-malloc-user");
  ::setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0", 1);
  TracerProcess tracer(fileio_only(target));
  ::unsetenv("GLIBC_TUNABLES");
  tracer.wait_for_start();
  const std::string env = environment_of(tracer.pid());
  EXPECT_NE(env.find("GLIBC_TUNABLES=glibc.malloc.hugetlb=0\n"), std::string::npos) << env;
  EXPECT_EQ(env.find("hugetlb=1"), std::string::npos) << env;
  EXPECT_EQ(tracer.stop(), 0) << tracer.stderr_text();
}

}  // namespace
}  // namespace podtrace::tracer::testing
