// SPDX-License-Identifier: Apache-2.0
// locks_aggregate.cpp: the locks section from map rows.
#include "probes/locks_aggregate.h"

#include <fmt/format.h>

#include <algorithm>

#include "histogram.h"
#include "text.h"

namespace podtrace::tracer {

std::string_view lock_kind_name(uint32_t kind) {
  switch (kind) {
    case LOCKS_KIND_FUTEX:
      return "futex";
    case LOCKS_KIND_MUTEX:
      return "mutex";
    case LOCKS_KIND_RWLOCK_READ:
      return "rwlock_read";
    case LOCKS_KIND_RWLOCK_WRITE:
      return "rwlock_write";
  }
  return "unknown";
}

std::string futex_ops_text(uint64_t ops) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {LOCKS_FUTEX_WAIT, "wait"},
      {LOCKS_FUTEX_WAIT_BITSET, "wait_bitset"},
      {LOCKS_FUTEX_LOCK_PI, "lock_pi"},
      {LOCKS_FUTEX_LOCK_PI2, "lock_pi2"},
      {LOCKS_FUTEX_WAIT_REQUEUE_PI, "wait_requeue_pi"},
      {LOCKS_OP_FUTEX_WAITV, "waitv"},
      {LOCKS_OP_FUTEX2_WAIT, "futex_wait"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames)
    if (ops & (uint64_t{1} << bit)) out += fmt::format("{}{}", out.empty() ? "" : ",", name);
  return out;
}

std::string kernel_lock_flags_text(uint32_t flags) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {LOCKS_LCB_F_SPIN, "SPIN"}, {LOCKS_LCB_F_READ, "READ"},     {LOCKS_LCB_F_WRITE, "WRITE"},
      {LOCKS_LCB_F_RT, "RT"},     {LOCKS_LCB_F_PERCPU, "PERCPU"}, {LOCKS_LCB_F_MUTEX, "MUTEX"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames)
    if (flags & bit) out += fmt::format("{}{}", out.empty() ? "" : "|", name);
  return out.empty() ? "0" : out;
}

// The kernel's lock types by their contention_begin flags, named as `perf lock contention`
// names them.
std::string kernel_lock_type(uint32_t flags) {
  switch (flags) {
    case LOCKS_LCB_F_SPIN:
      return "spinlock";
    case LOCKS_LCB_F_SPIN | LOCKS_LCB_F_READ:
      return "rwlock:R";
    case LOCKS_LCB_F_SPIN | LOCKS_LCB_F_WRITE:
      return "rwlock:W";
    case LOCKS_LCB_F_READ:
      return "rwsem:R";
    case LOCKS_LCB_F_WRITE:
      return "rwsem:W";
    case LOCKS_LCB_F_RT:
      return "rt-mutex";
    case LOCKS_LCB_F_RT | LOCKS_LCB_F_READ:
      return "rwlock-rt:R";
    case LOCKS_LCB_F_RT | LOCKS_LCB_F_WRITE:
      return "rwlock-rt:W";
    case LOCKS_LCB_F_PERCPU | LOCKS_LCB_F_READ:
      return "pcpu-sem:R";
    case LOCKS_LCB_F_PERCPU | LOCKS_LCB_F_WRITE:
      return "pcpu-sem:W";
    case LOCKS_LCB_F_MUTEX:
      return "mutex";
    // Acquired while spinning on the owner, before it would have slept.
    case LOCKS_LCB_F_MUTEX | LOCKS_LCB_F_SPIN:
      return "mutex:spin";
  }
  return "flags " + kernel_lock_flags_text(flags);
}

std::string_view kernel_lock_class_name(uint32_t kclass) {
  switch (kclass) {
    case LOCKS_KCLASS_MMAP_LOCK:
      return "mmap_lock";
    case LOCKS_KCLASS_SIGLOCK:
      return "siglock";
  }
  return "";
}

void LocksAggregator::set_status(std::string futex, std::string mutex, std::string kernel) {
  futex_status_ = std::move(futex);
  mutex_status_ = std::move(mutex);
  kernel_status_ = std::move(kernel);
}

void LocksAggregator::add_kind(uint32_t kind, const locks_kind_stats& stats,
                               std::vector<uint64_t> slots) {
  kinds_[kind] = {stats, std::move(slots)};
}

LocksAggregator::Lock& LocksAggregator::lock(const locks_lock_key& key) {
  Lock& l = locks_[{key.tgid, key.kind, key.addr}];
  if (l.slots.empty()) l.slots.assign(kHistSlots, 0);
  return l;
}

void LocksAggregator::add_lock(const locks_lock_key& key, const locks_lock_stats& stats,
                               std::string caller) {
  Lock& l = lock(key);
  l.stats = stats;
  l.caller = std::move(caller);
}

void LocksAggregator::add_waiter(const locks_waiter_key& key, const locks_waiter_stats& stats) {
  lock(key.lock).waiters.push_back({key.tid, c_string(stats.comm, sizeof(stats.comm)), stats.waits,
                                    stats.total_ns, stats.max_ns});
}

void LocksAggregator::add_hist(const locks_hist_key& key, uint64_t n) {
  if (key.slot < kHistSlots) lock(key.lock).slots[key.slot] += n;
}

void LocksAggregator::add_kernel_lock(const locks_klock_key& key, const locks_klock_stats& stats) {
  klocks_.emplace_back(key, stats);
}

void LocksAggregator::add_kernel_type(uint32_t flags, const pt_op_stats& stats) {
  auto& t = kernel_types_[flags];
  t.first = stats;
  if (t.second.empty()) t.second.assign(kHistSlots, 0);
}

void LocksAggregator::add_kernel_hist(uint32_t key, uint64_t n) {
  const uint32_t flags = key >> 8, slot = key & 0xff;
  if (slot >= kHistSlots) return;
  auto& t = kernel_types_[flags];
  if (t.second.empty()) t.second.assign(kHistSlots, 0);
  t.second[slot] += n;
}

LocksReport LocksAggregator::build() const {
  LocksReport r;
  r.window_ns = window_ns_;
  r.min_wait_ns = min_wait_ns_;
  r.futex_status = futex_status_;
  r.mutex_status = mutex_status_;
  r.kernel_status = kernel_status_;
  for (const auto& [kind, row] : kinds_) {
    const auto& [s, slots] = row;
    if (s.calls == 0) continue;
    r.kinds.push_back({std::string(lock_kind_name(kind)), s.calls, s.waits, s.not_blocked,
                       s.total_ns, summarize(slots, s.total_ns, s.max_ns)});
  }

  for (const auto& [id, l] : locks_) {
    const auto& [tgid, kind, addr] = id;
    // A waiter row or bucket whose lock row was refused (map full) has no totals to show.
    if (l.stats.waits == 0 && l.stats.not_blocked == 0 && l.stats.timeouts == 0 &&
        l.stats.errors == 0)
      continue;
    UserLockReport u;
    u.kind = lock_kind_name(kind);
    u.pid = tgid;
    u.addr = fmt::format("{:#x}", addr);
    u.shared = l.stats.flags & LOCKS_F_SHARED;
    u.ops = kind == LOCKS_KIND_FUTEX ? futex_ops_text(l.stats.ops) : "";
    u.waits = l.stats.waits;
    u.not_blocked = l.stats.not_blocked;
    u.timeouts = l.stats.timeouts;
    u.errors = l.stats.errors;
    u.total_ns = l.stats.total_ns;
    u.caller = l.caller;
    u.latency = summarize(l.slots, l.stats.total_ns, l.stats.max_ns);
    u.waiters = l.waiters;
    u.threads = static_cast<uint32_t>(u.waiters.size());
    std::stable_sort(u.waiters.begin(), u.waiters.end(),
                     [](const LockWaiterReport& a, const LockWaiterReport& b) {
                       return a.total_ns > b.total_ns;
                     });
    if (u.waiters.size() > kMaxWaiters) u.waiters.resize(kMaxWaiters);
    // Each waiting thread could have waited the whole window at most.
    if (window_ns_ && u.threads)
      u.wait_percent = u.total_ns * 100 / (uint64_t{u.threads} * window_ns_);
    r.locks.push_back(std::move(u));
  }
  std::stable_sort(
      r.locks.begin(), r.locks.end(),
      [](const UserLockReport& a, const UserLockReport& b) { return a.total_ns > b.total_ns; });
  if (r.locks.size() > kMaxLocks) r.locks.resize(kMaxLocks);

  for (const auto& [flags, row] : kernel_types_) {
    const auto& [s, slots] = row;
    if (s.count == 0) continue;
    r.kernel_types.push_back({kernel_lock_type(flags), kernel_lock_flags_text(flags), s.count,
                              s.total_ns, summarize(slots, s.total_ns, s.max_ns)});
  }
  std::stable_sort(r.kernel_types.begin(), r.kernel_types.end(),
                   [](const KernelLockTypeReport& a, const KernelLockTypeReport& b) {
                     return a.total_ns > b.total_ns;
                   });
  for (const auto& [key, s] : klocks_) {
    if (s.count == 0) continue;
    r.kernel_locks.push_back({kernel_lock_type(key.flags), kernel_lock_flags_text(key.flags),
                              fmt::format("{:#x}", key.addr),
                              std::string(kernel_lock_class_name(s.kclass)), s.tgid,
                              c_string(s.comm, sizeof(s.comm)), s.count, s.total_ns, s.max_ns});
  }
  std::stable_sort(
      r.kernel_locks.begin(), r.kernel_locks.end(),
      [](const KernelLockReport& a, const KernelLockReport& b) { return a.total_ns > b.total_ns; });
  if (r.kernel_locks.size() > kMaxLocks) r.kernel_locks.resize(kMaxLocks);
  return r;
}

}  // namespace podtrace::tracer
