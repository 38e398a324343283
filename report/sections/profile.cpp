// SPDX-License-Identifier: Apache-2.0
// sections/profile.cpp: JSON, text, metrics and findings of the CPU profile section.
#include "sections/profile.h"

#include <fmt/format.h>

#include "json_read.h"
#include "metrics_top.h"
#include "units.h"

namespace podtrace {

void to_json(nlohmann::json& j, const ProfileFunction& f) {
  j = {{"name", f.name},
       {"module", f.module},
       {"kernel", f.kernel},
       {"self_samples", f.self_samples},
       {"total_samples", f.total_samples},
       {"self_share", f.self_share},
       {"total_share", f.total_share}};
}

void from_json(const nlohmann::json& j, ProfileFunction& f) {
  read_field(j, "name", f.name);
  read_field(j, "module", f.module);
  read_field(j, "kernel", f.kernel);
  read_field(j, "self_samples", f.self_samples);
  read_field(j, "total_samples", f.total_samples);
  read_field(j, "self_share", f.self_share);
  read_field(j, "total_share", f.total_share);
}

void to_json(nlohmann::json& j, const ProfileProcess& p) {
  j = {{"pid", p.pid},
       {"comm", p.comm},
       {"samples", p.samples},
       {"short_user_stacks", p.short_user_stacks},
       {"functions", p.functions}};
}

void from_json(const nlohmann::json& j, ProfileProcess& p) {
  read_field(j, "pid", p.pid);
  read_field(j, "comm", p.comm);
  read_field(j, "samples", p.samples);
  read_field(j, "short_user_stacks", p.short_user_stacks);
  read_array(j, "functions", p.functions);
}

void to_json(nlohmann::json& j, const StackLoss& s) {
  j = {{"efault", s.efault}, {"eexist", s.eexist}, {"enomem", s.enomem}, {"other", s.other}};
}

void from_json(const nlohmann::json& j, StackLoss& s) {
  read_field(j, "efault", s.efault);
  read_field(j, "eexist", s.eexist);
  read_field(j, "enomem", s.enomem);
  read_field(j, "other", s.other);
}

void to_json(nlohmann::json& j, const ProfileReport& p) {
  j = {{"frequency_hz", p.frequency_hz},
       {"samples", p.samples},
       {"short_user_stacks", p.short_user_stacks},
       {"samples_without_maps", p.samples_without_maps},
       {"user_stacks_lost", p.user_stacks_lost},
       {"kernel_stacks_lost", p.kernel_stacks_lost},
       {"kernel_symbols", p.kernel_symbols},
       {"processes", p.processes},
       {"processes_dropped", p.processes_dropped},
       {"folded", p.folded},
       {"folded_dropped_stacks", p.folded_dropped_stacks},
       {"folded_dropped_samples", p.folded_dropped_samples}};
}

namespace {

// Lenient like read_array: elements that are not strings are skipped.
void read_strings(const nlohmann::json& j, std::string_view key, std::vector<std::string>& out) {
  const auto* v = json_member(j, key);
  if (!v || !v->is_array()) return;
  out.clear();
  for (const auto& element : *v)
    if (element.is_string()) out.push_back(element.get<std::string>());
}

}  // namespace

void from_json(const nlohmann::json& j, ProfileReport& p) {
  read_field(j, "frequency_hz", p.frequency_hz);
  read_field(j, "samples", p.samples);
  read_field(j, "short_user_stacks", p.short_user_stacks);
  read_field(j, "samples_without_maps", p.samples_without_maps);
  read_object(j, "user_stacks_lost", p.user_stacks_lost);
  read_object(j, "kernel_stacks_lost", p.kernel_stacks_lost);
  read_field(j, "kernel_symbols", p.kernel_symbols);
  read_array(j, "processes", p.processes);
  read_field(j, "processes_dropped", p.processes_dropped);
  read_strings(j, "folded", p.folded);
  read_field(j, "folded_dropped_stacks", p.folded_dropped_stacks);
  read_field(j, "folded_dropped_samples", p.folded_dropped_samples);
}

namespace {

std::string percent(double share) { return fmt::format("{:.1f}%", share * 100); }

double share_of(uint64_t part, uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0;
}

// CPU time that `samples` stand for at `hz` samples per second per CPU.
std::string cpu_time(uint64_t samples, uint64_t hz) {
  return hz ? format_ns(samples * 1'000'000'000ull / hz) : "?";
}

std::string loss_text(const StackLoss& s) {
  return fmt::format(
      "{} EFAULT (nothing to walk), {} EEXIST (map collision), {} ENOMEM (map "
      "full), {} other",
      s.efault, s.eexist, s.enomem, s.other);
}

std::string short_stack_text(const ProfileProcess& p) {
  return fmt::format(
      "{} of {} samples ({}) had a user stack of ≤ 2 frames: build with "
      "-fno-omit-frame-pointer",
      p.short_user_stacks, p.samples, percent(share_of(p.short_user_stacks, p.samples)));
}

// The function a finding can name: one with a symbol, not a placeholder like "[libfoo.so]".
const ProfileFunction* hottest_named(const ProfileProcess& p) {
  const ProfileFunction* best = nullptr;
  for (const auto& f : p.functions)
    if (!f.name.empty() && f.name.front() != '[' && (!best || f.self_samples > best->self_samples))
      best = &f;
  return best;
}

}  // namespace

void render_section(TextWriter& out, const ProfileReport& p) {
  out.section(ProfileReport::kTitle);
  if (p.samples == 0) {
    out.line("no samples: the target did not run on a CPU", Tone::kDim);
    return;
  }
  out.line(fmt::format(
      "{} samples at {} Hz per CPU ({} of CPU), {} with a user stack of ≤ 2 "
      "frames",
      p.samples, p.frequency_hz, cpu_time(p.samples, p.frequency_hz), p.short_user_stacks));
  if (!p.kernel_symbols.empty()) out.line(p.kernel_symbols, Tone::kYellow);
  if (p.user_stacks_lost.total())
    out.line("user stacks not collected: " + loss_text(p.user_stacks_lost), Tone::kYellow);
  if (p.kernel_stacks_lost.total())
    out.line("kernel stacks not collected: " + loss_text(p.kernel_stacks_lost), Tone::kYellow);
  if (p.samples_without_maps)
    out.line(fmt::format("{} samples from processes that exited before their mappings were "
                         "read: their user frames are unresolved",
                         p.samples_without_maps),
             Tone::kYellow);
  for (const auto& proc : p.processes) {
    out.line(fmt::format("pid {} {}: {} samples ({} of CPU)", proc.pid, proc.comm, proc.samples,
                         cpu_time(proc.samples, p.frequency_hz)),
             Tone::kBold);
    if (proc.short_user_stacks)
      out.line(short_stack_text(proc),
               share_of(proc.short_user_stacks, proc.samples) >= kShortStackShare ? Tone::kYellow
                                                                                  : Tone::kDim);
    Table table({{"self"},
                 {"self %"},
                 {"total"},
                 {"total %"},
                 {"function", Table::Align::kLeft},
                 {"module", Table::Align::kLeft}});
    for (const auto& f : proc.functions)
      table.add_row({{std::to_string(f.self_samples)},
                     {percent(f.self_share),
                      f.self_share >= kHotFunctionShare ? Tone::kYellow : Tone::kPlain},
                     {std::to_string(f.total_samples)},
                     {percent(f.total_share)},
                     {f.name},
                     {f.module, Tone::kDim}});
    out.table(table);
  }
  if (p.processes_dropped)
    out.line(fmt::format("… {} more processes with fewer samples", p.processes_dropped),
             Tone::kDim);
  if (p.folded.empty()) return;
  out.line(fmt::format("hottest stacks, root first (the JSON report's `folded` has {} for flame "
                       "graphs; {} more stacks with {} samples dropped)",
                       p.folded.size(), p.folded_dropped_stacks, p.folded_dropped_samples),
           Tone::kDim);
  const size_t shown = std::min(p.folded.size(), out.options().max_rows);
  for (size_t i = 0; i < shown; ++i) out.line(p.folded[i]);
  if (shown < p.folded.size())
    out.line(fmt::format("… {} more", p.folded.size() - shown), Tone::kDim);
}

void write_section_metrics(MetricsWriter& out, const ProfileReport& p) {
  out.family("podtrace_profile_samples_total", "counter",
             "CPU profile samples of the pod's processes, by process.");
  // Bounded: the processes and functions with the most samples keep their labels, the rest are
  // summed as "other".
  std::vector<uint64_t> weights;
  for (const auto& proc : p.processes) weights.push_back(proc.samples);
  const std::vector<bool> keep = top_entities(weights, out.top());
  SummedSeries processes;
  for (size_t i = 0; i < p.processes.size(); ++i) {
    const auto& proc = p.processes[i];
    const Labels l = {{"pid", std::to_string(proc.pid)}, {"comm", proc.comm}};
    processes.add(keep[i] ? l : fold_labels(l, {}), proc.samples);
  }
  processes.write(out, "podtrace_profile_samples_total");
  out.family("podtrace_profile_function_self_samples_total", "counter",
             "Samples with the function at the top of the stack, by process and function.");
  std::vector<uint64_t> fn_weights;
  for (const auto& proc : p.processes)
    for (const auto& f : proc.functions) fn_weights.push_back(f.self_samples);
  const std::vector<bool> keep_fn = top_entities(fn_weights, out.top());
  SummedSeries functions;
  size_t i = 0;
  for (const auto& proc : p.processes)
    for (const auto& f : proc.functions) {
      const Labels l = {{"pid", std::to_string(proc.pid)},
                        {"comm", proc.comm},
                        {"function", f.name},
                        {"module", f.module}};
      functions.add(keep_fn[i++] ? l : fold_labels(l, {}), f.self_samples);
    }
  functions.write(out, "podtrace_profile_function_self_samples_total");
  out.family("podtrace_profile_stacks_lost_total", "counter",
             "Samples whose stack the kernel could not collect, by stack and reason.");
  for (const auto& [stack, loss] :
       {std::pair{"user", &p.user_stacks_lost}, std::pair{"kernel", &p.kernel_stacks_lost}})
    for (const auto& [reason, n] :
         {std::pair{"efault", loss->efault}, std::pair{"eexist", loss->eexist},
          std::pair{"enomem", loss->enomem}, std::pair{"other", loss->other}})
      out.sample("podtrace_profile_stacks_lost_total", {{"stack", stack}, {"reason", reason}}, n);
}

void diagnose_section(const ProfileReport& p, const DiagnoseThresholds& t,
                      std::vector<Finding>& out) {
  for (const auto& proc : p.processes) {
    if (static_cast<double>(proc.samples) < t.profile_min_samples) continue;
    if (const ProfileFunction* f = hottest_named(proc); f && f->self_share >= t.hot_function_share)
      out.push_back(
          {"warning", "profile",
           fmt::format("{} holds {} of the CPU of {} (pid {})", f->name, percent(f->self_share),
                       proc.comm, proc.pid),
           fmt::format("{} of {} samples ({} of CPU) in {} itself, {} with its callees; module "
                       "{}",
                       f->self_samples, proc.samples, cpu_time(f->self_samples, p.frequency_hz),
                       f->name, percent(f->total_share), f->module)});
    if (share_of(proc.short_user_stacks, proc.samples) >= kShortStackShare)
      out.push_back({"info", "profile",
                     fmt::format("{} (pid {}): stacks cut short", proc.comm, proc.pid),
                     short_stack_text(proc)});
  }
}

bool section_quiet(const ProfileReport& p) { return p.samples == 0 && p.processes.empty(); }

}  // namespace podtrace
