// SPDX-License-Identifier: Apache-2.0
// locks_aggregate_test.cpp: the locks aggregation (per-lock totals from per-thread rows, shares
// of the trace, flag and op names), its findings, and the pthread library choice; no root.
#include "probes/locks_aggregate.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <pthread.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <sstream>

#include "histogram.h"
#include "locks.h"
#include "sections/locks.h"
#include "target_libraries.h"

namespace podtrace::tracer {
namespace {

// The BPF side writes these; user space reads them with the same header.
static_assert(sizeof(locks_lock_key) == 16);
static_assert(sizeof(locks_waiter_key) == 24);
static_assert(sizeof(locks_hist_key) == 24);
static_assert(sizeof(locks_lock_stats) == 72);
static_assert(sizeof(locks_waiter_stats) == 40);
static_assert(sizeof(locks_klock_key) == 16);
static_assert(sizeof(locks_klock_stats) == 48);
static_assert(sizeof(locks_event) == sizeof(pt_event_header) + 40);
static_assert(offsetof(locks_event, addr) == sizeof(pt_event_header));

locks_waiter_stats waiter(uint64_t waits, uint64_t total, uint64_t max, const char* comm) {
  locks_waiter_stats s{};
  s.waits = waits;
  s.total_ns = total;
  s.max_ns = max;
  std::strncpy(s.comm, comm, sizeof(s.comm));
  return s;
}

TEST(LocksDecode, KernelLockFlagsAndTypes) {
  EXPECT_EQ(kernel_lock_flags_text(LOCKS_LCB_F_MUTEX | LOCKS_LCB_F_SPIN), "SPIN|MUTEX");
  EXPECT_EQ(kernel_lock_flags_text(LOCKS_LCB_F_PERCPU | LOCKS_LCB_F_WRITE), "WRITE|PERCPU");
  EXPECT_EQ(kernel_lock_flags_text(LOCKS_LCB_F_RT), "RT");
  EXPECT_EQ(kernel_lock_flags_text(0), "0");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_SPIN), "spinlock");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_SPIN | LOCKS_LCB_F_READ), "rwlock:R");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_SPIN | LOCKS_LCB_F_WRITE), "rwlock:W");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_READ), "rwsem:R");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_WRITE), "rwsem:W");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_RT), "rt-mutex");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_RT | LOCKS_LCB_F_WRITE), "rwlock-rt:W");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_PERCPU | LOCKS_LCB_F_READ), "pcpu-sem:R");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_PERCPU | LOCKS_LCB_F_WRITE), "pcpu-sem:W");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_MUTEX), "mutex");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_MUTEX | LOCKS_LCB_F_SPIN), "mutex:spin");
  EXPECT_EQ(kernel_lock_type(LOCKS_LCB_F_PERCPU), "flags PERCPU");
  EXPECT_EQ(kernel_lock_class_name(LOCKS_KCLASS_MMAP_LOCK), "mmap_lock");
  EXPECT_EQ(kernel_lock_class_name(LOCKS_KCLASS_SIGLOCK), "siglock");
  EXPECT_EQ(kernel_lock_class_name(LOCKS_KCLASS_NONE), "");
}

TEST(LocksDecode, FutexOpsAndKinds) {
  const uint64_t ops = (1ull << LOCKS_FUTEX_WAIT) | (1ull << LOCKS_FUTEX_LOCK_PI) |
                       (1ull << LOCKS_OP_FUTEX_WAITV) | (1ull << LOCKS_OP_FUTEX2_WAIT);
  EXPECT_EQ(futex_ops_text(ops), "wait,lock_pi,waitv,futex_wait");
  EXPECT_EQ(futex_ops_text(1ull << LOCKS_FUTEX_WAIT_BITSET), "wait_bitset");
  EXPECT_EQ(futex_ops_text((1ull << LOCKS_FUTEX_LOCK_PI2) | (1ull << LOCKS_FUTEX_WAIT_REQUEUE_PI)),
            "lock_pi2,wait_requeue_pi");
  EXPECT_EQ(lock_kind_name(LOCKS_KIND_FUTEX), "futex");
  EXPECT_EQ(lock_kind_name(LOCKS_KIND_MUTEX), "mutex");
  EXPECT_EQ(lock_kind_name(LOCKS_KIND_RWLOCK_READ), "rwlock_read");
  EXPECT_EQ(lock_kind_name(LOCKS_KIND_RWLOCK_WRITE), "rwlock_write");
}

TEST(LocksAggregate, SumsThreadsPerLockAndSortsByTotalWait) {
  LocksAggregator agg;
  agg.set_window(1'000'000'000);
  agg.set_status("active: tracepoint", "active: uprobes in 1 process", "active: tp_btf");
  agg.set_min_wait(5'000);

  // A mutex two threads waited on: 300 ms + 100 ms over a 1 s window.
  const locks_lock_key mutex{0x5000, 42, LOCKS_KIND_MUTEX};
  locks_lock_stats ms{};
  ms.waits = 4;
  ms.total_ns = 400'000'000;
  ms.max_ns = 150'000'000;
  agg.add_lock(mutex, ms, "worker (app)");
  agg.add_waiter({mutex, 43, 0}, waiter(1, 100'000'000, 100'000'000, "b"));
  agg.add_waiter({mutex, 44, 0}, waiter(3, 300'000'000, 150'000'000, "a"));
  agg.add_hist({mutex, hist_slot(100'000'000), 0}, 3);
  agg.add_hist({mutex, hist_slot(150'000'000), 0}, 1);

  // A shared futex word with one thread: less total wait, sorted after the mutex.
  const locks_lock_key word{0x7000, 42, LOCKS_KIND_FUTEX};
  locks_lock_stats fs{};
  fs.waits = 2;
  fs.total_ns = 20'000'000;
  fs.max_ns = 15'000'000;
  fs.not_blocked = 7;
  fs.timeouts = 1;
  fs.errors = 2;
  fs.ops = (1ull << LOCKS_FUTEX_WAIT) | (1ull << LOCKS_FUTEX_WAIT_BITSET);
  fs.flags = LOCKS_F_SHARED;
  agg.add_lock(word, fs, "");
  agg.add_waiter({word, 42, 0}, waiter(2, 20'000'000, 15'000'000, "main"));
  agg.add_hist({word, hist_slot(5'000'000), 0}, 1);
  agg.add_hist({word, hist_slot(15'000'000), 0}, 1);

  // A waiter and a bucket whose lock row was refused (map full): nothing to show.
  const locks_lock_key lost{0x9000, 42, LOCKS_KIND_FUTEX};
  agg.add_waiter({lost, 42, 0}, waiter(1, 1'000, 1'000, "main"));
  agg.add_hist({lost, 3, 0}, 1);

  std::vector<uint64_t> slots(kHistSlots);
  slots[hist_slot(100'000'000)] = 3;
  slots[hist_slot(150'000'000)] = 1;
  agg.add_kind(LOCKS_KIND_MUTEX, {320, 4, 316, 400'000'000, 150'000'000}, slots);
  agg.add_kind(LOCKS_KIND_RWLOCK_READ, {}, std::vector<uint64_t>(kHistSlots));

  const LocksReport r = agg.build();
  EXPECT_EQ(r.window_ns, 1'000'000'000u);
  EXPECT_EQ(r.min_wait_ns, 5'000u);
  EXPECT_EQ(r.futex_status, "active: tracepoint");
  EXPECT_EQ(r.mutex_status, "active: uprobes in 1 process");
  EXPECT_EQ(r.kernel_status, "active: tp_btf");
  ASSERT_EQ(r.kinds.size(), 1u);  // kinds nobody called are left out
  EXPECT_EQ(r.kinds[0].kind, "mutex");
  EXPECT_EQ(r.kinds[0].calls, 320u);
  EXPECT_EQ(r.kinds[0].waits, 4u);
  EXPECT_EQ(r.kinds[0].not_blocked, 316u);
  EXPECT_EQ(r.kinds[0].latency.count, 4u);
  EXPECT_EQ(r.kinds[0].latency.max_ns, 150'000'000u);

  ASSERT_EQ(r.locks.size(), 2u);
  const UserLockReport& m = r.locks[0];
  EXPECT_EQ(m.kind, "mutex");
  EXPECT_EQ(m.pid, 42u);
  EXPECT_EQ(m.addr, "0x5000");
  EXPECT_EQ(m.waits, 4u);
  EXPECT_EQ(m.total_ns, 400'000'000u);
  EXPECT_EQ(m.threads, 2u);
  // 400 ms of waiting by 2 threads over 1 s: 20% of their time.
  EXPECT_EQ(m.wait_percent, 20u);
  EXPECT_EQ(m.caller, "worker (app)");
  EXPECT_EQ(m.ops, "");
  EXPECT_EQ(m.latency.count, 4u);
  EXPECT_EQ(m.latency.max_ns, 150'000'000u);
  ASSERT_EQ(m.waiters.size(), 2u);
  EXPECT_EQ(m.waiters[0].tid, 44u);  // most wait first
  EXPECT_EQ(m.waiters[0].comm, "a");
  EXPECT_EQ(m.waiters[0].waits, 3u);
  EXPECT_EQ(m.waiters[1].tid, 43u);

  const UserLockReport& f = r.locks[1];
  EXPECT_EQ(f.kind, "futex");
  EXPECT_EQ(f.addr, "0x7000");
  EXPECT_TRUE(f.shared);
  EXPECT_EQ(f.ops, "wait,wait_bitset");
  EXPECT_EQ(f.not_blocked, 7u);
  EXPECT_EQ(f.timeouts, 1u);
  EXPECT_EQ(f.errors, 2u);
  EXPECT_EQ(f.wait_percent, 2u);
  EXPECT_EQ(f.latency.count, 2u);
}

TEST(LocksAggregate, KernelLocksPerTypeAndPerLock) {
  LocksAggregator agg;
  agg.set_window(2'000'000'000);
  const uint32_t w = LOCKS_LCB_F_WRITE, sp = LOCKS_LCB_F_SPIN;
  agg.add_kernel_type(w, {5, 0, 0, 50'000'000, 20'000'000});
  agg.add_kernel_type(sp, {2, 0, 0, 2'000, 1'500});
  agg.add_kernel_hist(w << 8 | hist_slot(10'000'000), 5);
  agg.add_kernel_hist(sp << 8 | hist_slot(1'000), 2);
  locks_klock_stats mm{};
  mm.count = 5;
  mm.total_ns = 50'000'000;
  mm.max_ns = 20'000'000;
  mm.kclass = LOCKS_KCLASS_MMAP_LOCK;
  mm.tgid = 42;
  std::strcpy(mm.comm, "mapper");
  agg.add_kernel_lock({0xffff888012345678, w, 0}, mm);
  locks_klock_stats spin{};
  spin.count = 2;
  spin.total_ns = 2'000;
  spin.max_ns = 1'500;
  spin.tgid = 43;
  agg.add_kernel_lock({0xffff888000000010, sp, 0}, spin);
  const LocksReport r = agg.build();

  ASSERT_EQ(r.kernel_types.size(), 2u);
  EXPECT_EQ(r.kernel_types[0].type, "rwsem:W");
  EXPECT_EQ(r.kernel_types[0].flags, "WRITE");
  EXPECT_EQ(r.kernel_types[0].contentions, 5u);
  EXPECT_EQ(r.kernel_types[0].total_ns, 50'000'000u);
  EXPECT_EQ(r.kernel_types[0].latency.count, 5u);
  EXPECT_EQ(r.kernel_types[0].latency.max_ns, 20'000'000u);
  EXPECT_EQ(r.kernel_types[1].type, "spinlock");
  ASSERT_EQ(r.kernel_locks.size(), 2u);
  EXPECT_EQ(r.kernel_locks[0].name, "mmap_lock");
  EXPECT_EQ(r.kernel_locks[0].addr, "0xffff888012345678");
  EXPECT_EQ(r.kernel_locks[0].pid, 42u);
  EXPECT_EQ(r.kernel_locks[0].comm, "mapper");
  EXPECT_EQ(r.kernel_locks[0].contentions, 5u);
  EXPECT_EQ(r.kernel_locks[1].name, "");
  EXPECT_EQ(r.kernel_locks[1].type, "spinlock");
}

TEST(LocksAggregate, KeepsTheMostContendedLocksOnly) {
  LocksAggregator agg;
  agg.set_window(1'000'000'000);
  for (uint64_t i = 1; i <= LocksAggregator::kMaxLocks + 10; ++i) {
    locks_lock_stats s{};
    s.waits = 1;
    s.total_ns = i * 1000;
    s.max_ns = i * 1000;
    agg.add_lock({i * 64, 1, LOCKS_KIND_FUTEX}, s, "");
  }
  const LocksReport r = agg.build();
  ASSERT_EQ(r.locks.size(), LocksAggregator::kMaxLocks);
  EXPECT_EQ(r.locks.front().total_ns, (LocksAggregator::kMaxLocks + 10) * 1000);
  EXPECT_EQ(r.locks.back().total_ns, 11'000u);
}

UserLockReport lock(std::string kind, std::string addr, uint64_t percent, uint32_t threads,
                    std::string ops = "") {
  UserLockReport l;
  l.kind = std::move(kind);
  l.pid = 42;
  l.addr = std::move(addr);
  l.ops = std::move(ops);
  l.threads = threads;
  l.wait_percent = percent;
  l.total_ns = percent * threads * 10'000'000;  // over a 1 s window
  l.waits = 10;
  l.caller = "worker (app)";
  l.waiters = {{43, "w1", 5, l.total_ns / 2, 1'000'000}, {44, "w2", 5, l.total_ns / 2, 1'000'000}};
  return l;
}

TEST(LocksFindings, ContendedMutexExplainsItsFutexWordAndKernelContentionCounts) {
  LocksReport r;
  r.window_ns = 1'000'000'000;
  r.locks.push_back(lock("mutex", "0x5000", 80, 8));
  r.locks.push_back(lock("futex", "0x5000", 75, 8, "wait"));             // the mutex's own word
  r.locks.push_back(lock("futex", "0x6000", 40, 2, "wait"));             // a condvar, or a lock
  r.locks.push_back(lock("futex", "0x7000", 40, 2, "lock_pi"));          // a PI lock
  r.locks.push_back(lock("futex", "0x8000", 90, 1, "wait"));             // one idle thread
  r.locks.push_back(lock("rwlock_write", "0x9000", 5, 2));               // below the share
  r.kernel_types.push_back({"rwsem:W", "WRITE", 100, 150'000'000, {}});  // 15% of the window
  r.kernel_types.push_back({"spinlock", "SPIN", 100, 50'000'000, {}});   // 5%: not significant
  r.kernel_locks.push_back(
      {"rwsem:W", "WRITE", "0xffff1", "mmap_lock", 42, "mapper", 100, 150'000'000, 9'000'000});
  std::vector<Finding> out;
  diagnose_section(r, {}, out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].severity, "warning");
  EXPECT_EQ(out[0].title,
            "contended mutex 0x5000 in pid 42: its waiters were blocked 80% of the time");
  EXPECT_NE(out[0].detail.find("first caller worker (app)"), std::string::npos) << out[0].detail;
  EXPECT_NE(out[0].detail.find("; w1, w2"), std::string::npos) << out[0].detail;
  EXPECT_EQ(out[1].severity, "info");
  EXPECT_EQ(out[1].title, "threads of pid 42 waited on futex 0x6000 40% of the time");
  EXPECT_EQ(out[2].severity, "warning");
  EXPECT_EQ(out[2].title, "threads of pid 42 waited on futex 0x7000 40% of the time");
  EXPECT_EQ(out[3].title, "kernel rwsem:W contention: 150ms waited in 100 contentions");
  EXPECT_NE(out[3].detail.find("mostly mmap_lock (mapper in pid 42)"), std::string::npos)
      << out[3].detail;
}

TEST(LocksLibraries, PthreadFunctionsLiveInLibpthreadBeforeGlibc234) {
  const std::string old_glibc =
      "7f00-7f10 r-xp 00010000 08:01 123 /lib/x86_64-linux-gnu/libc-2.31.so\n"
      "7f20-7f30 r-xp 00000000 08:01 124 /lib/x86_64-linux-gnu/libpthread-2.31.so\n";
  const auto maps = parse_executable_mappings(old_glibc);
  EXPECT_EQ(library_paths(maps, is_libpthread_name),
            std::vector<std::string>{"/lib/x86_64-linux-gnu/libpthread-2.31.so"});
  EXPECT_EQ(library_paths(maps, is_libc_name),
            std::vector<std::string>{"/lib/x86_64-linux-gnu/libc-2.31.so"});
  EXPECT_TRUE(is_libpthread_name("libpthread.so.0"));
  EXPECT_FALSE(is_libpthread_name("libpthread_workqueue.so"));
  EXPECT_EQ(host_path("/host/proc", 7, "/usr/lib/libc.so.6"),
            std::filesystem::path("/host/proc/7/root/usr/lib/libc.so.6"));
}

TEST(LocksLibraries, FunctionOffsetsAreWhereTheKernelMapsTheFunctions) {
  // This process's own libc: the offset found in the file must be the one its mapping puts the
  // loaded function at. pthread_rwlock_rdlock has two versions at one address (libbpf 1.1
  // calls the name ambiguous).
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void*>(&pthread_rwlock_rdlock), &info), 0);
  auto offsets = function_offsets(
      info.dli_fname, {"pthread_rwlock_rdlock", "pthread_mutex_lock", "podtrace_no_such_function"});
  ASSERT_TRUE(offsets) << offsets.error();
  EXPECT_EQ(offsets->count("podtrace_no_such_function"), 0u);
  std::ifstream in("/proc/self/maps");
  std::stringstream text;
  text << in.rdbuf();
  const auto maps = parse_executable_mappings(text.str());
  // The functions as libc defines them: in a sanitizer build &pthread_mutex_lock is the
  // sanitizer's interceptor, not libc's function.
  void* libc = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(libc, nullptr) << info.dli_fname;
  for (const char* name : {"pthread_rwlock_rdlock", "pthread_mutex_lock"}) {
    const auto addr = reinterpret_cast<uint64_t>(dlsym(libc, name));
    const ProcMapping* m = find_mapping(maps, addr);
    ASSERT_NE(m, nullptr) << name;
    ASSERT_TRUE(offsets->count(name)) << name;
    EXPECT_EQ(offsets->at(name), addr - m->start + m->offset) << name;
  }
  dlclose(libc);
  EXPECT_FALSE(function_offsets("/nonexistent/libc.so.6", {"pthread_mutex_lock"}));
}

}  // namespace
}  // namespace podtrace::tracer
