// SPDX-License-Identifier: Apache-2.0
// text.cpp: safe conversion of untrusted text from traced processes.
#include "text.h"

#include <cstring>
#include <string>

namespace podtrace::tracer {

std::string c_string(const char* buf, size_t size) { return std::string(buf, strnlen(buf, size)); }

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

std::string errno_name(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "E" + std::to_string(err);
}

}  // namespace podtrace::tracer
