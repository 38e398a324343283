// SPDX-License-Identifier: Apache-2.0
// SGR colour codes; the only escape sequences the plugin ever prints come from here.
#include "style.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace podtrace {

bool Style::colors_wanted(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fd) == 1;
}

std::string Style::wrap(const char* code, std::string_view s) const {
  if (!color_) return std::string(s);
  std::string out = "\x1b[";
  out += code;
  out += 'm';
  out += s;
  out += "\x1b[0m";
  return out;
}

}  // namespace podtrace
