// SPDX-License-Identifier: Apache-2.0
// cgroup_files.h: readers for the small text files of cgroup controllers (cpu.stat,
// memory.events, cpu.max, memory.max...), shared by the cpu and memory cgroup monitors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace podtrace::tracer {

// "key value" lines (cpu.stat, memory.events, memory.oom_control). Reading stops at the first
// line that is not a key and a number; an absent file gives an empty map, so a counter the
// kernel does not have reads as 0.
std::map<std::string, uint64_t> read_keyed(const std::filesystem::path& file);

// The first line, without its newline: single-value files (cpu.cfs_quota_us) and "quota
// period" (cpu.max). nullopt when the file cannot be read.
std::optional<std::string> read_first_line(const std::filesystem::path& file);

// The first whitespace-separated word: a single value ("max" or a number, as in memory.max)
// whatever whitespace the kernel puts around it.
std::optional<std::string> read_first_word(const std::filesystem::path& file);

}  // namespace podtrace::tracer
