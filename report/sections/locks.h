// SPDX-License-Identifier: Apache-2.0
// sections/locks.h: the locks section: futex waits per lock word, pthread mutex/rwlock waits per
// lock, and kernel lock contention per lock type and lock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latency.h"
#include "section.h"

namespace podtrace {

// Waits of one thread on one lock.
struct LockWaiterReport {
  uint32_t tid = 0;
  std::string comm;
  uint64_t waits = 0;
  uint64_t total_ns = 0;
  uint64_t max_ns = 0;
  bool operator==(const LockWaiterReport&) const = default;
};

// One user-space lock of one process: a futex word or a pthread mutex/rwlock, by its address in
// that process.
struct UserLockReport {
  std::string kind;  // "futex", "mutex", "rwlock_read", "rwlock_write"
  uint32_t pid = 0;
  std::string addr;          // "0x7f…"
  bool shared = false;       // futex: waited on without FUTEX_PRIVATE_FLAG
  std::string ops;           // futex: the wait operations seen, "wait,wait_bitset"
  uint64_t waits = 0;        // futex calls that slept; pthread calls that slept in one
  uint64_t not_blocked = 0;  // futex: EAGAIN, the word had changed and the call did not sleep
  uint64_t timeouts = 0;
  uint64_t errors = 0;
  uint64_t total_ns = 0;
  uint32_t threads = 0;       // distinct threads that waited
  uint64_t wait_percent = 0;  // total_ns / (threads × window_ns), in percent
  std::string caller;         // pthread: "binary+0xoffset" of the first waiting call
  LatencySummary latency;
  std::vector<LockWaiterReport> waiters;  // most wait first
  bool operator==(const UserLockReport&) const = default;
};

// Totals of one kind of user-space wait.
struct LockKindReport {
  std::string kind;
  uint64_t calls = 0;
  uint64_t waits = 0;
  uint64_t not_blocked = 0;
  uint64_t total_ns = 0;
  LatencySummary latency;
  bool operator==(const LockKindReport&) const = default;
};

// Kernel lock contention of the target's threads, per lock type (lock:contention_begin flags).
struct KernelLockTypeReport {
  std::string type;   // "mutex", "rwsem:W", "spinlock"…
  std::string flags;  // "MUTEX|SPIN"
  uint64_t contentions = 0;
  uint64_t total_ns = 0;
  LatencySummary latency;
  bool operator==(const KernelLockTypeReport&) const = default;
};

// One contended kernel lock.
struct KernelLockReport {
  std::string type;
  std::string flags;
  std::string addr;  // kernel address
  std::string name;  // "mmap_lock", "siglock" when recognised, else ""
  uint32_t pid = 0;  // last target process that waited on it
  std::string comm;
  uint64_t contentions = 0;
  uint64_t total_ns = 0;
  uint64_t max_ns = 0;
  bool operator==(const KernelLockReport&) const = default;
};

struct LocksReport {
  static constexpr std::string_view kKey = "locks";
  static constexpr std::string_view kTitle = "Locks";
  uint64_t window_ns = 0;  // traced so far: the denominator of wait_percent
  // Which parts run: "active: …" or "off: why".
  std::string futex_status;
  std::string mutex_status;
  std::string kernel_status;
  // A pthread call waited when it slept in a futex wait, or (spinning, preempted) took this long.
  uint64_t min_wait_ns = 0;
  std::vector<LockKindReport> kinds;
  std::vector<UserLockReport> locks;  // most total wait first
  std::vector<KernelLockTypeReport> kernel_types;
  std::vector<KernelLockReport> kernel_locks;  // most total wait first
  bool operator==(const LocksReport&) const = default;
};

void to_json(nlohmann::json& j, const LockWaiterReport& w);
void from_json(const nlohmann::json& j, LockWaiterReport& w);
void to_json(nlohmann::json& j, const UserLockReport& l);
void from_json(const nlohmann::json& j, UserLockReport& l);
void to_json(nlohmann::json& j, const LockKindReport& k);
void from_json(const nlohmann::json& j, LockKindReport& k);
void to_json(nlohmann::json& j, const KernelLockTypeReport& k);
void from_json(const nlohmann::json& j, KernelLockTypeReport& k);
void to_json(nlohmann::json& j, const KernelLockReport& k);
void from_json(const nlohmann::json& j, KernelLockReport& k);
void to_json(nlohmann::json& j, const LocksReport& r);
void from_json(const nlohmann::json& j, LocksReport& r);
void render_section(TextWriter& out, const LocksReport& r);
void write_section_metrics(MetricsWriter& out, const LocksReport& r);
void diagnose_section(const LocksReport& r, const DiagnoseThresholds& t, std::vector<Finding>& out);
// Nothing of the pod seen: the text report folds the section into one line.
bool section_quiet(const LocksReport& r);

}  // namespace podtrace
