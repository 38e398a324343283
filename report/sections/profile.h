// SPDX-License-Identifier: Apache-2.0
// sections/profile.h: the CPU profile section: timed samples of the target's stacks, the
// functions that hold each process's CPU, and folded stacks for flame graphs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "section.h"

namespace podtrace {

struct ProfileFunction {
  std::string name;
  std::string module;  // binary or library file name, "kernel", or a kernel module
  bool kernel = false;
  uint64_t self_samples = 0;   // samples with this function at the top of the stack
  uint64_t total_samples = 0;  // samples with this function anywhere on the stack
  double self_share = 0;       // self_samples / the process's samples
  double total_share = 0;      // total_samples / the process's samples
  bool operator==(const ProfileFunction&) const = default;
};

struct ProfileProcess {
  uint32_t pid = 0;
  std::string comm;
  uint64_t samples = 0;
  // Samples whose user stack had 1 or 2 frames and did not reach a thread's entry point: code
  // built without frame pointers.
  uint64_t short_user_stacks = 0;
  std::vector<ProfileFunction> functions;  // most self samples first
  bool operator==(const ProfileProcess&) const = default;
};

// Samples whose stack the kernel could not collect or store, by error.
struct StackLoss {
  uint64_t efault = 0;  // nothing to walk
  uint64_t eexist = 0;  // a kernel stack map's bucket collision: none since stacks are hashed
  uint64_t enomem = 0;  // the stack store full
  uint64_t other = 0;
  uint64_t total() const { return efault + eexist + enomem + other; }
  bool operator==(const StackLoss&) const = default;
};

struct ProfileReport {
  static constexpr std::string_view kKey = "profile";
  static constexpr std::string_view kTitle = "CPU profile";
  uint64_t frequency_hz = 0;  // per CPU
  uint64_t samples = 0;       // of the target, on all CPUs
  uint64_t short_user_stacks = 0;
  // Samples of processes that exited before their mappings could be read: their user frames
  // are unresolved.
  uint64_t samples_without_maps = 0;
  StackLoss user_stacks_lost;
  StackLoss kernel_stacks_lost;
  std::string kernel_symbols;             // "" when kernel frames resolve, else why not
  std::vector<ProfileProcess> processes;  // most samples first
  uint64_t processes_dropped = 0;
  // "comm;root;...;leaf count", root first, kernel frames suffixed "_[k]": flamegraph.pl input.
  std::vector<std::string> folded;  // most samples first
  uint64_t folded_dropped_stacks = 0;
  uint64_t folded_dropped_samples = 0;
  bool operator==(const ProfileReport&) const = default;
};

// The note for a process whose user stacks are mostly too short to trust.
inline constexpr double kShortStackShare = 0.2;
// A function that alone holds at least this share of a process's samples is a finding.
inline constexpr double kHotFunctionShare = 0.5;
// Fewer samples than this (half a second of CPU at 99 Hz) prove nothing about a process.
inline constexpr uint64_t kMinProfileSamples = 50;

void to_json(nlohmann::json& j, const ProfileFunction& f);
void from_json(const nlohmann::json& j, ProfileFunction& f);
void to_json(nlohmann::json& j, const ProfileProcess& p);
void from_json(const nlohmann::json& j, ProfileProcess& p);
void to_json(nlohmann::json& j, const StackLoss& s);
void from_json(const nlohmann::json& j, StackLoss& s);
void to_json(nlohmann::json& j, const ProfileReport& p);
void from_json(const nlohmann::json& j, ProfileReport& p);
void render_section(TextWriter& out, const ProfileReport& p);
void write_section_metrics(MetricsWriter& out, const ProfileReport& p);
void diagnose_section(const ProfileReport& p, const DiagnoseThresholds& t,
                      std::vector<Finding>& out);
// Nothing of the pod seen: the text report folds the section into one line.
bool section_quiet(const ProfileReport& p);

}  // namespace podtrace
