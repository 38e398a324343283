// SPDX-License-Identifier: Apache-2.0
// cgroup_files.cpp: reads keyed, single-line and single-word cgroup controller files.
#include "cgroup_files.h"

#include <fstream>

namespace podtrace::tracer {

namespace fs = std::filesystem;

std::map<std::string, uint64_t> read_keyed(const fs::path& file) {
  std::map<std::string, uint64_t> out;
  std::ifstream in(file);
  std::string key;
  uint64_t value;
  while (in >> key >> value) out[key] = value;
  return out;
}

std::optional<std::string> read_first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  return line;
}

std::optional<std::string> read_first_word(const fs::path& file) {
  std::ifstream in(file);
  std::string word;
  if (!(in >> word)) return std::nullopt;
  return word;
}

}  // namespace podtrace::tracer
