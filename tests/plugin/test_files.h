// SPDX-License-Identifier: Apache-2.0
// Scratch directories and files for plugin tests (no root, removed afterwards).
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace podtrace::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "podtrace-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

  // Writes `contents` to `name` (parent directories created) and returns the full path.
  std::string write(const std::string& name, const std::string& contents,
                    mode_t mode = 0644) const {
    std::filesystem::path p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << contents;
    chmod(p.c_str(), mode);
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace podtrace::testing
