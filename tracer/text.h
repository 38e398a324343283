// SPDX-License-Identifier: Apache-2.0
// text.h: handling of text that comes from traced processes (comm, argv, paths): it is data.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace podtrace {

// A NUL-terminated string from a fixed kernel buffer, never reading past `size`.
std::string c_string(const char* buf, size_t size);

// NUL-separated argv as the kernel copied it from the process's memory.
std::vector<std::string> split_argv(const char* buf, size_t len);

// For terminals: control characters (C0, DEL, C1, and Unicode bidi overrides) become '?',
// invalid UTF-8 becomes U+FFFD, so a traced process cannot move the cursor or recolor output.
std::string terminal_safe(std::string_view text);

std::string errno_name(int err);

}  // namespace podtrace
