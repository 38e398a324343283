// SPDX-License-Identifier: Apache-2.0
// private_files.cpp: checks and reads of files only this user can have written.
#include "private_files.h"

#include <fcntl.h>
#include <unistd.h>

namespace podtrace::tracer {

bool owned_privately(const struct stat& st) {
  return st.st_uid == geteuid() && (st.st_mode & 022) == 0;
}

bool directory_is_private(const std::filesystem::path& dir) {
  struct stat st {};
  return lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && owned_privately(st);
}

std::optional<std::string> read_private_file(const std::filesystem::path& file, size_t max_bytes) {
  if (file.empty() || !directory_is_private(file.parent_path())) return std::nullopt;
  // O_NOFOLLOW: a link planted in our place is not followed; fstat checks what was opened.
  const int fd = open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::string> text;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && owned_privately(st) &&
      static_cast<size_t>(st.st_size) <= max_bytes) {
    text.emplace(max_bytes + 1, '\0');
    size_t got = 0;
    for (ssize_t n;
         got < text->size() && (n = read(fd, text->data() + got, text->size() - got)) > 0;)
      got += static_cast<size_t>(n);
    text->resize(got);
    if (got > max_bytes) text.reset();  // grew since fstat
  }
  close(fd);
  return text;
}

}  // namespace podtrace::tracer
