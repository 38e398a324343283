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
  struct Symbol {
    uint64_t addr;
    Function function;
  };
  std::vector<Symbol> symbols_;  // by address
  std::string status_;
};

}  // namespace podtrace::tracer
