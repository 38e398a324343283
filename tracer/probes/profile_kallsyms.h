// SPDX-License-Identifier: Apache-2.0
// profile_kallsyms.h: kernel function names from /proc/kallsyms, read once. Under
// kernel.kptr_restrict, or for a reader without CAP_SYSLOG, every address reads as 0: that is
// detected and said, not turned into wrong names.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace podtrace::tracer {

class KernelSymbols {
 public:
  // Parses the text of /proc/kallsyms (text symbols only: t, T, w, W).
  static KernelSymbols parse(std::string_view text);
  // Reads `path`; on failure the table is empty and status() says why.
  static KernelSymbols load(const std::filesystem::path& path);

  // "" when names resolve; otherwise why kernel frames stay unresolved.
  const std::string& status() const { return status_; }
  struct Function {
    std::string name;    // "vfs_read"; "" when no symbol holds the address
    std::string module;  // "" for the kernel image, else the module ("nf_tables")
  };
  Function function_at(uint64_t addr) const;
  size_t size() const { return symbols_.size(); }

 private:
  // One line of kallsyms; counts the well-formed ones in `lines`.
  void add_line(std::string_view line, size_t& lines);
  void finish(size_t lines);

  // 16 bytes a symbol, the names in one buffer: a kernel has ~120 000 text symbols, which as
  // two std::strings each took 12 MB of the tracer's resident memory (docs/performance.md).
  struct Symbol {
    uint64_t addr;
    uint32_t name;    // offset in names_
    uint16_t length;  // of the name
    uint16_t module;  // index in modules_; 0: the kernel image
  };
  std::vector<Symbol> symbols_;  // by address
  std::string names_;
  std::vector<std::string> modules_{""};
  std::string status_;
};

}  // namespace podtrace::tracer
