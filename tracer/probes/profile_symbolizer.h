// SPDX-License-Identifier: Apache-2.0
// profile_symbolizer.h: user-space addresses of sampled processes to function names. A process's
// mappings are read from /proc/PID/maps when it first appears in the samples (on the poll tick
// after its first sample), and the binaries they map are opened then, through
// /proc/PID/root (or /proc/PID/map_files for deleted files). Binaries are cached by build id and
// by device and inode, so a library shared by every process of a pod is read once; a process
// that exits later is still symbolised from what was read while it ran.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "probes/profile_elf.h"
#include "probes/profile_maps.h"

namespace podtrace::tracer {

// One symbolised frame.
struct ProfileFrame {
  std::string name;    // function, or "[module]" / "[unknown]" when no symbol holds the address
  std::string module;  // binary or library file name, "[vdso]", "kernel" or a kernel module
  bool kernel = false;
  bool operator==(const ProfileFrame&) const = default;
  auto operator<=>(const ProfileFrame&) const = default;
};

class UserSymbolizer {
 public:
  explicit UserSymbolizer(std::filesystem::path proc_root) : proc_root_(std::move(proc_root)) {}

  // Reads the process's executable mappings and opens the binaries not cached yet. Returns
  // false when the process is gone (or its maps cannot be read).
  bool snapshot(uint32_t pid);
  bool known(uint32_t pid) const { return processes_.count(pid) > 0; }
  // Drops the process's mappings (it has exited); the binaries stay cached for others.
  void forget(uint32_t pid) { processes_.erase(pid); }
  // The frame at `addr` in process `pid`. An address outside every known mapping (a library
  // loaded since the snapshot) re-reads the mappings, at most once per round.
  ProfileFrame resolve(uint32_t pid, uint64_t addr);
  // Starts a round of lookups (one report): each process may be re-read once again.
  void new_round() { ++round_; }
  // Binaries that could not be opened, with why: "path: reason".
  const std::map<std::string, std::string>& open_errors() const { return open_errors_; }
  // ELF files opened and read so far: each binary once, however many processes map it.
  size_t binaries_read() const { return binaries_read_; }

 private:
  struct Process {
    std::vector<ProcMapping> mappings;
    std::vector<std::shared_ptr<ElfSymbols>> binaries;  // parallel to mappings; null: none
    uint64_t round = 0;
  };
  std::shared_ptr<ElfSymbols> binary_for(uint32_t pid, const ProcMapping& m);

  std::filesystem::path proc_root_;
  std::map<uint32_t, Process> processes_;
  std::map<std::pair<uint64_t, uint64_t>, std::shared_ptr<ElfSymbols>> by_inode_;
  std::map<std::string, std::shared_ptr<ElfSymbols>> by_build_id_;
  std::map<std::string, std::string> open_errors_;
  uint64_t round_ = 1;
  size_t binaries_read_ = 0;
};

}  // namespace podtrace::tracer
