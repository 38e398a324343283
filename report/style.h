// SPDX-License-Identifier: Apache-2.0
// Terminal colours, off when the output is not a TTY, NO_COLOR is set or TERM=dumb.
#pragma once

#include <string>
#include <string_view>

namespace podtrace {

class Style {
 public:
  explicit Style(bool color) : color_(color) {}

  // The decision for file descriptor `fd` (1 for stdout).
  static bool colors_wanted(int fd);

  bool color() const { return color_; }
  std::string bold(std::string_view s) const { return wrap("1", s); }
  std::string dim(std::string_view s) const { return wrap("2", s); }
  std::string red(std::string_view s) const { return wrap("31", s); }
  std::string yellow(std::string_view s) const { return wrap("33", s); }
  std::string green(std::string_view s) const { return wrap("32", s); }
  std::string cyan(std::string_view s) const { return wrap("36", s); }

 private:
  std::string wrap(const char* code, std::string_view s) const;
  bool color_;
};

}  // namespace podtrace
