// SPDX-License-Identifier: Apache-2.0
// skeleton_loader.cpp: program selection by attach-type suffix, attaching, loss counters.
#include "probes/skeleton_loader.h"

#include <algorithm>
#include <cerrno>
#include <string_view>

namespace podtrace::tracer {

std::string_view program_suffix(AttachType type) {
  switch (type) {
    case AttachType::kFentry:
      return "_fentry";
    case AttachType::kKprobe:
      return "_kprobe";
    case AttachType::kTpBtf:
      return "_btf";
    case AttachType::kRawTp:
      return "_raw";
    case AttachType::kTracepoint:
      return "_tp";
    case AttachType::kUprobe:
      return "_uprobe";
    case AttachType::kCgroupSockops:
      return "_sockops";
    case AttachType::kCgroupSkb:
      return "_skb";
    case AttachType::kRingbuf:
      return "_ringbuf";
    case AttachType::kPerfEvent:
      return "_perf";
    case AttachType::kUprobeMulti:
      return "_umulti";
    case AttachType::kHashOnDemand:
      return "_on_demand";  // no family's rung: a rule for its maps, not its programs
    case AttachType::kTaskStorage:
      return "_task_storage";  // the same
    case AttachType::kTaskCast:
      return "_task_cast";  // the same
  }
  return "";
}

namespace {

bool has_suffix(const bpf_program* prog, AttachType type) {
  const std::string_view name = bpf_program__name(prog);
  const std::string_view suffix = program_suffix(type);
  return name.size() > suffix.size() && name.ends_with(suffix);
}

// A tail-call target is loaded with its rung but not attached: a section with no target (a
// bare SEC("tracepoint"), which libbpf cannot attach), or a program whose family turned
// autoattach off (fentry needs a function to load at even for a program that only runs as a
// tail call).
bool names_hook(const bpf_program* prog) {
  return std::string_view(bpf_program__section_name(prog)).find('/') != std::string_view::npos &&
         bpf_program__autoattach(prog);
}

}  // namespace

void select_programs(bpf_object* obj, std::optional<AttachType> type) {
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    bpf_program__set_autoload(prog, type && has_suffix(prog, *type));
  }
}

void allocate_hashes_on_demand(bpf_object* obj) {
  bpf_map* map;
  bpf_object__for_each_map(map, obj) {
    // A reused map (the shared activity map) already exists: its creator chose.
    if (bpf_map__type(map) != BPF_MAP_TYPE_HASH || bpf_map__fd(map) >= 0) continue;
    bpf_map__set_map_flags(map, bpf_map__map_flags(map) | BPF_F_NO_PREALLOC);
  }
}

void keep_thread_slots_in_lru_hash(bpf_object* obj) {
  bpf_map* map;
  bpf_object__for_each_map(map, obj) {
    if (bpf_map__type(map) != BPF_MAP_TYPE_TASK_STORAGE) continue;
    bpf_map__set_type(map, BPF_MAP_TYPE_LRU_HASH);
    bpf_map__set_map_flags(map, 0);
    bpf_map__set_max_entries(map, kThreadSlotsInHash);
  }
}

Status attach_selected(bpf_object* obj, AttachType type, std::vector<LinkPtr>& links) {
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    if (!bpf_program__autoload(prog) || !has_suffix(prog, type) || !names_hook(prog)) continue;
    LinkPtr link(bpf_program__attach(prog));
    if (!link) {
      const int err = -errno;
      links.clear();
      return make_error(std::string("attach ") + bpf_program__name(prog) + ": " +
                        libbpf_error(err));
    }
    links.push_back(std::move(link));
  }
  return Ok{};
}

bool write_more_targets(int map_fd, std::span<const uint64_t> more) {
  bool ok = true;
  const uint8_t present = 1;
  for (uint64_t id : more) ok &= bpf_map_update_elem(map_fd, &id, &present, BPF_ANY) == 0;
  // Collect the stale keys first: deleting while walking would restart the walk.
  std::vector<uint64_t> stale;
  uint64_t key = 0;
  for (const uint64_t* prev = nullptr; bpf_map_get_next_key(map_fd, prev, &key) == 0; prev = &key) {
    if (std::find(more.begin(), more.end(), key) == more.end()) stale.push_back(key);
  }
  for (uint64_t id : stale) (void)bpf_map_delete_elem(map_fd, &id);
  return ok;
}

LostCounts read_lost(int lost_map_fd) {
  return {sum_percpu_u64(lost_map_fd, PT_LOST_RINGBUF),
          sum_percpu_u64(lost_map_fd, PT_LOST_MAP_FULL)};
}

}  // namespace podtrace::tracer
