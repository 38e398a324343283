// SPDX-License-Identifier: Apache-2.0
// profile_aggregate.cpp: self and inclusive samples per function, folded stacks, bounds.
#include "probes/profile_aggregate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace podtrace::tracer {

namespace {

// ';' separates frames and a newline ends a folded line: neither may come from a name.
std::string folded_frame(const ProfileFrame& f) {
  std::string name = f.name;
  for (char& c : name)
    if (c == ';' || c == '\n' || c == '\r') c = '_';
  return f.kernel ? name + "_[k]" : name;
}

double rounded_share(uint64_t part, uint64_t whole) {
  if (!whole) return 0;
  return std::round(static_cast<double>(part) / static_cast<double>(whole) * 1e4) / 1e4;
}

FunctionKey key_of(const ProfileFrame& f) { return {f.kernel, f.module, f.name}; }

// Where every thread's stack starts: glibc's and musl's process entry, and thread start-up.
bool entry_point(const std::string& name) {
  static const std::set<std::string, std::less<>> names = {"_start",
                                                           "__libc_start_main",
                                                           "__libc_start_call_main",
                                                           "libc_start_main_stage2",
                                                           "start_thread",
                                                           "clone",
                                                           "clone3",
                                                           "__clone",
                                                           "__clone3",
                                                           "thread_start",
                                                           "start"};
  return names.count(name) > 0;
}

void tally(ProcessTally& p, const ProfileStack& s) {
  if (p.comm.empty()) p.comm = s.comm;
  p.samples += s.samples;
  if (cut_short(s)) p.short_user_stacks += s.samples;
  const ProfileFrame* leaf = !s.kernel.empty() ? &s.kernel.front()
                             : !s.user.empty() ? &s.user.front()
                                               : nullptr;
  if (leaf) p.functions[key_of(*leaf)].first += s.samples;
  // A recursive function is on the stack once per sample, however deep.
  std::set<FunctionKey> on_stack;
  for (const auto* frames : {&s.user, &s.kernel})
    for (const auto& f : *frames) on_stack.insert(key_of(f));
  for (const auto& k : on_stack) p.functions[k].second += s.samples;
}

std::vector<ProfileFunction> top_functions(const ProcessTally& p, size_t limit) {
  std::vector<ProfileFunction> all;
  for (const auto& [k, counts] : p.functions) {
    ProfileFunction f;
    f.name = k.name;
    f.module = k.module;
    f.kernel = k.kernel;
    f.self_samples = counts.first;
    f.total_samples = counts.second;
    f.self_share = rounded_share(f.self_samples, p.samples);
    f.total_share = rounded_share(f.total_samples, p.samples);
    all.push_back(std::move(f));
  }
  auto by = [](auto field) {
    return [field](const ProfileFunction& a, const ProfileFunction& b) {
      if (a.*field != b.*field) return a.*field > b.*field;
      return a.name < b.name;
    };
  };
  // The hottest by self time and the hottest with their callees: main() and a dispatcher are
  // worth seeing even though they never sit at the top of a stack.
  std::set<std::pair<std::string, std::string>> keep;
  for (auto field : {&ProfileFunction::self_samples, &ProfileFunction::total_samples}) {
    std::sort(all.begin(), all.end(), by(field));
    for (size_t i = 0; i < std::min(limit, all.size()); ++i)
      if (all[i].total_samples) keep.insert({all[i].module, all[i].name});
  }
  std::erase_if(all, [&](const ProfileFunction& f) { return !keep.count({f.module, f.name}); });
  std::stable_sort(all.begin(), all.end(), [](const ProfileFunction& a, const ProfileFunction& b) {
    if (a.self_samples != b.self_samples) return a.self_samples > b.self_samples;
    if (a.total_samples != b.total_samples) return a.total_samples > b.total_samples;
    return a.name < b.name;
  });
  return all;
}

}  // namespace

bool cut_short(const ProfileStack& s) {
  return s.user_depth > 0 && s.user_depth <= kShortUserStack && !s.user.empty() &&
         !entry_point(s.user.back().name);
}

std::string folded_stack(const ProfileStack& s) {
  std::string out = s.comm.empty() ? fmt::format("pid-{}", s.pid) : s.comm;
  for (char& c : out)
    if (c == ';' || c == '\n' || c == '\r' || c == ' ') c = '_';
  for (auto it = s.user.rbegin(); it != s.user.rend(); ++it) out += ";" + folded_frame(*it);
  for (auto it = s.kernel.rbegin(); it != s.kernel.rend(); ++it) out += ";" + folded_frame(*it);
  return out;
}

void ProfileTables::add(const ProfileStack& s) {
  if (!s.samples) return;
  counted_ += s.samples;
  if (s.without_maps) without_maps_ += s.samples;
  tally(processes_[s.pid], s);
  folded_[folded_stack(s)] += s.samples;
}

void ProfileTables::bound(size_t processes, size_t lines) {
  if (processes_.size() > processes) {
    std::vector<std::pair<uint64_t, uint32_t>> by_samples;
    for (const auto& [pid, t] : processes_) by_samples.emplace_back(t.samples, pid);
    std::stable_sort(by_samples.begin(), by_samples.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t i = processes / 2; i < by_samples.size(); ++i) {
      auto it = processes_.find(by_samples[i].second);
      dropped_short_ += it->second.short_user_stacks;
      processes_.erase(it);
      ++dropped_processes_;
    }
  }
  if (folded_.size() > lines) {
    std::vector<std::pair<std::string, uint64_t>> all(folded_.begin(), folded_.end());
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (size_t i = lines / 2; i < all.size(); ++i) {
      folded_.erase(all[i].first);
      ++dropped_lines_;
      dropped_line_samples_ += all[i].second;
    }
  }
}

ProfileReport ProfileTables::report(const ProfileTotals& totals, const ProfileLimits& limits) && {
  ProfileReport out;
  out.frequency_hz = totals.frequency_hz;
  out.user_stacks_lost = totals.user_lost;
  out.kernel_stacks_lost = totals.kernel_lost;
  out.kernel_symbols = totals.kernel_symbols;
  out.samples = std::max(totals.samples, counted_);
  out.samples_without_maps = without_maps_;
  out.short_user_stacks = dropped_short_;

  for (auto& [pid, tally] : processes_) {
    ProfileProcess p;
    p.pid = pid;
    p.comm = tally.comm;
    p.samples = tally.samples;
    p.short_user_stacks = tally.short_user_stacks;
    out.short_user_stacks += tally.short_user_stacks;
    p.functions = top_functions(tally, limits.functions);
    out.processes.push_back(std::move(p));
  }
  std::stable_sort(
      out.processes.begin(), out.processes.end(),
      [](const ProfileProcess& a, const ProfileProcess& b) { return a.samples > b.samples; });
  out.processes_dropped = dropped_processes_;
  if (out.processes.size() > limits.processes) {
    out.processes_dropped += out.processes.size() - limits.processes;
    out.processes.resize(limits.processes);
  }

  std::vector<std::pair<std::string, uint64_t>> lines(folded_.begin(), folded_.end());
  std::stable_sort(lines.begin(), lines.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  out.folded_dropped_stacks = dropped_lines_;
  out.folded_dropped_samples = dropped_line_samples_;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i < limits.folded) {
      out.folded.push_back(fmt::format("{} {}", lines[i].first, lines[i].second));
    } else {
      out.folded_dropped_stacks++;
      out.folded_dropped_samples += lines[i].second;
    }
  }
  return out;
}

ProfileReport aggregate_profile(const std::vector<ProfileStack>& stacks,
                                const ProfileTotals& totals, const ProfileLimits& limits) {
  ProfileTables tables;
  for (const auto& s : stacks) tables.add(s);
  return std::move(tables).report(totals, limits);
}

}  // namespace podtrace::tracer
