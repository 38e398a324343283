// SPDX-License-Identifier: Apache-2.0
// core_btf_cache.h: a minimal copy of the kernel's BTF for the families' CO-RE relocations, made
// once per boot and tracer build by bpftool's `gen min_core_btf`.
//
// libbpf relocates each object against the kernel's whole BTF: for every type a program names,
// it searches all of the kernel's ~150 000 types by name, and it caches nothing across objects.
// Those searches were ~130 ms of a start's CPU (docs/performance.md, start-up). bpftool keeps
// only the types and members the tracer's objects relocate against, with the kernel's offsets
// (10 KB on 6.18); relocated against it, every object loads the same programs. The first start
// of a boot and build makes the copy in the background once its start line is out; later starts
// hand it to libbpf (btf_custom_path). The copy is only a hint: one that is not root's, is
// writable by others, is a link, is too large or does not parse is ignored, and a load that fails
// with it is retried with the kernel's BTF (tracer/probes/skeleton_loader.h).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace podtrace::tracer {

// Where this boot's copy for this build's objects lives: in $PODTRACE_CORE_BTF_CACHE when set
// (empty: no copy), else in /run/podtrace, named by a hash of the boot id and the objects.
// nullopt when there is no cache (no boot id, the variable is empty, or a copy failed this boot).
std::optional<std::filesystem::path> core_btf_cache_file(
    const std::vector<std::span<const unsigned char>>& objects);

// A copy some load failed with (it fell back to the kernel's BTF): renamed to `<file>.failed`,
// which tells the rest of the boot's starts to neither use nor make one (core_btf_cache_file()).
void retire_core_btf(const std::filesystem::path& file);

// True when `file` is a copy the tracer may use: a regular file, not a link, root's (this user's)
// and not writable by others, in a directory of the same kind, at most 1 MiB, that parses as BTF.
bool core_btf_usable(const std::filesystem::path& file);

// bpftool making the copy in the background, at the lowest CPU priority. The destructor kills it
// if it still runs (the next start makes it again) and waits for it.
class CoreBtfMaker {
 public:
  // Starts `bpftool gen min_core_btf` on the kernel's BTF and `objects` (handed over as memfds);
  // its output is checked with core_btf_usable() and renamed to `file`. nullptr when bpftool is
  // not found or cannot be started.
  static std::unique_ptr<CoreBtfMaker> start(
      const std::filesystem::path& file,
      const std::vector<std::span<const unsigned char>>& objects);
  ~CoreBtfMaker();
  CoreBtfMaker(const CoreBtfMaker&) = delete;
  CoreBtfMaker& operator=(const CoreBtfMaker&) = delete;

 private:
  CoreBtfMaker(pid_t pid, std::filesystem::path temp, std::filesystem::path file);
  void reap();

  pid_t pid_;
  std::filesystem::path temp_, file_;
  std::thread waiter_;
};

}  // namespace podtrace::tracer
