// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the tracer's JSON-lines stream as the plugin reads it from the pod log, cut into
// chunks at arbitrary points. However the stream is cut, the records must be the same as when
// it arrives in one piece.
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "stream/jsonl_parser.h"

using namespace podtrace::plugin;

namespace {

struct Parsed {
  std::vector<std::string> records;  // type and data of each record, serialized
  size_t lines = 0, garbage = 0;
};

Parsed parse(std::string_view stream, const std::vector<size_t>& cuts) {
  Parsed out;
  JsonLinesParser parser([&](TracerLine&& line) {
    FUZZ_CHECK(line.data.is_object());
    out.records.push_back(std::to_string(static_cast<int>(line.type)) + line.data.dump());
  });
  size_t at = 0;
  for (const size_t cut : cuts) {
    parser.feed(stream.substr(at, cut - at));
    at = cut;
  }
  parser.feed(stream.substr(at));
  parser.finish();
  out.lines = parser.lines();
  out.garbage = parser.garbage();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte seeds the chunk sizes (1..64 bytes, some empty chunks); the rest is the stream.
  unsigned seed = data[0];
  const std::string_view stream = podtrace::fuzz::as_text(data + 1, size - 1);
  std::vector<size_t> cuts;
  for (size_t at = 0; at < stream.size();) {
    seed = seed * 1103515245u + 12345u;
    at += (seed >> 16) % 65;  // 0: an empty chunk
    if (at < stream.size()) cuts.push_back(at);
  }
  const Parsed whole = parse(stream, {});
  const Parsed chunked = parse(stream, cuts);
  FUZZ_CHECK(whole.records == chunked.records);
  FUZZ_CHECK(whole.lines == chunked.lines);
  FUZZ_CHECK(whole.garbage == chunked.garbage);
  FUZZ_CHECK(whole.records.size() + whole.garbage == whole.lines);

  // A dropped connection mid-line: the partial line is forgotten, nothing else changes.
  JsonLinesParser dropped([](TracerLine&&) {});
  dropped.feed(stream);
  dropped.discard_partial();
  dropped.finish();
  FUZZ_CHECK(dropped.lines() <= whole.lines);
  return 0;
}
