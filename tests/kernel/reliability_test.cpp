// SPDX-License-Identifier: Apache-2.0
// reliability_test.cpp: event floods stay bounded and every dropped event is counted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "kernel_test_util.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;

TEST(ReliabilityTest, AFloodOfErrorsIsCountedExactlyAndEveryDropIsAccounted) {
  TestCgroup target("pt-flood-target");
  const fs::path missing = make_temp_dir("podtrace-flood") / "missing";
  constexpr int kOpens = 200000;
  // Each failed open is an error event; 200k of them overrun the 1 MiB ring buffer between
  // two 100 ms polls.
  Workload flood(target, [&] {
    for (int i = 0; i < kOpens; ++i)
      if (open(missing.c_str(), O_RDONLY) >= 0) return 10;
    return 0;
  });
  TracerProcess tracer({"--cgroup", target.v2().string()});
  ASSERT_EQ(run_under_tracer(tracer, {&flood}), std::vector<int>({0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  auto open_op = find_entry(report["fileio"]["ops"], {{"op", "open"}});
  ASSERT_TRUE(open_op);
  // The in-kernel aggregate is exact whatever the ring buffer did.
  EXPECT_EQ((*open_op)["count"], kOpens);
  EXPECT_EQ((*open_op)["errors"], kOpens);
  const uint64_t streamed = tracer.events("fileio", "error").size();
  const uint64_t lost = report["lost_events"]["ringbuf"].get<uint64_t>() +
                        report["lost_events"]["userspace"].get<uint64_t>();
  EXPECT_EQ(streamed + lost, static_cast<uint64_t>(kOpens));
  EXPECT_GT(lost, 0u) << "the flood did not overrun the ring buffer; the test proves nothing";
  bool reported = false;
  for (const auto& f : report["findings"])
    if (f["title"] == std::to_string(lost) + " events were dropped") reported = true;
  EXPECT_TRUE(reported) << report["findings"].dump();
  fs::remove_all(missing.parent_path());
}

}  // namespace
}  // namespace podtrace::tracer::testing
