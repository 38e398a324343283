// SPDX-License-Identifier: Apache-2.0
// memcg_state.cpp: parses the memory controller files of both cgroup versions and memory.pressure.
#include "memcg_state.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cgroup_files.h"

namespace podtrace::tracer {

namespace fs = std::filesystem;

namespace {

std::optional<uint64_t> read_number(const fs::path& file) {
  auto word = read_first_word(file);
  if (!word) return std::nullopt;
  try {
    return std::stoull(*word);
  } catch (...) {
    return std::nullopt;
  }
}

// v1 writes "no limit" as PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages); no
// real limit comes near 2^62 bytes.
int64_t v1_limit(uint64_t bytes) {
  return bytes >= (uint64_t{1} << 62) ? -1 : static_cast<int64_t>(bytes);
}

uint64_t since(uint64_t now, uint64_t start) { return now >= start ? now - start : 0; }

}  // namespace

Result<MemcgReading> read_memcg(const fs::path& dir, bool v2) {
  MemcgReading r;
  r.v2 = v2;
  if (v2) {
    auto usage = read_number(dir / "memory.current");
    if (!usage) return make_error("no memory.current in " + dir.string());
    r.usage_bytes = *usage;
    if (auto max = read_first_word(dir / "memory.max"); max && *max != "max") {
      try {
        r.limit_bytes = static_cast<int64_t>(std::stoull(*max));
      } catch (...) {
      }
    }
    r.peak_bytes = read_number(dir / "memory.peak");  // Linux 5.19+
    auto events = read_keyed(dir / "memory.events");
    r.limit_hits = events["max"];
    r.oom_kills = events["oom_kill"];
    r.high_events = events["high"];
    r.oom_events = events["oom"];
  } else {
    auto usage = read_number(dir / "memory.usage_in_bytes");
    if (!usage) return make_error("no memory.usage_in_bytes in " + dir.string());
    r.usage_bytes = *usage;
    if (auto limit = read_number(dir / "memory.limit_in_bytes")) r.limit_bytes = v1_limit(*limit);
    r.peak_bytes = read_number(dir / "memory.max_usage_in_bytes");
    r.limit_hits = read_number(dir / "memory.failcnt").value_or(0);
    auto oom = read_keyed(dir / "memory.oom_control");
    r.oom_kills = oom["oom_kill"];  // Linux 4.13+
    r.under_oom = oom["under_oom"] != 0;
  }
  return r;
}

std::optional<PsiReading> read_memory_pressure(const fs::path& v2_dir) {
  std::ifstream in(v2_dir / "memory.pressure");
  if (!in) return std::nullopt;
  PsiReading p;
  bool some = false;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind, field;
    words >> kind;
    if (kind != "some" && kind != "full") continue;
    while (words >> field) {
      const auto eq = field.find('=');
      if (eq == std::string::npos) continue;
      const std::string key = field.substr(0, eq), value = field.substr(eq + 1);
      try {
        if (key == "avg10") (kind == "some" ? p.some_avg10 : p.full_avg10) = std::stod(value);
        if (key == "total")
          (kind == "some" ? p.some_total_us : p.full_total_us) = std::stoull(value);
      } catch (...) {
      }
    }
    some = some || kind == "some";
  }
  if (!some) return std::nullopt;
  return p;
}

MemcgState memcg_delta(const std::string& cgroup, const MemcgReading& start,
                       const MemcgReading& now, const std::optional<PsiReading>& psi_start,
                       const std::optional<PsiReading>& psi_now) {
  MemcgState s;
  s.cgroup = cgroup;
  s.source = now.v2 ? "cgroup-v2" : "cgroup-v1";
  s.limit_bytes = now.limit_bytes;
  s.usage_start_bytes = start.usage_bytes;
  s.usage_end_bytes = now.usage_bytes;
  s.peak_bytes = now.peak_bytes;
  // Counters only grow, but a cgroup recreated under the same path starts again from zero.
  s.limit_hits = since(now.limit_hits, start.limit_hits);
  s.oom_kills = since(now.oom_kills, start.oom_kills);
  if (now.high_events) s.high_events = since(*now.high_events, start.high_events.value_or(0));
  if (now.oom_events) s.oom_events = since(*now.oom_events, start.oom_events.value_or(0));
  s.under_oom = now.under_oom;
  if (psi_now) {
    MemoryPressure p;
    p.some_avg10 = psi_now->some_avg10;
    p.full_avg10 = psi_now->full_avg10;
    const PsiReading base = psi_start.value_or(PsiReading{});
    p.some_ns = since(psi_now->some_total_us, base.some_total_us) * 1000;
    p.full_ns = since(psi_now->full_total_us, base.full_total_us) * 1000;
    s.pressure = p;
  }
  return s;
}

void MemcgMonitor::watch(const CgroupFs& cgroups, const std::vector<fs::path>& v2_dirs) {
  const bool v2 = cgroups.layout() == CgroupLayout::kUnified;
  for (const auto& v2_dir : v2_dirs) {
    if (resolved_.count(v2_dir)) continue;
    auto dir = cgroups.memory_controller_dir(v2_dir);
    if (!dir) continue;
    // Two v2 cgroups can share a v1 directory (a child runc did not create in v1).
    const bool same_dir = std::any_of(watched_.begin(), watched_.end(),
                                      [&](const Watched& w) { return w.dir == *dir; });
    if (same_dir) {
      resolved_.insert(v2_dir);
      continue;
    }
    auto reading = read_memcg(*dir, v2);
    if (!reading) continue;
    resolved_.insert(v2_dir);
    auto psi = read_memory_pressure(v2_dir);
    watched_.push_back({v2_dir, *dir, v2, *reading, *reading, psi, psi});
  }
}

std::vector<MemcgState> MemcgMonitor::since_start() {
  std::vector<MemcgState> out;
  for (auto& w : watched_) {
    if (auto now = read_memcg(w.dir, w.v2)) w.last = *now;
    if (auto psi = read_memory_pressure(w.v2_dir)) w.psi_last = psi;
    out.push_back(memcg_delta(w.dir.string(), w.start, w.last, w.psi_start, w.psi_last));
  }
  return out;
}

}  // namespace podtrace::tracer
