// SPDX-License-Identifier: Apache-2.0
// profile_elf.h: one ELF file (executable or shared library) opened for symbol lookups with
// elfutils: its load segments, its build id, and the function at an address of its own address
// space. Symbols come from .symtab, else from a debug file found by build id under the
// process's root (/usr/lib/debug/.build-id/), else from .dynsym.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "probes/profile_maps.h"
#include "result.h"

typedef struct Dwfl Dwfl;
typedef struct Dwfl_Module Dwfl_Module;

namespace podtrace::tracer {

class ElfSymbols {
 public:
  // `path` is opened as given (e.g. /proc/PID/root/usr/lib/libc.so.6); `debug_root` is the
  // directory that stands for "/" when looking for separate debug files; `name` is what frames
  // in this file are attributed to (e.g. "libc.so.6").
  static Result<std::unique_ptr<ElfSymbols>> open(const std::filesystem::path& path,
                                                  const std::filesystem::path& debug_root,
                                                  std::string name);
  ~ElfSymbols();
  ElfSymbols(const ElfSymbols&) = delete;
  ElfSymbols& operator=(const ElfSymbols&) = delete;

  const std::string& name() const { return name_; }
  // Hex, "" when the file has no GNU build id note.
  const std::string& build_id() const { return build_id_; }
  // ET_DYN: a PIE or a shared library, loaded at an address chosen at run time.
  bool position_independent() const { return position_independent_; }
  const std::vector<LoadSegment>& segments() const { return segments_; }
  // The demangled name of the function that holds ELF virtual address `elf_addr`, or "" when
  // no symbol covers it.
  std::string function_at(uint64_t elf_addr) const;

 private:
  ElfSymbols() = default;
  Dwfl* dwfl_ = nullptr;
  Dwfl_Module* module_ = nullptr;
  std::string name_;
  std::string build_id_;
  bool position_independent_ = false;
  std::vector<LoadSegment> segments_;
  std::filesystem::path debug_root_;  // read by the find_debuginfo callback through userdata
};

// "_ZN3foo3barEv" -> "foo::bar()"; anything that is not a C++ name is returned as is.
std::string demangle(const char* name);

}  // namespace podtrace::tracer
