// SPDX-License-Identifier: Apache-2.0
// Fuzz target: SQL text read from the traced process's memory (any bytes, possibly cut at 256)
// through the db family's normaliser and display form, in both dialects.
#include "fuzz_support.h"
#include "probes/db_statement.h"

using namespace podtrace::tracer;

namespace {

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view sql = podtrace::fuzz::as_text(data, size);
  for (const auto dialect : {SqlDialect::kPostgres, SqlDialect::kMySql}) {
    const std::string normalised = normalise_statement(sql, dialect);
    FUZZ_CHECK(normalised.size() <= size);  // literals only shrink
    FUZZ_CHECK(normalised.empty() || (normalised.front() != ' ' && normalised.back() != ' '));
  }
  for (const size_t max_bytes : {size_t{8}, size_t{64}, size_t{200}}) {
    for (const bool truncated : {false, true}) {
      const std::string shown = printable_statement(sql, truncated, max_bytes);
      // At most max_bytes of text plus the "…" mark, no control characters, valid UTF-8.
      FUZZ_CHECK(shown.size() <= max_bytes + 3);
      FUZZ_CHECK(podtrace::fuzz::no_control_chars(shown) && shown.find('\n') == std::string::npos);
      FUZZ_CHECK(valid_utf8(shown));
    }
  }
  return 0;
}
