// SPDX-License-Identifier: Apache-2.0
// text.cpp: safe conversion of untrusted text from traced processes.
#include "text.h"

#include <cstring>
#include <string>

namespace podtrace {

std::string c_string(const char* buf, size_t size) {
  return std::string(buf, strnlen(buf, size));
}

std::vector<std::string> split_argv(const char* buf, size_t len) {
  std::vector<std::string> args;
  size_t start = 0;
  for (size_t i = 0; i < len; ++i) {
    if (buf[i] == '\0') {
      args.emplace_back(buf + start, i - start);
      start = i + 1;
    }
  }
  // The kernel copy may cut the last argument short.
  if (start < len) args.emplace_back(buf + start, len - start);
  return args;
}

namespace {

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_unsafe(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    char32_t cp = 0;
    bool valid = len != 0 && i + len <= text.size();
    if (valid) {
      cp = len == 1 ? c : c & (0x7F >> len);
      for (size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(text[i + k]);
        if ((cc & 0xC0) != 0x80) {
          valid = false;
          break;
        }
        cp = (cp << 6) | (cc & 0x3F);
      }
      // Overlong forms and surrogates are invalid UTF-8.
      static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      if (valid && (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) valid = false;
    }
    if (!valid) {
      append_utf8(out, 0xFFFD);
      i += 1;
      continue;
    }
    if (is_unsafe(cp))
      out += '?';
    else
      out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string errno_name(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "E" + std::to_string(err);
}

}  // namespace podtrace
