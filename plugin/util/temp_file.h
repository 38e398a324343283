// SPDX-License-Identifier: Apache-2.0
// A private (0600) temporary file, removed when the object dies. Holds CA PEM data for OpenSSL.
#pragma once

#include <string>
#include <string_view>

#include "result.h"

namespace podtrace::plugin {

class TempFile {
 public:
  static Result<TempFile> create(std::string_view contents);

  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&& other) noexcept;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile();

  const std::string& path() const { return path_; }

 private:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace podtrace::plugin
