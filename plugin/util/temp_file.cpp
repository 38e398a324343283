// SPDX-License-Identifier: Apache-2.0
// mkstemp-backed temporary files: mode 0600 from creation, so no window where others can read.
#include "util/temp_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace podtrace::plugin {

Result<TempFile> TempFile::create(std::string_view contents) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = fmt::format("{}/podtrace-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(pattern.data());
  if (fd < 0)
    return make_error(
        fmt::format("cannot create temporary file {}: {}", pattern, std::strerror(errno)));
  TempFile file(pattern);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      close(fd);
      return make_error(fmt::format("cannot write {}: {}", pattern, std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return file;
}

TempFile::TempFile(TempFile&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

TempFile& TempFile::operator=(TempFile&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) unlink(path_.c_str());
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempFile::~TempFile() {
  if (!path_.empty()) unlink(path_.c_str());
}

}  // namespace podtrace::plugin
