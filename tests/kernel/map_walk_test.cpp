// SPDX-License-Identifier: Apache-2.0
// map_walk_test.cpp: for_each_map_entry (tracer/libbpf_util.h) sees every entry of a real BPF
// map exactly once with its value: in batches from hash maps of every allocation the families
// use, across several batches, and by the key walk from a map type without batch lookups.
#include <gtest/gtest.h>
#include <net/if.h>
#include <unistd.h>

#include <map>
#include <vector>

#include "libbpf_util.h"

namespace podtrace::tracer {
namespace {

class MapFd {
 public:
  MapFd(bpf_map_type type, uint32_t key_size, uint32_t entries, uint32_t flags,
        uint32_t value_size = sizeof(uint64_t)) {
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
    fd_ = bpf_map_create(type, "pt_walk_test", key_size, value_size, entries, &opts);
  }
  ~MapFd() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// `n` entries key -> key * 3 + 1, walked back `batch` entries per call to start with.
std::map<uint32_t, uint64_t> fill_and_walk(bpf_map_type type, uint32_t flags, uint32_t n,
                                           size_t batch = 256) {
  MapFd map(type, sizeof(uint32_t), 8192, flags);
  EXPECT_GE(map.fd(), 0) << "bpf_map_create: " << libbpf_error(-errno);
  for (uint32_t key = 0; key < n; ++key) {
    const uint64_t value = uint64_t{key} * 3 + 1;
    EXPECT_EQ(bpf_map_update_elem(map.fd(), &key, &value, BPF_NOEXIST), 0) << key;
  }
  std::map<uint32_t, uint64_t> seen;
  size_t calls = 0;
  for_each_map_entry<uint32_t, uint64_t>(
      map.fd(),
      [&](uint32_t key, uint64_t value) {
        ++calls;
        seen[key] = value;
      },
      batch);
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

// 3000 keys in 8192 buckets: some bucket holds two or more, more than a batch of one (the
// kernel answers ENOSPC), and the batch grows.
TEST(MapWalkTest, BatchGrowsWhenABucketHoldsMore) {
  expect_every_entry(fill_and_walk(BPF_MAP_TYPE_HASH, 0, 3000, 1), 3000);
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

// A device-map hash has keys, lookups and updates from user space but no batch lookups: the
// walk falls back to its keys. (Its values are interface indexes: loopback's for every key.)
TEST(MapWalkTest, MapTypeWithoutBatchesIsWalkedByKey) {
  const uint32_t lo = if_nametoindex("lo");
  ASSERT_NE(lo, 0u);
  MapFd map(BPF_MAP_TYPE_DEVMAP_HASH, sizeof(uint32_t), 1024, 0, sizeof(uint32_t));
  ASSERT_GE(map.fd(), 0) << "bpf_map_create: " << libbpf_error(-errno);
  for (uint32_t key = 0; key < 300; ++key)
    ASSERT_EQ(bpf_map_update_elem(map.fd(), &key, &lo, BPF_NOEXIST), 0) << key;
  std::vector<uint32_t> keys(64), values(64);
  uint32_t count = 64, out = 0;
  const int err =
      bpf_map_lookup_batch(map.fd(), nullptr, &out, keys.data(), values.data(), &count, nullptr);
  ASSERT_NE(err, 0) << "this kernel's device-map hash has batches now: pick another map type";
  ASSERT_NE(errno, ENOENT);
  std::map<uint32_t, uint64_t> seen;
  size_t calls = 0;
  for_each_map_entry<uint32_t, uint32_t>(map.fd(), [&](uint32_t key, uint32_t ifindex) {
    ++calls;
    seen[key] = ifindex;
  });
  EXPECT_EQ(calls, 300u);
  ASSERT_EQ(seen.size(), 300u);
  EXPECT_EQ(seen.begin()->first, 0u);
  EXPECT_EQ(seen.rbegin()->first, 299u);
  for (const auto& [key, ifindex] : seen) EXPECT_EQ(ifindex, lo) << key;
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
