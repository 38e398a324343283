// SPDX-License-Identifier: Apache-2.0
// Fuzz target: DNS messages as the tracer parses them in user space (wire format, compression
// pointers), names at every offset, and names in kernel keys.
#include <span>

#include "dns_message.h"
#include "fuzz_support.h"

using namespace podtrace::tracer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> msg(data, size);
  auto parsed = parse_dns_message(msg);
  if (parsed) {
    for (const auto& q : parsed->questions) {
      FUZZ_CHECK(!q.name.empty());
      FUZZ_CHECK(podtrace::fuzz::no_control_chars(q.name));
    }
    FUZZ_CHECK(parsed->answer_names.size() == parsed->answers);
  }
  for (size_t start = 0; start < size && start < 64; ++start) {
    size_t offset = start;
    auto name = read_dns_name(msg, offset);
    if (!name) continue;
    FUZZ_CHECK(offset > start && offset <= size);
    // Text only: non-printable bytes are escaped, so a name cannot carry a terminal escape.
    FUZZ_CHECK(podtrace::fuzz::no_control_chars(*name) && name->find(' ') == std::string::npos);
  }
  for (const bool truncated : {false, true}) {
    const std::string key = decode_key_name(msg, truncated);
    FUZZ_CHECK(!key.empty() && podtrace::fuzz::no_control_chars(key));
  }
  return 0;
}
