// SPDX-License-Identifier: Apache-2.0
// The JSON-lines parser against split chunks, garbage and hostile input; terminal sanitizing.
#include "stream/jsonl_parser.h"

#include <gtest/gtest.h>

#include <vector>

#include "terminal_safe.h"

using namespace podtrace;
using namespace podtrace::plugin;

namespace {

struct Collector {
  std::vector<TracerLine> lines;
  JsonLinesParser parser{[this](TracerLine&& l) { lines.push_back(std::move(l)); }};
};

}  // namespace

TEST(JsonLines, ChunksSplitAnywhere) {
  const std::string input =
      "{\"schema_version\":1,\"type\":\"start\",\"ts_ns\":1}\n"
      "{\"schema_version\":1,\"type\":\"event\",\"family\":\"fileio\",\"path\":\"/"
      "d\\u00e9j\\u00e0\"}\r\n"
      "\n"
      "{\"schema_version\":1,\"type\":\"report\",\"duration_s\":1.5}\n";
  // Every split position, and byte-by-byte.
  for (size_t cut = 0; cut <= input.size(); cut++) {
    Collector c;
    c.parser.feed(input.substr(0, cut));
    c.parser.feed(input.substr(cut));
    c.parser.finish();
    ASSERT_EQ(c.lines.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(c.lines[0].type, LineType::start);
    EXPECT_EQ(c.lines[1].type, LineType::event);
    EXPECT_EQ(c.lines[1].data["path"], "/d\xc3\xa9j\xc3\xa0");
    EXPECT_EQ(c.lines[2].type, LineType::report);
    EXPECT_EQ(c.lines[2].data["duration_s"], 1.5);
    EXPECT_EQ(c.parser.garbage(), 0u);
  }
  Collector c;
  for (char ch : input) c.parser.feed(std::string_view(&ch, 1));
  EXPECT_EQ(c.lines.size(), 3u);
}

TEST(JsonLines, GarbageIsCountedAndSkipped) {
  Collector c;
  using namespace std::string_literals;
  c.parser.feed(
      "not json\n[1,2]\n{\"type\":5}\n{\"no\":\"type\"}\n{\"type\":\"event\"\n\x1b[2J\x00\xff\n"
      "{\"type\":\"future-kind\",\"x\":1}\n{\"type\":\"error\",\"message\":\"boom\"}\n"s);
  c.parser.finish();
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.lines[0].type, LineType::unknown);
  EXPECT_EQ(c.lines[1].type, LineType::error);
  EXPECT_EQ(c.lines[1].data["message"], "boom");
  EXPECT_EQ(c.parser.garbage(), 6u);
  EXPECT_EQ(c.parser.lines(), 8u);
}

TEST(JsonLines, LastLineWithoutNewlineAtFinish) {
  Collector c;
  c.parser.feed("{\"type\":\"report\"}");
  EXPECT_TRUE(c.lines.empty());
  c.parser.finish();
  ASSERT_EQ(c.lines.size(), 1u);
}

TEST(JsonLines, DeepNestingAndHugeLinesAreRejected) {
  Collector c;
  std::string deep =
      "{\"type\":\"event\",\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}\n";
  c.parser.feed(deep);
  std::string huge =
      "{\"type\":\"event\",\"x\":\"" + std::string(JsonLinesParser::max_line + 10, 'a') + "\"}\n";
  for (size_t i = 0; i < huge.size(); i += 65536)
    c.parser.feed(std::string_view(huge).substr(i, 65536));
  c.parser.feed("{\"type\":\"summary\"}\n");
  EXPECT_EQ(c.parser.garbage(), 2u);
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.lines[0].type, LineType::summary);
}

TEST(JsonLines, DiscardPartialAfterDrop) {
  Collector c;
  c.parser.feed("{\"type\":\"ev");
  c.parser.discard_partial();
  c.parser.feed("{\"type\":\"event\"}\n");
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.parser.garbage(), 0u);
}

TEST(Sanitize, StripsControlsEscapesAndBidi) {
  EXPECT_EQ(sanitize_for_terminal("plain /etc/x.conf"), "plain /etc/x.conf");
  EXPECT_EQ(sanitize_for_terminal("a\x1b[31mred\x1b[0m\x07"), "a[31mred[0m");
  EXPECT_EQ(sanitize_for_terminal("line1\nline2\ttab\r"), "line1line2tab");
  EXPECT_EQ(sanitize_for_terminal("c1:\xc2\x9b"
                                  "31m"),
            "c1:31m");                                                             // U+009B CSI
  EXPECT_EQ(sanitize_for_terminal("evil\xe2\x80\xaetxt.exe"), "eviltxt.exe");      // U+202E RLO
  EXPECT_EQ(sanitize_for_terminal("iso\xe2\x81\xa6x\xe2\x81\xa9"), "isox");        // U+2066/2069
  EXPECT_EQ(sanitize_for_terminal("bad\xff\xc3"), "bad\xef\xbf\xbd\xef\xbf\xbd");  // invalid UTF-8
  EXPECT_EQ(sanitize_for_terminal("\xc0\x9b"), "\xef\xbf\xbd\xef\xbf\xbd");        // overlong ESC
  EXPECT_EQ(sanitize_for_terminal("ok \xc3\xa9 \xe2\x96\x88"),
            "ok \xc3\xa9 \xe2\x96\x88");  // é █ kept
  EXPECT_EQ(sanitize_for_terminal(std::string("nul\0x", 5)), "nulx");
}
