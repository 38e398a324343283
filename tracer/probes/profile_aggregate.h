// SPDX-License-Identifier: Apache-2.0
// profile_aggregate.h: symbolised stacks and their sample counts in, the CPU profile section
// out: per process, each function's self and inclusive share, and folded stacks for flame
// graphs. Pure: the probe reads the kernel and resolves names, this decides what the user sees.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "probes/profile_symbolizer.h"
#include "sections/profile.h"

namespace podtrace::tracer {

// One (process, user stack, kernel stack) entry of the kernel's aggregate, symbolised.
struct ProfileStack {
  uint32_t pid = 0;
  std::string comm;
  uint64_t samples = 0;
  std::vector<ProfileFrame> user;    // leaf first
  std::vector<ProfileFrame> kernel;  // leaf first; empty for a sample in user mode
  // Frames the kernel walked in the user stack; 0 when it could not collect one.
  size_t user_depth = 0;
  bool without_maps = false;  // the process exited before its mappings were read
};

struct ProfileTotals {
  uint64_t frequency_hz = 0;
  uint64_t samples = 0;  // every sample of the target, including those no map entry held
  StackLoss user_lost;
  StackLoss kernel_lost;
  std::string kernel_symbols;
};

struct ProfileLimits {
  size_t functions = 15;  // per process, by self and by inclusive samples (the union is shown)
  size_t processes = 20;
  size_t folded = 100;
};

// A user stack this short (1 or 2 frames) that does not end in a thread's entry point means the
// unwinder found no frame pointer chain. (A shallow program's complete stack, main's callee
// under __libc_start_call_main, is short but whole.)
inline constexpr size_t kShortUserStack = 2;
bool cut_short(const ProfileStack& s);

struct FunctionKey {
  bool kernel;
  std::string module;
  std::string name;
  auto operator<=>(const FunctionKey&) const = default;
};

struct ProcessTally {
  std::string comm;
  uint64_t samples = 0;
  uint64_t short_user_stacks = 0;
  std::map<FunctionKey, std::pair<uint64_t, uint64_t>> functions;  // self, total
};

// Symbolised stacks summed per process and per folded line. The probe keeps one for the stacks
// of processes that have exited (taken out of the kernel's map, their caches dropped) and starts
// each report from a copy of it.
class ProfileTables {
 public:
  void add(const ProfileStack& s);
  // Past `processes` processes, the ones with the fewest samples are dropped to half of it, and
  // past `lines` folded lines, the lightest to half of it: both are counted as dropped, as the
  // report's own bounds count theirs, and the sample total stays exact.
  void bound(size_t processes, size_t lines);
  ProfileReport report(const ProfileTotals& totals, const ProfileLimits& limits = {}) &&;

 private:
  std::map<uint32_t, ProcessTally> processes_;
  std::map<std::string, uint64_t> folded_;
  uint64_t counted_ = 0;
  uint64_t without_maps_ = 0;
  uint64_t dropped_processes_ = 0;
  uint64_t dropped_short_ = 0;
  uint64_t dropped_lines_ = 0;
  uint64_t dropped_line_samples_ = 0;
};

ProfileReport aggregate_profile(const std::vector<ProfileStack>& stacks,
                                const ProfileTotals& totals, const ProfileLimits& limits = {});

// "comm;root;...;leaf": user frames, then kernel frames suffixed "_[k]" (flamegraph.pl colours
// them as kernel code).
std::string folded_stack(const ProfileStack& s);

}  // namespace podtrace::tracer
