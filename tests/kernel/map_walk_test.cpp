// SPDX-License-Identifier: Apache-2.0
// map_walk_test.cpp: for_each_map_entry (tracer/libbpf_util.h) sees every entry of a real BPF
// map exactly once with its value: in batches from hash maps of every allocation the families
// use, across several batches, and by the key walk from a map type without batch lookups.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <vector>

#include "libbpf_util.h"

namespace podtrace::tracer {
namespace {

class MapFd {
 public:
  MapFd(bpf_map_type type, uint32_t key_size, uint32_t entries, uint32_t flags) {
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
    fd_ = bpf_map_create(type, "pt_walk_test", key_size, sizeof(uint64_t), entries, &opts);
  }
  ~MapFd() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// `n` entries key -> key * 3 + 1, walked back.
std::map<uint32_t, uint64_t> fill_and_walk(bpf_map_type type, uint32_t flags, uint32_t n) {
  MapFd map(type, sizeof(uint32_t), 8192, flags);
  EXPECT_GE(map.fd(), 0) << "bpf_map_create: " << libbpf_error(-errno);
  for (uint32_t key = 0; key < n; ++key) {
    const uint64_t value = uint64_t{key} * 3 + 1;
    EXPECT_EQ(bpf_map_update_elem(map.fd(), &key, &value, BPF_NOEXIST), 0) << key;
  }
  std::map<uint32_t, uint64_t> seen;
  size_t calls = 0;
  for_each_map_entry<uint32_t, uint64_t>(map.fd(), [&](uint32_t key, uint64_t value) {
    ++calls;
    seen[key] = value;
  });
  EXPECT_EQ(calls, seen.size()) << "an entry was seen twice";
  return seen;
}

void expect_every_entry(const std::map<uint32_t, uint64_t>& seen, uint32_t n) {
  ASSERT_EQ(seen.size(), n);
  for (const auto& [key, value] : seen) {
    EXPECT_LT(key, n);
    EXPECT_EQ(value, uint64_t{key} * 3 + 1) << key;
  }
}

TEST(MapWalkTest, PreallocatedHashInManyBatches) {
  expect_every_entry(fill_and_walk(BPF_MAP_TYPE_HASH, 0, 3000), 3000);
}

TEST(MapWalkTest, HashAllocatedOnDemand) {
  expect_every_entry(fill_and_walk(BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 3000), 3000);
}

TEST(MapWalkTest, LruHash) {
  // Fewer entries than the LRU's per-CPU free lists could evict from.
  expect_every_entry(fill_and_walk(BPF_MAP_TYPE_LRU_HASH, 0, 1000), 1000);
}

TEST(MapWalkTest, EmptyMapAndOneEntry) {
  expect_every_entry(fill_and_walk(BPF_MAP_TYPE_HASH, 0, 0), 0);
  expect_every_entry(fill_and_walk(BPF_MAP_TYPE_HASH, 0, 1), 1);
}

// An LPM trie has no batch lookup: the walk falls back to its keys.
TEST(MapWalkTest, MapTypeWithoutBatchesIsWalkedByKey) {
  struct TrieKey {
    uint32_t prefix_len;
    uint32_t address;
  };
  MapFd map(BPF_MAP_TYPE_LPM_TRIE, sizeof(TrieKey), 1024, BPF_F_NO_PREALLOC);
  ASSERT_GE(map.fd(), 0) << "bpf_map_create: " << libbpf_error(-errno);
  uint32_t count = 1;
  EXPECT_NE(bpf_map_lookup_batch(map.fd(), nullptr, &count, nullptr, nullptr, &count, nullptr), 0)
      << "this kernel's LPM trie has batches now: pick another map type for the fallback";
  for (uint32_t i = 0; i < 300; ++i) {
    const TrieKey key{32, i};
    const uint64_t value = uint64_t{i} * 3 + 1;
    ASSERT_EQ(bpf_map_update_elem(map.fd(), &key, &value, BPF_NOEXIST), 0) << i;
  }
  std::map<uint32_t, uint64_t> seen;
  for_each_map_entry<TrieKey, uint64_t>(map.fd(), [&](const TrieKey& key, uint64_t value) {
    EXPECT_EQ(key.prefix_len, 32u);
    EXPECT_TRUE(seen.emplace(key.address, value).second) << "seen twice: " << key.address;
  });
  expect_every_entry(seen, 300);
}

// The histogram rows: consecutive slots of a per-CPU array, summed over CPUs, in one batch; a
// range past the array's end falls back to slot lookups and reads zeros there.
TEST(MapWalkTest, PerCpuArrayRangesSumEveryCpu) {
  const int ncpus = libbpf_num_possible_cpus();
  ASSERT_GT(ncpus, 0);
  constexpr uint32_t kSlots = 256;
  MapFd map(BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(uint32_t), kSlots, 0);
  ASSERT_GE(map.fd(), 0) << "bpf_map_create: " << libbpf_error(-errno);
  std::vector<uint64_t> per_cpu(ncpus);
  for (uint32_t key = 0; key < kSlots; ++key) {
    for (int cpu = 0; cpu < ncpus; ++cpu) per_cpu[cpu] = uint64_t{key} * 1000 + cpu;
    ASSERT_EQ(bpf_map_update_elem(map.fd(), &key, per_cpu.data(), BPF_ANY), 0) << key;
  }
  const uint64_t cpu_sum = uint64_t(ncpus) * (ncpus - 1) / 2;
  auto expect_range = [&](uint32_t first, uint32_t n) {
    const std::vector<uint64_t> sums = sum_percpu_u64_range(map.fd(), first, n);
    ASSERT_EQ(sums.size(), n);
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t key = first + i;
      const uint64_t want = key < kSlots ? uint64_t{key} * 1000 * ncpus + cpu_sum : 0;
      EXPECT_EQ(sums[i], want) << "range " << first << "+" << n << ", key " << key;
    }
  };
  expect_range(0, 64);
  expect_range(128, 64);
  expect_range(kSlots - 64, 64);  // ends exactly at the array's end
  expect_range(kSlots - 10, 20);  // past it: the fallback
  uint32_t count = 64, out = 0;
  std::vector<uint32_t> keys(64);
  std::vector<uint64_t> values(64 * ncpus);
  EXPECT_EQ(
      bpf_map_lookup_batch(map.fd(), nullptr, &out, keys.data(), values.data(), &count, nullptr), 0)
      << "no batch lookups on this kernel: the ranges above took the fallback";
}

}  // namespace
}  // namespace podtrace::tracer
