// SPDX-License-Identifier: Apache-2.0
// libbpf_util.h: RAII owners for libbpf objects and the errno-to-message boundary.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
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

// A skeleton's object as the binary embeds it: embedded_object(fileio_bpf__elf_bytes).
inline std::span<const unsigned char> embedded_object(const void* (*elf_bytes)(size_t*)) {
  size_t size = 0;
  const void* data = elf_bytes(&size);
  return {static_cast<const unsigned char*>(data), size};
}

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

// Slots first .. first + n - 1 of a per-CPU u64 array, each summed over CPUs: one bpf() call
// (BPF_MAP_LOOKUP_BATCH) where the kernel has it, one per slot where not. The families read
// their histograms this way every collect (docs/performance.md, "Tracer CPU").
inline std::vector<uint64_t> sum_percpu_u64_range(int map_fd, uint32_t first, uint32_t n) {
  static const int possible = libbpf_num_possible_cpus();
  const size_t ncpus = possible > 0 ? static_cast<size_t>(possible) : 1;
  std::vector<uint64_t> sums(n);
  std::vector<uint32_t> keys(n);
  std::vector<uint64_t> values(size_t{n} * ncpus);
  // The batch resumes after its token's key: key first - 1, or the start for key 0.
  uint32_t in = first - 1, out = 0, count = n;
  const int err = bpf_map_lookup_batch(map_fd, first ? &in : nullptr, &out, keys.data(),
                                       values.data(), &count, nullptr);
  if ((err == 0 || errno == ENOENT) && n > 0 && count == n && keys[0] == first &&
      keys[n - 1] == first + n - 1) {
    for (size_t i = 0; i < n; ++i)
      for (size_t cpu = 0; cpu < ncpus; ++cpu) sums[i] += values[i * ncpus + cpu];
    return sums;
  }
  for (uint32_t i = 0; i < n; ++i) sums[i] = sum_percpu_u64(map_fd, first + i);
  return sums;
}

// One row of a per-CPU log-linear histogram array (rows of PT_HIST_SLOTS u64 slots), summed
// over CPUs.
inline std::vector<uint64_t> read_hist_row(int map_fd, uint32_t row) {
  return sum_percpu_u64_range(map_fd, row * PT_HIST_SLOTS, PT_HIST_SLOTS);
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

// Calls fn(key, value) for every entry of a BPF hash map: a batch of entries per bpf() call
// (BPF_MAP_LOOKUP_BATCH, Linux 5.6), where walking the keys costs two calls per entry (the
// families read tens of thousands of entries a second; docs/performance.md, "Tracer CPU").
// Each batch is whole buckets as they were at that moment; an entry added or deleted meanwhile
// may or may not be seen (the kernel's semantics). A kernel or map type without batches gets
// the key walk, which skips an entry deleted between its key and its lookup. `batch`: entries
// per call to start with (it doubles whenever one bucket holds more).
template <typename Key, typename Value, typename Fn>
void for_each_map_entry(int map_fd, Fn&& fn, size_t batch = 256) {
  // The kernel's resume token: a bucket index for hash maps, a key for others.
  union Token {
    Key key;
    uint64_t bucket;
  };
  size_t capacity = batch > 0 ? batch : 1;
  std::vector<Key> keys(capacity);
  std::vector<Value> values(capacity);
  Token in{}, out{};
  bool started = false;
  for (;;) {
    auto count = static_cast<uint32_t>(capacity);
    const int err = bpf_map_lookup_batch(map_fd, started ? &in : nullptr, &out, keys.data(),
                                         values.data(), &count, nullptr);
    const int error = err ? errno : 0;
    // The kernel writes the count back only for a batch it ran (libbpf then returns the count
    // it was given): success, ENOENT (the last batch) or ENOSPC.
    if (error && error != ENOENT && error != ENOSPC) {
      if (!started) break;  // no batches for this kernel or map type: walk the keys
      return;
    }
    for (uint32_t i = 0; i < count && i < capacity; ++i) fn(keys[i], values[i]);
    if (error == ENOENT) return;
    if (error == ENOSPC) {
      if (count != 0) return;  // not what the kernel does: ENOSPC only ever comes empty
      capacity *= 2;           // one bucket holds more than a batch: again, larger
      keys.resize(capacity);
      values.resize(capacity);
      continue;
    }
    in = out;
    started = true;
  }
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
