// SPDX-License-Identifier: Apache-2.0
// private_files.h: the tracer's per-boot caches are hints that only root may have written: files
// and directories of this user, not writable by others, never followed through a link.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace podtrace::tracer {

// This user's, and not writable by group or others.
bool owned_privately(const struct stat& st);

// A directory (not a link to one) that is owned privately.
bool directory_is_private(const std::filesystem::path& dir);

// The bytes of `file` when it is a regular file (not a link) owned privately, in a private
// directory, of at most `max_bytes`; nullopt otherwise.
std::optional<std::string> read_private_file(const std::filesystem::path& file, size_t max_bytes);

}  // namespace podtrace::tracer
