// SPDX-License-Identifier: Apache-2.0
// fuzz_support.cpp: helpers shared by the fuzz targets.
#include "fuzz_support.h"

#include <unistd.h>

#include <fstream>
#include <system_error>

namespace podtrace::fuzz {

namespace fs = std::filesystem;

std::vector<std::string> split_parts(std::string_view input, size_t n) {
  std::vector<std::string> parts;
  while (parts.size() + 1 < n) {
    const auto nul = input.find('\0');
    if (nul == std::string_view::npos) break;
    parts.emplace_back(input.substr(0, nul));
    input.remove_prefix(nul + 1);
  }
  parts.emplace_back(input);
  return parts;
}

namespace {

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "podtrace-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

const fs::path& scratch_dir() {
  static ScratchDir dir;
  return dir.path;
}

void write_file(const fs::path& dir, const std::string& name, std::string_view text) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

bool no_control_chars(std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

}  // namespace podtrace::fuzz
