// SPDX-License-Identifier: Apache-2.0
// locks_aggregate.h: turns the locks family's map rows into the locks section: per-lock totals
// from per-thread rows, shares of the trace, flag and operation names. Pure: unit tests run it
// without root.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "locks.h"
#include "sections/locks.h"

namespace podtrace::tracer {

std::string_view lock_kind_name(uint32_t kind);
// "wait,wait_bitset,lock_pi" from locks_lock_stats.ops bits.
std::string futex_ops_text(uint64_t ops);
// lock:contention_begin flags as the kernel prints them ("MUTEX|SPIN") and as a lock type
// ("mutex:spin", "rwsem:W", "spinlock"…).
std::string kernel_lock_flags_text(uint32_t flags);
std::string kernel_lock_type(uint32_t flags);
std::string_view kernel_lock_class_name(uint32_t kclass);

class LocksAggregator {
 public:
  // At most this many user locks and kernel locks are reported, most wait first; the
  // per-kind and per-type totals cover all of them.
  static constexpr size_t kMaxLocks = 64;
  static constexpr size_t kMaxWaiters = 16;

  void set_window(uint64_t window_ns) { window_ns_ = window_ns; }
  void set_status(std::string futex, std::string mutex, std::string kernel);
  void set_min_wait(uint64_t ns) { min_wait_ns_ = ns; }
  void add_kind(uint32_t kind, const locks_kind_stats& stats, std::vector<uint64_t> slots);
  // `caller`: the first waiting call's return address as text ("" for futex words).
  void add_lock(const locks_lock_key& key, const locks_lock_stats& stats, std::string caller);
  void add_waiter(const locks_waiter_key& key, const locks_waiter_stats& stats);
  void add_hist(const locks_hist_key& key, uint64_t n);
  void add_kernel_lock(const locks_klock_key& key, const locks_klock_stats& stats);
  void add_kernel_type(uint32_t flags, const pt_op_stats& stats);
  // One klock_hist entry: key = flags << 8 | slot.
  void add_kernel_hist(uint32_t key, uint64_t n);
  LocksReport build() const;

 private:
  using LockId = std::tuple<uint32_t, uint32_t, uint64_t>;  // tgid, kind, addr
  struct Lock {
    locks_lock_stats stats{};
    std::string caller;
    std::vector<uint64_t> slots;
    std::vector<LockWaiterReport> waiters;
  };
  Lock& lock(const locks_lock_key& key);

  uint64_t window_ns_ = 0;
  uint64_t min_wait_ns_ = 0;
  std::string futex_status_, mutex_status_, kernel_status_;
  std::map<uint32_t, std::pair<locks_kind_stats, std::vector<uint64_t>>> kinds_;
  std::map<LockId, Lock> locks_;
  std::vector<std::pair<locks_klock_key, locks_klock_stats>> klocks_;
  std::map<uint32_t, std::pair<pt_op_stats, std::vector<uint64_t>>> kernel_types_;  // by flags
};

}  // namespace podtrace::tracer
