// SPDX-License-Identifier: Apache-2.0
// CRI log round trip: what a container wrote is what `kubectl logs` gets back, byte for byte.
#include "cri_log.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

using namespace podtrace::cluster;

namespace {

std::string temp_file() {
  char tmpl[] = "/tmp/cri-log-test-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  return tmpl;
}

}  // namespace

TEST(CriLog, RoundTripsPartialAndFullLines) {
  std::string path = temp_file();
  {
    CriLogWriter w(path);
    auto t = Clock::now();
    w.write("hello wor", t);
    w.write("ld\nsecond\nno newline at end", t);
    w.finish(t);
  }
  long long offset = 0;
  auto records = read_records(path, offset);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].content, "hello wor");
  EXPECT_TRUE(records[0].partial);
  EXPECT_EQ(records[1].content, "ld");
  EXPECT_FALSE(records[1].partial);
  EXPECT_TRUE(records[3].partial);
  EXPECT_EQ(render_records(records, {}), "hello world\nsecond\nno newline at end");
  LogOptions tail;
  tail.tail_lines = 2;
  EXPECT_EQ(render_records(records, tail), "second\nno newline at end");
  EXPECT_EQ(offset, static_cast<long long>(std::filesystem::file_size(path)));
  std::filesystem::remove(path);
}

TEST(CriLog, TailAndSince) {
  std::string path = temp_file();
  auto t0 = Clock::now();
  {
    CriLogWriter w(path);
    w.write("one\ntwo\n", t0);
    w.write("three\n", t0 + std::chrono::seconds(10));
  }
  long long offset = 0;
  auto records = read_records(path, offset);
  LogOptions tail;
  tail.tail_lines = 2;
  EXPECT_EQ(render_records(records, tail), "two\nthree\n");
  tail.tail_lines = 0;
  EXPECT_EQ(render_records(records, tail), "");
  LogOptions since;
  since.since_time = t0 + std::chrono::seconds(5);
  EXPECT_EQ(render_records(records, since), "three\n");
  LogOptions stamps;
  stamps.timestamps = true;
  stamps.tail_lines = 1;
  EXPECT_EQ(render_records(records, stamps),
            rfc3339_nano(t0 + std::chrono::seconds(10)) + " three\n");
  std::filesystem::remove(path);
}

TEST(CriLog, ParsesContainerdLines) {
  auto rec = parse_cri_line("2024-05-01T10:00:00.123456789Z stderr F boom");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->stream, "stderr");
  EXPECT_EQ(rec->content, "boom");
  EXPECT_EQ(rfc3339_nano(rec->time), "2024-05-01T10:00:00.123456789Z");
  EXPECT_FALSE(parse_cri_line("garbage"));
}
