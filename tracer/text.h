// SPDX-License-Identifier: Apache-2.0
// text.h: handling of text that comes from traced processes (comm, argv, paths): it is data.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace podtrace::tracer {

// A NUL-terminated string from a fixed kernel buffer, never reading past `size`.
std::string c_string(const char* buf, size_t size);

// NUL-separated argv as the kernel copied it from the process's memory.
std::vector<std::string> split_argv(const char* buf, size_t len);

std::string errno_name(int err);

}  // namespace podtrace::tracer
