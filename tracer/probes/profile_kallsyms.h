// SPDX-License-Identifier: Apache-2.0
// profile_kallsyms.h: kernel function names from /proc/kallsyms, read once. Under
// kernel.kptr_restrict, or for a reader without CAP_SYSLOG, every address reads as 0: that is
// detected and said, not turned into wrong names.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
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
  size_t size() const { return addrs_.size(); }

 private:
  // One line of kallsyms; counts the well-formed ones in `lines`.
  void add_line(std::string_view line, size_t& lines);
  void finish(size_t lines);
  void seal_block();
  std::string name_at(uint32_t ordinal) const;

  // 12 bytes a symbol, the names zlib-compressed in blocks of kBlockNames: a kernel has
  // ~120 000 text symbols, whose 2.9 MB of names were most of the tracer's heap
  // (docs/performance.md); a profile looks up a few hundred, each once.
  static constexpr uint32_t kBlockNames = 256;
  std::vector<uint64_t> addrs_;     // sorted
  std::vector<uint32_t> ordinals_;  // each address's symbol, in kallsyms order
  struct Block {
    std::string compressed;
    uint32_t size = 0;  // uncompressed: the names, each ended by '\n'
  };
  std::vector<Block> blocks_;  // symbol n's name is in blocks_[n / kBlockNames]
  std::string pending_;        // the names of the block being filled
  std::vector<std::pair<uint64_t, uint32_t>> loading_;  // address, ordinal, until finish()
  uint32_t count_ = 0;                                  // symbols added
  // Modules come in runs (kallsyms lists each module's symbols together).
  std::vector<std::pair<uint32_t, uint16_t>> module_runs_;  // first ordinal, index in modules_
  std::vector<std::string> modules_{""};
  std::string status_;
};

}  // namespace podtrace::tracer
