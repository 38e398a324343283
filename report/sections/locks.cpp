// SPDX-License-Identifier: Apache-2.0
// sections/locks.cpp: JSON, text, metrics and findings of the locks section.
#include "sections/locks.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "bars.h"
#include "json_read.h"
#include "metrics_top.h"
#include "section_util.h"
#include "units.h"

namespace podtrace {

namespace {

// The findings' limits are thresholds (lock_wait_share, lock_min_wait, kernel_lock_share): a
// lock whose waiters spent that share of the trace waiting explains a slow pod, below it it is
// one cost among others; kernel lock contention counts the target's threads together (0.1: one
// tenth of a thread blocked on average).
constexpr size_t kWaitersShown = 5;

std::string waiter_line(const LockWaiterReport& w) {
  return fmt::format("tid {} {}: {} waits, {}, max {}", w.tid, w.comm, w.waits,
                     format_ns(w.total_ns), format_ns(w.max_ns));
}

// "caller …" for pthread locks, "ops …" for futex words, then the outcomes that did not wait.
std::string lock_detail(const UserLockReport& l) {
  std::string text = l.kind == "futex"
                         ? fmt::format("ops {}{}", l.ops, l.shared ? " (shared)" : " (private)")
                         : fmt::format("caller {}", l.caller);
  text += fmt::format(" · not blocked {} · timeouts {} · errors {}", l.not_blocked, l.timeouts,
                      l.errors);
  return text;
}

// "worker x6, main" : the waiting threads by name (threads of a pool share theirs).
std::string waiter_names(const UserLockReport& l) {
  std::map<std::string, uint64_t> names;
  for (const auto& w : l.waiters) names[w.comm]++;
  std::string out;
  for (const auto& [name, n] : names)
    out +=
        fmt::format("{}{}{}", out.empty() ? "" : ", ", name, n > 1 ? fmt::format(" x{}", n) : "");
  return out;
}

}  // namespace

void to_json(nlohmann::json& j, const LockWaiterReport& w) {
  j = {{"tid", w.tid},
       {"comm", w.comm},
       {"waits", w.waits},
       {"total_ns", w.total_ns},
       {"max_ns", w.max_ns}};
}

void from_json(const nlohmann::json& j, LockWaiterReport& w) {
  read_field(j, "tid", w.tid);
  read_field(j, "comm", w.comm);
  read_field(j, "waits", w.waits);
  read_field(j, "total_ns", w.total_ns);
  read_field(j, "max_ns", w.max_ns);
}

void to_json(nlohmann::json& j, const UserLockReport& l) {
  j = {{"kind", l.kind},
       {"pid", l.pid},
       {"addr", l.addr},
       {"shared", l.shared},
       {"waits", l.waits},
       {"not_blocked", l.not_blocked},
       {"timeouts", l.timeouts},
       {"errors", l.errors},
       {"total_ns", l.total_ns},
       {"threads", l.threads},
       {"wait_percent", l.wait_percent},
       {"latency", l.latency},
       {"waiters", l.waiters}};
  // Each only where it has a meaning: ops for futex words, caller for pthread locks.
  if (!l.ops.empty()) j["ops"] = l.ops;
  if (!l.caller.empty()) j["caller"] = l.caller;
}

void from_json(const nlohmann::json& j, UserLockReport& l) {
  read_field(j, "kind", l.kind);
  read_field(j, "pid", l.pid);
  read_field(j, "addr", l.addr);
  read_field(j, "shared", l.shared);
  read_field(j, "ops", l.ops);
  read_field(j, "waits", l.waits);
  read_field(j, "not_blocked", l.not_blocked);
  read_field(j, "timeouts", l.timeouts);
  read_field(j, "errors", l.errors);
  read_field(j, "total_ns", l.total_ns);
  read_field(j, "threads", l.threads);
  read_field(j, "wait_percent", l.wait_percent);
  read_field(j, "caller", l.caller);
  read_object(j, "latency", l.latency);
  read_array(j, "waiters", l.waiters);
}

void to_json(nlohmann::json& j, const LockKindReport& k) {
  j = {{"kind", k.kind},         {"calls", k.calls},
       {"waits", k.waits},       {"not_blocked", k.not_blocked},
       {"total_ns", k.total_ns}, {"latency", k.latency}};
}

void from_json(const nlohmann::json& j, LockKindReport& k) {
  read_field(j, "kind", k.kind);
  read_field(j, "calls", k.calls);
  read_field(j, "waits", k.waits);
  read_field(j, "not_blocked", k.not_blocked);
  read_field(j, "total_ns", k.total_ns);
  read_object(j, "latency", k.latency);
}

void to_json(nlohmann::json& j, const KernelLockTypeReport& k) {
  j = {{"type", k.type},
       {"flags", k.flags},
       {"contentions", k.contentions},
       {"total_ns", k.total_ns},
       {"latency", k.latency}};
}

void from_json(const nlohmann::json& j, KernelLockTypeReport& k) {
  read_field(j, "type", k.type);
  read_field(j, "flags", k.flags);
  read_field(j, "contentions", k.contentions);
  read_field(j, "total_ns", k.total_ns);
  read_object(j, "latency", k.latency);
}

void to_json(nlohmann::json& j, const KernelLockReport& k) {
  j = {{"type", k.type},         {"flags", k.flags},  {"addr", k.addr},
       {"pid", k.pid},           {"comm", k.comm},    {"contentions", k.contentions},
       {"total_ns", k.total_ns}, {"max_ns", k.max_ns}};
  if (!k.name.empty()) j["name"] = k.name;  // only the locks the tracer recognises
}

void from_json(const nlohmann::json& j, KernelLockReport& k) {
  read_field(j, "type", k.type);
  read_field(j, "flags", k.flags);
  read_field(j, "addr", k.addr);
  read_field(j, "name", k.name);
  read_field(j, "pid", k.pid);
  read_field(j, "comm", k.comm);
  read_field(j, "contentions", k.contentions);
  read_field(j, "total_ns", k.total_ns);
  read_field(j, "max_ns", k.max_ns);
}

void to_json(nlohmann::json& j, const LocksReport& r) {
  j = {{"window_ns", r.window_ns},
       {"futex_status", r.futex_status},
       {"mutex_status", r.mutex_status},
       {"kernel_status", r.kernel_status},
       {"min_wait_ns", r.min_wait_ns},
       {"kinds", r.kinds},
       {"locks", r.locks},
       {"kernel_types", r.kernel_types},
       {"kernel_locks", r.kernel_locks}};
}

void from_json(const nlohmann::json& j, LocksReport& r) {
  read_field(j, "window_ns", r.window_ns);
  read_field(j, "futex_status", r.futex_status);
  read_field(j, "mutex_status", r.mutex_status);
  read_field(j, "kernel_status", r.kernel_status);
  read_field(j, "min_wait_ns", r.min_wait_ns);
  read_array(j, "kinds", r.kinds);
  read_array(j, "locks", r.locks);
  read_array(j, "kernel_types", r.kernel_types);
  read_array(j, "kernel_locks", r.kernel_locks);
}

void render_section(TextWriter& out, const LocksReport& r) {
  out.section(LocksReport::kTitle);
  out.line(fmt::format("futex: {} · pthread: {} (a call waits when it sleeps, or from {}) · "
                       "kernel: {} · over {}",
                       r.futex_status, r.mutex_status, format_ns(r.min_wait_ns), r.kernel_status,
                       format_ns(r.window_ns)),
           Tone::kDim);
  if (r.kinds.empty() && r.kernel_types.empty()) {
    out.line("no lock waits seen", Tone::kDim);
    return;
  }
  if (!r.kinds.empty()) {
    Table kinds = latency_table("wait", "waits", {"calls", "not blocked", "total"});
    for (const auto& k : r.kinds) {
      kinds.add_row(latency_row(
          k.kind, k.waits, k.latency,
          {{std::to_string(k.calls)}, {std::to_string(k.not_blocked)}, {format_ns(k.total_ns)}}));
      kinds.add_detail(out.histogram_lines(k.latency));
    }
    out.table(kinds);
  }
  if (!r.locks.empty()) {
    out.line("most contended locks, most wait first", Tone::kDim);
    Table locks = latency_table("lock", "waits", {"pid", "threads", "total", "of time"});
    for (const auto& l : r.locks) {
      locks.add_row(latency_row(
          fmt::format("{} {}", l.kind, l.addr), l.waits, l.latency,
          {{std::to_string(l.pid)},
           {std::to_string(l.threads)},
           {format_ns(l.total_ns)},
           {fmt::format("{}%", l.wait_percent),
            // The text has no thresholds: the default one colours it.
            static_cast<double>(l.wait_percent) >= 100 * DiagnoseThresholds{}.lock_wait_share
                ? Tone::kYellow
                : Tone::kPlain}}));
      std::vector<std::string> detail = {lock_detail(l)};
      for (size_t i = 0; i < std::min(l.waiters.size(), kWaitersShown); ++i)
        detail.push_back(waiter_line(l.waiters[i]));
      if (l.waiters.size() > kWaitersShown)
        detail.push_back(fmt::format("… {} more threads", l.waiters.size() - kWaitersShown));
      for (auto& h : out.histogram_lines(l.latency)) detail.push_back(std::move(h));
      locks.add_detail(std::move(detail));
    }
    out.table(locks);
  }
  if (!r.kernel_types.empty()) {
    out.line("kernel lock contention of the target's threads, by lock type", Tone::kDim);
    Table types = latency_table("type", "contentions", {"flags", "total"});
    for (const auto& k : r.kernel_types) {
      types.add_row(
          latency_row(k.type, k.contentions, k.latency, {{k.flags}, {format_ns(k.total_ns)}}));
      types.add_detail(out.histogram_lines(k.latency));
    }
    out.table(types);
  }
  if (!r.kernel_locks.empty()) {
    Table locks({{"kernel lock", Table::Align::kLeft},
                 {"type", Table::Align::kLeft},
                 {"flags", Table::Align::kLeft},
                 {"contentions"},
                 {"total"},
                 {"max"},
                 {"pid"},
                 {"comm", Table::Align::kLeft}});
    for (const auto& k : r.kernel_locks)
      locks.add_row({{k.name.empty() ? k.addr : k.name + " " + k.addr},
                     {k.type},
                     {k.flags},
                     {std::to_string(k.contentions)},
                     {format_ns(k.total_ns)},
                     {format_ns(k.max_ns)},
                     {std::to_string(k.pid)},
                     {k.comm}});
    out.table(locks);
  }
}

void write_section_metrics(MetricsWriter& out, const LocksReport& r) {
  out.family("podtrace_lock_wait_seconds", "histogram",
             "Time the pod's threads waited for user-space locks, by kind of wait (futex, "
             "mutex, rwlock_read, rwlock_write).");
  for (const auto& k : r.kinds)
    out.histogram("podtrace_lock_wait_seconds", {{"kind", k.kind}}, k.latency, k.total_ns);
  out.family("podtrace_lock_not_blocked_total", "counter",
             "Lock calls that did not wait: futex EAGAIN, pthread locks taken at once.");
  for (const auto& k : r.kinds)
    out.sample("podtrace_lock_not_blocked_total", {{"kind", k.kind}}, k.not_blocked);
  out.family("podtrace_kernel_lock_wait_seconds", "histogram",
             "Time the pod's threads waited on contended kernel locks, by lock type.");
  for (const auto& k : r.kernel_types)
    out.histogram("podtrace_kernel_lock_wait_seconds", {{"type", k.type}}, k.latency, k.total_ns);
  // Per lock, bounded: the locks waited on longest keep their process and address, the rest are
  // pid="other", addr="other".
  std::vector<uint64_t> weights;
  for (const auto& l : r.locks) weights.push_back(l.total_ns);
  const std::vector<bool> keep = top_entities(weights, out.top());
  SummedSeries per_lock;
  for (size_t i = 0; i < r.locks.size(); ++i) {
    const auto& l = r.locks[i];
    const Labels labels = {{"kind", l.kind}, {"pid", std::to_string(l.pid)}, {"addr", l.addr}};
    per_lock.add_histogram(keep[i] ? labels : fold_labels(labels, {"kind"}), l.latency, l.total_ns);
  }
  out.family("podtrace_lock_contended_wait_seconds", "histogram",
             "Waits on the pod's most contended user-space locks, by kind, process and address "
             "(the locks waited on longest; the rest as pid=\"other\", addr=\"other\").");
  per_lock.write(out, "podtrace_lock_contended_wait_seconds");
}

void diagnose_section(const LocksReport& r, const DiagnoseThresholds& t,
                      std::vector<Finding>& out) {
  // pthread locks first: a glibc mutex's futex word is the mutex's own address, so its futex
  // waits are the same contention and get no finding of their own.
  std::vector<std::pair<uint32_t, std::string>> explained;
  auto contended = [&t](const UserLockReport& l) {
    return static_cast<double>(l.wait_percent) >= 100 * t.lock_wait_share &&
           l.total_ns >= t.lock_min_wait_ns;
  };
  for (const auto& l : r.locks) {
    if (l.kind == "futex" || !contended(l)) continue;
    explained.emplace_back(l.pid, l.addr);
    out.push_back(
        {"warning", "locks",
         fmt::format("contended {} {} in pid {}: its waiters were blocked {}% of the time", l.kind,
                     l.addr, l.pid, l.wait_percent),
         fmt::format("{} threads waited {} in {} waits (p99 {}, max {}); first caller {}; {}",
                     l.threads, format_ns(l.total_ns), l.waits, format_ns(l.latency.p99_ns),
                     format_ns(l.latency.max_ns), l.caller, waiter_names(l))});
  }
  for (const auto& l : r.locks) {
    if (l.kind != "futex" || !contended(l) || l.threads < 2) continue;
    if (std::find(explained.begin(), explained.end(), std::pair{l.pid, l.addr}) != explained.end())
      continue;
    // A priority-inheritance futex is a lock by construction; a plain futex wait may also be a
    // condition variable or an idle worker, which the kernel cannot tell apart.
    const bool pi = l.ops.find("lock_pi") != std::string::npos;
    out.push_back(
        {pi ? "warning" : "info", "locks",
         fmt::format("threads of pid {} waited on futex {} {}% of the time", l.pid, l.addr,
                     l.wait_percent),
         fmt::format("{} threads, {} in {} waits (p99 {}); {}{}", l.threads, format_ns(l.total_ns),
                     l.waits, format_ns(l.latency.p99_ns), waiter_names(l),
                     pi ? "" : "; a contended lock, or a condition variable / idle workers")});
  }
  for (const auto& k : r.kernel_types) {
    if (r.window_ns == 0 || k.total_ns < t.lock_min_wait_ns ||
        static_cast<double>(k.total_ns) < t.kernel_lock_share * static_cast<double>(r.window_ns))
      continue;
    const KernelLockReport* worst = nullptr;
    for (const auto& l : r.kernel_locks)
      if (l.type == k.type && (!worst || l.total_ns > worst->total_ns)) worst = &l;
    std::string where;
    if (worst)
      where = fmt::format("; mostly {} ({} in pid {})",
                          worst->name.empty() ? worst->addr : worst->name, worst->comm, worst->pid);
    out.push_back({"warning", "locks",
                   fmt::format("kernel {} contention: {} waited in {} contentions", k.type,
                               format_ns(k.total_ns), k.contentions),
                   fmt::format("p99 {}, max {}{}", format_ns(k.latency.p99_ns),
                               format_ns(k.latency.max_ns), where)});
  }
}

bool section_quiet(const LocksReport& r) {
  for (const auto& k : r.kinds)
    if (k.calls || k.waits) return false;
  return r.locks.empty() && r.kernel_types.empty() && r.kernel_locks.empty();
}

}  // namespace podtrace
