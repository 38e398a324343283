// SPDX-License-Identifier: Apache-2.0
// profile_maps.h: the lines of /proc/PID/maps (and smaps' mapping lines), a process's executable
// mappings, and the translation of a sampled address to an address in the ELF file that is
// mapped there. Pure: unit tests feed it text and program headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace podtrace::tracer {

// One line of /proc/PID/maps.
struct ProcMapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t offset = 0;  // file offset of `start`
  uint64_t dev = 0;     // makedev(major, minor) of the file's device
  uint64_t inode = 0;
  bool readable = false;
  bool writable = false;
  bool exec = false;
  std::string path;      // "" for anonymous memory, "[vdso]", or the path as the process sees it
  bool deleted = false;  // the file was removed or replaced since it was mapped

  bool file_backed() const { return inode != 0 && !path.empty() && path[0] == '/'; }
};

// One mapping line: "7f3a1c000000-7f3a1c021000 r-xp 00002000 fd:01 1234567   /usr/lib/libc.so.6".
// nullopt for any other line (smaps' "Rss:   12 kB" field lines among them).
std::optional<ProcMapping> parse_maps_line(std::string_view line);

// The executable mappings of a maps file, in address order. Lines that do not parse are skipped.
std::vector<ProcMapping> parse_executable_mappings(std::string_view maps_text);

// The mapping that holds `addr`, or nullptr.
const ProcMapping* find_mapping(const std::vector<ProcMapping>& mappings, uint64_t addr);

// A PT_LOAD program header: where a file range lands in the ELF's own address space.
struct LoadSegment {
  uint64_t vaddr = 0;
  uint64_t offset = 0;
  uint64_t filesz = 0;
};

// The ELF virtual address (as in its symbol table) of the byte that `m` maps at `addr`:
// file offset = addr - start + mapping offset, then the PT_LOAD segment that holds that offset
// gives vaddr = offset - p_offset + p_vaddr. This is the same for a PIE or shared library,
// loaded anywhere, and for a fixed-address executable. nullopt when no segment holds it.
std::optional<uint64_t> elf_address(const ProcMapping& m, const std::vector<LoadSegment>& segments,
                                    uint64_t addr);

}  // namespace podtrace::tracer
