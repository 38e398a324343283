// SPDX-License-Identifier: Apache-2.0
// libbpf_util.h: RAII owners for libbpf objects and the errno-to-message boundary.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "podtrace_common.h"

namespace podtrace::tracer {

// libbpf returns -errno; this is where it becomes words.
inline std::string libbpf_error(int err) {
  char buf[128];
  libbpf_strerror(err < 0 ? err : -err, buf, sizeof(buf));
  return buf;
}

struct LinkDeleter {
  void operator()(bpf_link* link) const { bpf_link__destroy(link); }
};
using LinkPtr = std::unique_ptr<bpf_link, LinkDeleter>;

// Owns a generated skeleton: SkeletonPtr<fileio_bpf> p(fileio_bpf__open(), fileio_bpf__destroy).
template <typename Skel>
using SkeletonPtr = std::unique_ptr<Skel, void (*)(Skel*)>;

// Values of one key of a per-CPU map, one per possible CPU.
template <typename T>
std::vector<T> lookup_percpu(int map_fd, uint32_t key) {
  static const int ncpus = libbpf_num_possible_cpus();
  std::vector<T> values(ncpus > 0 ? ncpus : 1);
  if (bpf_map_lookup_elem(map_fd, &key, values.data()) != 0) values.assign(values.size(), T{});
  return values;
}

// Sum of a per-CPU u64 array slot over CPUs.
inline uint64_t sum_percpu_u64(int map_fd, uint32_t key) {
  uint64_t total = 0;
  for (uint64_t v : lookup_percpu<uint64_t>(map_fd, key)) total += v;
  return total;
}

// One row of a per-CPU log-linear histogram array (rows of PT_HIST_SLOTS u64 slots), summed
// over CPUs.
inline std::vector<uint64_t> read_hist_row(int map_fd, uint32_t row) {
  std::vector<uint64_t> slots(PT_HIST_SLOTS);
  for (uint32_t s = 0; s < PT_HIST_SLOTS; ++s)
    slots[s] = sum_percpu_u64(map_fd, row * PT_HIST_SLOTS + s);
  return slots;
}

// A per-CPU pt_op_stats entry, summed over CPUs (max is the max).
inline pt_op_stats sum_op_stats(int map_fd, uint32_t key) {
  pt_op_stats total{};
  for (const auto& s : lookup_percpu<pt_op_stats>(map_fd, key)) {
    total.count += s.count;
    total.bytes += s.bytes;
    total.errors += s.errors;
    total.total_ns += s.total_ns;
    if (s.max_ns > total.max_ns) total.max_ns = s.max_ns;
  }
  return total;
}

// Calls fn(key, value) for every entry of a BPF hash map. An entry deleted between the key walk
// and the lookup is skipped; one added meanwhile may or may not be seen (the kernel's semantics).
template <typename Key, typename Value, typename Fn>
void for_each_map_entry(int map_fd, Fn&& fn) {
  Key key{}, next{};
  Key* prev = nullptr;
  while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    Value value{};
    if (bpf_map_lookup_elem(map_fd, &key, &value) == 0) fn(key, value);
  }
}

// Takes each listed entry (key, value as read) out of a BPF hash map with lookup-and-delete, for
// entries that are final (their process or thread has exited): taken(key, last value). An entry
// the kernel would not give up (no lookup-and-delete) stays the kernel's: kept(key, value as
// read). One already gone (ENOENT) goes to neither.
template <typename Key, typename Value, typename Taken, typename Kept>
void take_map_entries(int map_fd, const std::vector<std::pair<Key, Value>>& entries, Taken&& taken,
                      Kept&& kept) {
  for (const auto& [key, read] : entries) {
    Value last{};
    if (bpf_map_lookup_and_delete_elem(map_fd, &key, &last) == 0)
      taken(key, last);
    else if (errno != ENOENT)
      kept(key, read);
  }
}

}  // namespace podtrace::tracer
