// SPDX-License-Identifier: Apache-2.0
// map_allocation_test.cpp: where the kernel lets tracing programs use hash maps allocated on
// update (the hash_on_demand probe), every hash map of every family is created that way but the
// memory family's two reclaim maps (written under memory pressure), the LRU maps stay
// preallocated (the kernel has no other kind), and the kernel memory the maps charge falls
// accordingly; `--no-attach hash_on_demand` brings back the preallocated maps of
// kernels before 6.1, and the families still start. Likewise each thread's call in flight lives
// in task storage where tracing programs may use it (the task_storage probe), and in an LRU hash
// keyed by tid, preallocated, with `--no-attach task_storage` (kernels before 5.12).
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kernel_test_util.h"

namespace podtrace::tracer::testing {
namespace {

struct MapFd {
  unsigned type = 0;
  unsigned flags = 0;
  uint64_t memlock = 0;  // bytes the kernel charges for the map
};

// One map fd's /proc/.../fdinfo file.
MapFd read_map_fdinfo(const std::filesystem::path& fdinfo) {
  std::ifstream info(fdinfo);
  MapFd map;
  std::string key;
  while (info >> key) {
    if (key == "map_type:")
      info >> map.type;
    else if (key == "map_flags:")
      info >> std::hex >> map.flags >> std::dec;
    else if (key == "memlock:")
      info >> map.memlock;
  }
  return map;
}

// The BPF maps a process holds open, from /proc/PID/fdinfo: no BPF call, no bpftool.
std::vector<MapFd> maps_held_by(pid_t pid) {
  const std::filesystem::path proc = "/proc/" + std::to_string(pid);
  std::vector<MapFd> maps;
  for (const auto& fd : std::filesystem::directory_iterator(proc / "fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(fd.path(), ec).string() != "anon_inode:bpf-map") continue;
    maps.push_back(read_map_fdinfo(proc / "fdinfo" / fd.path().filename()));
  }
  return maps;
}

// The per-thread slot maps (bpf/thread_slots.bpf.h): fileio's inflight, the locks family's
// futex_inflight and pthread_inflight, db's calls and get_result_conn.
constexpr int kThreadSlotMaps = 5;

// The hash maps kept preallocated on purpose: memory's reclaim_inflight and reclaim_procs.
constexpr int kKeptPreallocated = 2;

// The LRU maps with task storage: locks' klock_inflight, dns's gai_inflight, process's OOM
// victims and tcp's just-closed sockets (1 024 entries each).
constexpr int kLruMaps = 4;

// Whether this kernel's fdinfo `memlock` is what a map holds (Linux 6.4's map_mem_usage) rather
// than a formula of its size (before: the same for both allocations). Asked of two maps of its
// own, not of the version.
bool memlock_shows_usage() {
  auto memlock_of = [](uint32_t flags) {
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
    const int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "pt_memlock", 4, 64, 4096, &opts);
    EXPECT_GE(fd, 0);
    const uint64_t memlock = read_map_fdinfo("/proc/self/fdinfo/" + std::to_string(fd)).memlock;
    close(fd);
    return memlock;
  };
  return memlock_of(0) != memlock_of(BPF_F_NO_PREALLOC);
}

struct HashTotals {
  int hashes = 0, on_demand = 0, lru = 0, lru_on_demand = 0, task_storage = 0;
  uint64_t hash_memlock = 0, lru_memlock = 0;
  // The tracer's own answers (its report's kernel table).
  bool found_hash_on_demand = false, found_task_storage = false;
};

// Every family on: the maps of all of them, as a node runs them.
HashTotals run_and_count(const std::vector<std::string>& extra) {
  TestCgroup target("pt-map-allocation");
  std::vector<std::string> args = {"--cgroup", target.v2().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  TracerProcess tracer(args);
  const nlohmann::json start = tracer.wait_for_start();
  for (const auto& d : start["diagnostics"])
    EXPECT_TRUE(d["enabled"].get<bool>()) << d.dump() << "\n" << tracer.stderr_text();
  HashTotals totals;
  for (const MapFd& map : maps_held_by(tracer.pid())) {
    if (map.type == BPF_MAP_TYPE_HASH) {
      ++totals.hashes;
      totals.on_demand += (map.flags & BPF_F_NO_PREALLOC) != 0;
      totals.hash_memlock += map.memlock;
    } else if (map.type == BPF_MAP_TYPE_LRU_HASH) {
      ++totals.lru;
      totals.lru_on_demand += (map.flags & BPF_F_NO_PREALLOC) != 0;
      totals.lru_memlock += map.memlock;
    } else if (map.type == BPF_MAP_TYPE_TASK_STORAGE) {
      ++totals.task_storage;
    }
  }
  EXPECT_EQ(tracer.stop(), 0) << tracer.stderr_text();
  totals.found_hash_on_demand = tracer.reported_feature_works("hash_on_demand");
  totals.found_task_storage = tracer.reported_feature_works("task_storage");
  return totals;
}

TEST(MapAllocationTest, EveryHashMapAllocatesOnUpdateWhereTheKernelAllowsIt) {
  const HashTotals t = run_and_count({});
  // Every kernel of the matrix is 6.1 or later, where the BPF memory allocator serves tracing
  // programs: the probe must say so.
  EXPECT_TRUE(t.found_hash_on_demand);
  EXPECT_GE(t.hashes, 20);  // the families' aggregates, the activity map, the target sets
  EXPECT_EQ(t.on_demand, t.hashes - kKeptPreallocated);
  // What stays LRU (kLruMaps): state with no sure end to wait for. tcp's sockets, dns's and
  // db's queries in flight and db's prepared statements are hashes: their entries end at close,
  // answer or exit.
  EXPECT_EQ(t.lru, kLruMaps);
  EXPECT_EQ(t.lru_on_demand, 0);
}

TEST(MapAllocationTest, CallsInFlightLiveInTheirTasksElseInPreallocatedLruHashes) {
  const HashTotals in_tasks = run_and_count({});
  // Every kernel of the matrix is 6.1 or later (task storage in tracing programs: 5.12).
  EXPECT_TRUE(in_tasks.found_task_storage);
  EXPECT_EQ(in_tasks.task_storage, kThreadSlotMaps);

  const HashTotals in_hashes = run_and_count({"--no-attach", "task_storage"});
  EXPECT_FALSE(in_hashes.found_task_storage);
  EXPECT_EQ(in_hashes.task_storage, 0);
  EXPECT_EQ(in_hashes.lru, in_tasks.lru + kThreadSlotMaps);
  EXPECT_EQ(in_hashes.lru_on_demand, 0);
  // 16 384 threads' entries each, created with the map: megabytes the node pays from the start.
  EXPECT_GT(in_hashes.lru_memlock, in_tasks.lru_memlock + kThreadSlotMaps * 16384ull * 32);
  std::printf("LRU maps: %d in tasks, %d in hashes; kernel memory %.1f MB against %.1f MB\n",
              in_tasks.lru, in_hashes.lru, in_tasks.lru_memlock / 1e6, in_hashes.lru_memlock / 1e6);
}

TEST(MapAllocationTest, PreallocatesWhereTheProbeSaysNoAndChargesTheNodeForIt) {
  const HashTotals preallocated = run_and_count({"--no-attach", "hash_on_demand"});
  EXPECT_FALSE(preallocated.found_hash_on_demand);
  EXPECT_GE(preallocated.hashes, 20);
  EXPECT_EQ(preallocated.on_demand, 0);

  const HashTotals on_demand = run_and_count({});
  EXPECT_EQ(on_demand.hashes, preallocated.hashes);  // the same maps, allocated differently
  if (!memlock_shows_usage()) {
    std::printf("this kernel's fdinfo memlock is a formula of the map's size: not compared\n");
    return;
  }
  // An idle target: the on-demand maps hold almost nothing but their bucket arrays (16 B per
  // entry they may hold). Preallocated, they charge the node tens of MB more (measured here:
  // 68.5 against 7.9 MB; docs/performance.md, "Kernel memory").
  EXPECT_GT(preallocated.hash_memlock, 5 * on_demand.hash_memlock)
      << "preallocated " << preallocated.hash_memlock << " B, on demand " << on_demand.hash_memlock
      << " B";
  std::printf("hash maps: %d; kernel memory charged: preallocated %.1f MB, on demand %.1f MB\n",
              on_demand.hashes, preallocated.hash_memlock / 1e6, on_demand.hash_memlock / 1e6);
}

}  // namespace
}  // namespace podtrace::tracer::testing
