// SPDX-License-Identifier: Apache-2.0
// tracer_image.cpp: the pinned tracer image of a release.
#include "job/tracer_image.h"

#include <fstream>
#include <regex>

namespace podtrace::plugin {

std::string default_tracer_image_in(const std::filesystem::path& dir, const std::string& fallback) {
  std::ifstream in(dir / "tracer-image");
  std::string line;
  if (!in || !std::getline(in, line)) return fallback;
  // name[:tag]@sha256:<64 hex>, nothing else: the file must not smuggle in arguments.
  static const std::regex pinned(R"([a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64})");
  return std::regex_match(line, pinned) ? line : fallback;
}

std::string installed_tracer_image(const std::string& fallback) {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return fallback;
  return default_tracer_image_in(exe.parent_path(), fallback);
}

}  // namespace podtrace::plugin
