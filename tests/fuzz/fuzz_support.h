// SPDX-License-Identifier: Apache-2.0
// fuzz_support.h: what the fuzz targets share: the libFuzzer entry point's signature, a check
// that aborts (so libFuzzer and the corpus replay both report it), and a scratch directory for
// parsers that read files by path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace podtrace::fuzz {

// A property of the parser that must hold for every input. Not assert(): it stays in every
// build type.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The input cut at NUL bytes into at most `n` parts (missing parts are absent, not empty): one
// input fills several files. /proc and cgroup text files never hold NUL.
std::vector<std::string> split_parts(std::string_view input, size_t n);

// A private directory, made once per process and removed at exit.
const std::filesystem::path& scratch_dir();

// Writes `text` to `dir / name`, creating `dir`.
void write_file(const std::filesystem::path& dir, const std::string& name, std::string_view text);

// The terminal output of a renderer must not hold control characters other than \n and \t
// (an escape sequence from a pod name or a path must never reach the terminal).
bool no_control_chars(std::string_view text);

}  // namespace podtrace::fuzz
