// SPDX-License-Identifier: Apache-2.0
// terminal_safe.cpp: terminal-injection guard: decodes UTF-8 and keeps only code points that cannot
// move the cursor, change colours or reorder text.
#include "terminal_safe.h"

#include <cstdint>

namespace podtrace {
namespace {

constexpr std::string_view kInvalid = "\xEF\xBF\xBD";

bool is_forbidden(uint32_t cp) {
  if (cp < 0x20 || cp == 0x7f) return true;
  if (cp >= 0x80 && cp <= 0x9f) return true;
  // Bidi controls can make "safe.txt" display as something else (Trojan Source).
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
      cp == 0x200f || cp == 0x061c)
    return true;
  return false;
}

// Decodes one code point at text[i]; returns its byte length, or 0 if invalid.
size_t decode_utf8(std::string_view text, size_t i, uint32_t& cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  size_t len;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    cp = c & 0x1f;
    len = 2;
  } else if ((c & 0xf0) == 0xe0) {
    cp = c & 0x0f;
    len = 3;
  } else if ((c & 0xf8) == 0xf0) {
    cp = c & 0x07;
    len = 4;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; k++) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  // Overlong encodings and surrogates are invalid UTF-8.
  static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

}  // namespace

std::string neutralise_for_terminal(std::string_view text, std::string_view replacement) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    size_t len = decode_utf8(text, i, cp);
    if (len == 0) {
      out += kInvalid;
      i++;
      continue;
    }
    if (is_forbidden(cp))
      out += replacement;
    else
      out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace podtrace
