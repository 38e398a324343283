// SPDX-License-Identifier: Apache-2.0
// locks_test.cpp: a contended pthread mutex with the wait its threads measured, exact futex wait
// counts (private, shared, futex_waitv, futex_wait) and mmap_lock contention, from real
// workloads in real cgroups; the same workloads in another cgroup are absent.
#include <bpf/btf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "families.h"
#include "family_args.h"
#include "kernel_features.h"
#include "kernel_test_util.h"
#include "session.h"

namespace podtrace::tracer::testing {
namespace {

// Every family but locks is off: the tests stay fast and see only what they caused.
std::vector<std::string> locks_only(const TestCgroup& target) {
  return {"--cgroup", target.v2().string(), "--disable", families_except("locks")};
}

// The values of `flag` among the tracer arguments the kernel matrix adds (tests/vm/matrix).
std::vector<std::string> matrix_flag_values(std::string_view flag) {
  const char* args = std::getenv("PODTRACE_TEST_TRACER_ARGS");
  std::istringstream words(args ? args : "");
  std::vector<std::string> values;
  for (std::string w, prev; words >> w; prev = w)
    if (prev == flag) values.push_back(w);
  return values;
}

// The first rung of a ladder that the kernel matrix has not masked (--no-attach in
// PODTRACE_TEST_TRACER_ARGS) and the kernel allows (fentry: not on this repository's
// locked-down host, yes in the 6.1 and 6.12 VMs): the one the tracer must use.
std::string first_rung(const std::vector<std::string>& ladder) {
  static const LiveKernelFeatures live;
  std::string masked = ",";
  for (const auto& list : matrix_flag_values("--no-attach")) masked += list + ",";
  for (const auto& rung : ladder) {
    const auto type = attach_type_from_name(rung);
    if (masked.find("," + rung + ",") == std::string::npos && type && live.has(*type)) return rung;
  }
  return "none";
}

// The futex hooks' ladder: the one --syscall-hooks picks (syscall_hooks.h).
std::vector<std::string> futex_ladder() {
  SyscallHooks hooks = SyscallHooks::kShared;
  for (const auto& name : matrix_flag_values("--syscall-hooks"))
    hooks = *syscall_hooks_from_name(name);
  std::vector<std::string> names;
  for (AttachType t : syscall_hook_ladder(hooks)) names.emplace_back(attach_type_name(t));
  return names;
}

// The kernel lock hooks' ladder (locks_probe.cpp).
const std::vector<std::string> kKernelLockLadder = {"tp_btf", "raw_tracepoint", "tracepoint"};

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000ull + ts.tv_nsec;
}

void spin_for(uint64_t ns) {
  const uint64_t end = now_ns() + ns;
  while (now_ns() < end) {
  }
}

std::optional<nlohmann::json> find_lock(const nlohmann::json& report, const std::string& kind,
                                        const std::string& addr, pid_t pid) {
  return find_entry(report["locks"]["locks"], {{"kind", kind}, {"addr", addr}, {"pid", pid}});
}

bool has_pid(const nlohmann::json& array, pid_t pid) {
  for (const auto& e : array)
    if (e["pid"] == pid) return true;
  return false;
}

// ---- pthread mutex ----

// Until thread `tid` sleeps in a futex wait (where glibc's lock calls block).
bool wait_until_in_futex(pid_t tid) {
  const std::string path = fmt::format("/proc/self/task/{}/syscall", tid);
  const uint64_t deadline = now_ns() + 5'000'000'000ull;
  while (now_ns() < deadline) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    if (line.starts_with(fmt::format("{} ", SYS_futex))) return true;
    sched_yield();
  }
  return false;
}

pid_t gettid_now() { return static_cast<pid_t>(syscall(SYS_gettid)); }

constexpr int kThreads = 8;
constexpr int kIterations = 60;
constexpr uint64_t kHoldNs = 250'000;

struct MutexResult {
  uint64_t mutex = 0;
  std::atomic<uint64_t> waited_ns{0};
};

pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;

// Not inlined: its return address names it as the caller the report shows.
__attribute__((noinline)) uint64_t lock_and_measure(pthread_mutex_t* m) {
  const uint64_t start = now_ns();
  pthread_mutex_lock(m);
  return now_ns() - start;
}

int contend(MutexResult* out) {
  out->mutex = reinterpret_cast<uintptr_t>(&g_mutex);
  // The main thread holds the mutex until every thread sleeps on it, so each one waits at
  // least once however the machine runs them (a VM's emulated CPUs may take turns, and a thread
  // could otherwise find the mutex free every time). trylock: not a probed call, not counted.
  if (pthread_mutex_trylock(&g_mutex) != 0) return 20;
  std::atomic<bool> go{false};
  std::atomic<pid_t> tids[kThreads] = {};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      tids[t] = gettid_now();
      while (!go.load()) {
      }
      uint64_t waited = 0;
      for (int i = 0; i < kIterations; ++i) {
        waited += lock_and_measure(&g_mutex);
        spin_for(kHoldNs);
        pthread_mutex_unlock(&g_mutex);
        spin_for(kHoldNs / 4);
      }
      out->waited_ns += waited;
    });
  go = true;
  int failures = 0;
  for (auto& tid : tids) {
    while (!tid.load()) {
    }
    if (!wait_until_in_futex(tid)) failures++;
  }
  pthread_mutex_unlock(&g_mutex);
  for (auto& t : threads) t.join();
  return failures;
}

// Whether this kernel has uprobe_multi links (Linux 6.6): its BTF then knows the attach type.
// The kernel's own answer, independent of the tracer's attach code.
bool kernel_has_uprobe_multi() {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) throw std::runtime_error("no kernel BTF");
  bool found = false;
  const int id = btf__find_by_name_kind(vmlinux, "bpf_attach_type", BTF_KIND_ENUM);
  if (id > 0) {
    const btf_type* t = btf__type_by_id(vmlinux, id);
    const struct btf_enum* e = btf_enum(t);
    for (uint16_t i = 0; i < btf_vlen(t); ++i, ++e)
      found = found || std::string_view(btf__name_by_offset(vmlinux, e->name_off)) ==
                           "BPF_TRACE_UPROBE_MULTI";
  }
  btf__free(vmlinux);
  return found;
}

// The pthread probes as one uprobe_multi link per program (Linux 6.6+), and as the per-function
// perf-event uprobes older kernels get (forced here with PODTRACE_UPROBE_MULTI=off). A kernel
// without uprobe_multi gets the per-function uprobes in both. The third case keeps each
// thread's call in flight in an LRU hash keyed by tid (`--no-attach task_storage`: kernels before
// 5.12) instead of in its task.
struct MutexCase {
  std::string probes;
  bool in_task;
};
class MutexTest : public ::testing::TestWithParam<MutexCase> {};

TEST_P(MutexTest, NamesTheContendedMutexWithTheWaitItsThreadsMeasured) {
  const std::string probes = kernel_has_uprobe_multi() ? GetParam().probes : "uprobes";
  TestCgroup target("pt-mutex-target"), other("pt-mutex-other");
  auto* mine = shared_page<MutexResult>();
  auto* theirs = shared_page<MutexResult>();
  Workload traced(target, [&] { return contend(mine); });
  Workload untraced(other, [&] { return contend(theirs); });
  if (GetParam().probes == "uprobes") setenv("PODTRACE_UPROBE_MULTI", "off", 1);
  std::vector<std::string> args = locks_only(target);
  if (!GetParam().in_task) args.insert(args.end(), {"--no-attach", "task_storage"});
  TracerProcess tracer(args);
  unsetenv("PODTRACE_UPROBE_MULTI");
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  EXPECT_EQ(tracer.reported_feature_works("task_storage"), GetParam().in_task);
  const auto locks = report["locks"];
  EXPECT_EQ(locks["mutex_status"], "active: " + probes + " in 1 process") << locks.dump();
  ASSERT_FALSE(locks["locks"].empty()) << locks.dump();
  // The most contended lock of the trace is the workload's mutex.
  const auto top = locks["locks"][0];
  const std::string addr = fmt::format("{:#x}", mine->mutex);
  EXPECT_EQ(top["kind"], "mutex") << top.dump();
  EXPECT_EQ(top["addr"], addr);
  EXPECT_EQ(top["pid"], traced.pid());
  EXPECT_EQ(top["threads"], kThreads);
  const double measured = static_cast<double>(mine->waited_ns.load());
  const double reported = top["total_ns"].get<double>();
  EXPECT_GT(measured, 0.1e9);  // the workload really contended
  EXPECT_NEAR(reported, measured, 0.2 * measured) << top.dump();
  EXPECT_NE(top["caller"].get<std::string>().find("lock_and_measure"), std::string::npos)
      << top["caller"];
  EXPECT_NE(top["caller"].get<std::string>().find("(kernel-tests)"), std::string::npos);
  EXPECT_EQ(top["waiters"].size(), static_cast<size_t>(kThreads));
  // Every lock call of the workload went through the uprobes, and glibc's own: each new thread
  // also takes ld.so's recursive lock (_rtld_global) once through pthread_mutex_lock.
  auto mutex_kind = find_entry(locks["kinds"], {{"kind", "mutex"}});
  ASSERT_TRUE(mutex_kind);
  EXPECT_GE((*mutex_kind)["calls"], kThreads * kIterations);
  EXPECT_LE((*mutex_kind)["calls"], kThreads * (kIterations + 1));
  EXPECT_LE(top["waits"], kThreads * kIterations);
  // glibc sleeps on the mutex's own word: the futex view sees the same lock.
  auto word = find_lock(report, "futex", addr, traced.pid());
  ASSERT_TRUE(word) << locks.dump();
  EXPECT_GT((*word)["waits"].get<uint64_t>(), 0u);
  EXPECT_FALSE(has_pid(locks["locks"], untraced.pid()));

  bool flagged = false;
  for (const auto& f : report["findings"])
    if (f["family"] == "locks" && f["title"].get<std::string>().starts_with(fmt::format(
                                      "contended mutex {} in pid {}", addr, traced.pid())))
      flagged = true;
  EXPECT_TRUE(flagged) << report["findings"].dump();
}

INSTANTIATE_TEST_SUITE_P(Locks, MutexTest,
                         ::testing::Values(MutexCase{"uprobe_multi", true},
                                           MutexCase{"uprobes", true},
                                           MutexCase{"uprobe_multi", false}),
                         [](const ::testing::TestParamInfo<MutexCase>& info) {
                           return info.param.probes + (info.param.in_task ? "" : "_tid_hash");
                         });

// ---- pthread rwlock and timed lock ----

constexpr int kReaders = 3;

struct RwlockResult {
  uint64_t rwlock = 0, timed = 0;
  pid_t readers[kReaders] = {};
  pid_t writer = 0, timer = 0;
  uint64_t timed_call_ns = 0;  // the timed lock call, entry to return, as the workload saw it
  int failures = 0;
};

int rwlock_waits(RwlockResult* out) {
  static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
  static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
  out->rwlock = reinterpret_cast<uintptr_t>(&rw);
  out->timed = reinterpret_cast<uintptr_t>(&held);
  std::atomic<pid_t> tids[kReaders + 2] = {};
  // The main thread's own lock calls are trylocks, which are not probed: only the waits this
  // test causes are counted (the process's first probed call can take over 1 ms on a slow VM,
  // which the tracer rightly counts as a wait).
  // Readers wait for a writer: each is released only once it sleeps.
  if (pthread_rwlock_trywrlock(&rw) != 0) return 20;
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i)
    readers.emplace_back([&, i] {
      tids[i] = gettid_now();
      if (pthread_rwlock_rdlock(&rw) != 0) out->failures++;
      pthread_rwlock_unlock(&rw);
    });
  for (int i = 0; i < kReaders; ++i) {
    while (!tids[i].load()) {
    }
    out->readers[i] = tids[i];
    if (!wait_until_in_futex(tids[i])) out->failures++;
  }
  pthread_rwlock_unlock(&rw);
  for (auto& t : readers) t.join();
  // A writer waits for a reader.
  if (pthread_rwlock_tryrdlock(&rw) != 0) return 21;
  std::thread writer([&] {
    tids[kReaders] = gettid_now();
    if (pthread_rwlock_wrlock(&rw) != 0) out->failures++;
    pthread_rwlock_unlock(&rw);
  });
  while (!tids[kReaders].load()) {
  }
  out->writer = tids[kReaders];
  if (!wait_until_in_futex(out->writer)) out->failures++;
  pthread_rwlock_unlock(&rw);
  writer.join();
  // A timed lock gives up on a mutex that stays held.
  if (pthread_mutex_trylock(&held) != 0) return 22;
  std::thread timer([&] {
    out->timer = gettid_now();
    timespec until{};
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 20'000'000;
    if (until.tv_nsec >= 1'000'000'000) {
      until.tv_sec++;
      until.tv_nsec -= 1'000'000'000;
    }
    const uint64_t before = now_ns();
    if (pthread_mutex_timedlock(&held, &until) != ETIMEDOUT) out->failures++;
    out->timed_call_ns = now_ns() - before;
  });
  timer.join();
  pthread_mutex_unlock(&held);
  return out->failures;
}

TEST(LocksTest, SplitsRwlockWaitsByReadAndWriteAndCountsTimeouts) {
  TestCgroup target("pt-rwlock-target"), other("pt-rwlock-other");
  auto* mine = shared_page<RwlockResult>();
  auto* theirs = shared_page<RwlockResult>();
  Workload traced(target, [&] { return rwlock_waits(mine); });
  Workload untraced(other, [&] { return rwlock_waits(theirs); });
  TracerProcess tracer(locks_only(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  const auto locks = report["locks"];
  const std::string rw = fmt::format("{:#x}", mine->rwlock);
  auto read = find_lock(report, "rwlock_read", rw, traced.pid());
  ASSERT_TRUE(read) << locks.dump();
  EXPECT_EQ((*read)["waits"], kReaders);
  EXPECT_EQ((*read)["threads"], kReaders);
  for (pid_t tid : mine->readers)
    EXPECT_TRUE(find_entry((*read)["waiters"], {{"tid", tid}, {"waits", 1}})) << tid;
  auto write = find_lock(report, "rwlock_write", rw, traced.pid());
  ASSERT_TRUE(write) << locks.dump();
  EXPECT_EQ((*write)["waits"], 1) << write->dump();
  EXPECT_EQ((*write)["waiters"][0]["tid"], mine->writer);
  auto timed = find_lock(report, "mutex", fmt::format("{:#x}", mine->timed), traced.pid());
  ASSERT_TRUE(timed) << locks.dump();
  EXPECT_EQ((*timed)["waits"], 1);
  EXPECT_EQ((*timed)["timeouts"], 1);
  EXPECT_EQ((*timed)["waiters"][0]["tid"], mine->timer);
  // The traced wait lies within the call as the workload timed it (≥ its 20 ms deadline), short
  // of it only by the uprobe's own entry and return: microseconds on hardware, up to ~5 ms under
  // the matrix's emulated CPU (6.1 measured 15.5 ms of a ~20 ms call).
  const uint64_t traced_ns = (*timed)["total_ns"].get<uint64_t>();
  EXPECT_GE(mine->timed_call_ns, 20'000'000u);
  EXPECT_LE(traced_ns, mine->timed_call_ns);
  EXPECT_GE(traced_ns + 10'000'000u, mine->timed_call_ns);
  EXPECT_FALSE(has_pid(locks["locks"], untraced.pid()));
}

// ---- futex ----

constexpr int kWaits = 20;
constexpr int kChanged = 5;          // waits whose expected value is stale: EAGAIN, no sleep
constexpr long kSysFutexWait = 455;  // futex_wait(2), Linux 6.7; older headers lack the number
constexpr unsigned kFutex2Private = 128;
// Whether the kernel has futex_wait(2): before 6.7 it answers ENOSYS, and the workloads leave
// those waits out (the tests then check that no futex2 lock appears). Asked once, at start-up
// in the test process, so no traced workload makes the call; flags 0 name no size, which a
// kernel that has the call refuses with EINVAL before it touches the (null) address.
const bool kHasFutexWait =
    syscall(kSysFutexWait, nullptr, 0, 0, 0, nullptr, 0) == -1 && errno != ENOSYS;

struct FutexResult {
  uint64_t priv = 0, shared = 0, waitv_first = 0, waitv_woken = 0, futex2 = 0;
  pid_t waiter_tid = 0;
  int failures = 0;
  char first_failure[128] = {};  // what failed first, for the test's message
};

void note_failure(FutexResult* out, const char* what, long ret) {
  if (out->failures++ == 0)
    snprintf(out->first_failure, sizeof(out->first_failure), "%s: returned %ld, errno %d", what,
             ret, errno);
}

long futex(uint32_t* word, int op, uint32_t val) {
  return syscall(SYS_futex, word, op, val, nullptr, nullptr, 0);
}

// Until `tid` sleeps in syscall `nr` whose first argument is `arg0`: /proc shows the syscall of
// a blocked thread only, so a wake after this always finds it queued.
bool wait_until_asleep(pid_t tid, long nr, const void* arg0) {
  const std::string path = fmt::format("/proc/self/task/{}/syscall", tid);
  const std::string want = fmt::format("{} {:#x} ", nr, reinterpret_cast<uintptr_t>(arg0));
  const uint64_t deadline = now_ns() + 5'000'000'000ull;
  while (now_ns() < deadline) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    if (line.starts_with(want)) return true;
    sched_yield();
  }
  return false;
}

int futex_waits(FutexResult* out) {
  static uint32_t priv = 0, va = 0, vb = 0, f2 = 0;
  auto* shared = static_cast<uint32_t*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  static futex_waitv pair[2];
  pair[0] = {0, reinterpret_cast<uintptr_t>(&va), FUTEX_32 | kFutex2Private, 0};
  pair[1] = {0, reinterpret_cast<uintptr_t>(&vb), FUTEX_32 | kFutex2Private, 0};
  out->priv = reinterpret_cast<uintptr_t>(&priv);
  out->shared = reinterpret_cast<uintptr_t>(shared);
  out->waitv_first = reinterpret_cast<uintptr_t>(&va);
  out->waitv_woken = reinterpret_cast<uintptr_t>(&vb);
  out->futex2 = reinterpret_cast<uintptr_t>(&f2);
  std::atomic<pid_t> tid{0};
  std::atomic<bool> finished{false};
  std::thread waiter([&] {
    pthread_setname_np(pthread_self(), "pt-waiter");
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    auto expect = [&](const char* what, long ret, int err) {
      if (ret != (err ? -1 : 0) || (err && errno != err)) note_failure(out, what, ret);
    };
    for (int i = 0; i < kWaits; ++i) expect("wait", futex(&priv, FUTEX_WAIT_PRIVATE, 0), 0);
    for (int i = 0; i < kChanged; ++i)
      expect("stale wait", futex(&priv, FUTEX_WAIT_PRIVATE, 1), EAGAIN);
    for (int i = 0; i < kWaits; ++i) expect("shared wait", futex(shared, FUTEX_WAIT, 0), 0);
    for (int i = 0; i < kChanged; ++i)
      expect("stale shared wait", futex(shared, FUTEX_WAIT, 1), EAGAIN);
    for (int i = 0; i < kWaits; ++i)
      if (long r = syscall(SYS_futex_waitv, pair, 2, 0, nullptr, CLOCK_MONOTONIC); r != 1)
        note_failure(out, "futex_waitv", r);
    for (int i = 0; i < kWaits && kHasFutexWait; ++i)
      expect("futex_wait",
             syscall(kSysFutexWait, &f2, 0, FUTEX_BITSET_MATCH_ANY, FUTEX_32 | kFutex2Private,
                     nullptr, CLOCK_MONOTONIC),
             0);
    finished = true;
  });
  while (!tid.load()) {
  }
  out->waiter_tid = tid;
  // Wakes each wait once the waiter really sleeps in it. /proc shows the syscall as soon as
  // the waiter blocks anywhere inside it: on a slow VM it can still be on its way to the queue
  // (blocked on the mmap lock, say), and the wake finds nobody. Then the same wait is woken
  // again once it sleeps: each wait must still end by exactly one wake.
  auto wake_each = [&](long nr, const void* arg0, uint32_t* word, int op) {
    for (int i = 0; i < kWaits; ++i) {
      long woken = 0;
      for (uint64_t until = now_ns() + 5'000'000'000ull; woken == 0 && now_ns() < until;) {
        // A wait not seen asleep is a failure, but it is still woken: the waiter must not hang.
        if (!wait_until_asleep(tid, nr, arg0)) note_failure(out, "never asleep", i);
        woken = futex(word, op, 1);
        if (woken == 0) usleep(1000);
      }
      if (woken != 1) note_failure(out, "wake", woken);
    }
  };
  wake_each(SYS_futex, &priv, &priv, FUTEX_WAKE_PRIVATE);
  wake_each(SYS_futex, shared, shared, FUTEX_WAKE);
  wake_each(SYS_futex_waitv, pair, &vb, FUTEX_WAKE_PRIVATE);
  if (kHasFutexWait) wake_each(kSysFutexWait, &f2, &f2, FUTEX_WAKE_PRIVATE);
  // The last wake lets the waiter finish; give it time to. Should the two sides ever get out
  // of step, the test fails instead of hanging: wake every word until the waiter is through.
  for (uint64_t until = now_ns() + 5'000'000'000ull; !finished && now_ns() < until;) usleep(1000);
  if (!finished) note_failure(out, "unfinished", 0);
  const uint64_t deadline = now_ns() + 10'000'000'000ull;
  while (!finished && now_ns() < deadline) {
    futex(&priv, FUTEX_WAKE_PRIVATE, 1);
    futex(shared, FUTEX_WAKE, 1);
    futex(&vb, FUTEX_WAKE_PRIVATE, 1);
    futex(&f2, FUTEX_WAKE_PRIVATE, 1);
    usleep(1000);
  }
  if (!finished) _exit(98);  // the waiter is stuck: end the workload process anyway
  waiter.join();
  return out->failures;
}

// The futex workload's waits, traced with `extra` tracer arguments: exact per word.
void expect_exact_futex_waits(const std::vector<std::string>& extra, bool in_task) {
  TestCgroup target("pt-futex-target"), other("pt-futex-other");
  auto* mine = shared_page<FutexResult>();
  auto* theirs = shared_page<FutexResult>();
  Workload traced(target, [&] { return futex_waits(mine); });
  Workload untraced(other, [&] { return futex_waits(theirs); });
  std::vector<std::string> args = locks_only(target);
  args.insert(args.end(), extra.begin(), extra.end());
  TracerProcess tracer(args);
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}))
      << mine->first_failure << " / " << theirs->first_failure;
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  EXPECT_EQ(tracer.reported_feature_works("task_storage"), in_task);
  const auto locks = report["locks"];
  EXPECT_EQ(locks["futex_status"], "active: " + first_rung(futex_ladder()));
  auto check = [&](uint64_t addr, uint64_t waits, uint64_t not_blocked, bool shared,
                   const std::string& ops) {
    SCOPED_TRACE(ops + (shared ? " shared" : " private"));
    auto l = find_lock(report, "futex", fmt::format("{:#x}", addr), traced.pid());
    ASSERT_TRUE(l) << locks.dump();
    EXPECT_EQ((*l)["waits"], waits);
    EXPECT_EQ((*l)["not_blocked"], not_blocked);
    EXPECT_EQ((*l)["timeouts"], 0);
    EXPECT_EQ((*l)["errors"], 0);
    EXPECT_EQ((*l)["shared"], shared);
    EXPECT_EQ((*l)["ops"], ops);
    EXPECT_EQ((*l)["latency"]["count"], waits);
    EXPECT_EQ((*l)["threads"], 1);
    ASSERT_EQ((*l)["waiters"].size(), 1u);
    EXPECT_EQ((*l)["waiters"][0]["tid"], mine->waiter_tid);
    EXPECT_EQ((*l)["waiters"][0]["comm"], "pt-waiter");
    EXPECT_EQ((*l)["waiters"][0]["waits"], waits);
  };
  check(mine->priv, kWaits, kChanged, false, "wait");
  check(mine->shared, kWaits, kChanged, true, "wait");
  // futex_waitv is charged to the word whose wake ended it, not to the first word.
  check(mine->waitv_woken, kWaits, 0, false, "waitv");
  EXPECT_FALSE(find_lock(report, "futex", fmt::format("{:#x}", mine->waitv_first), traced.pid()));
  if (kHasFutexWait)
    check(mine->futex2, kWaits, 0, false, "futex_wait");
  else
    EXPECT_FALSE(find_lock(report, "futex", fmt::format("{:#x}", mine->futex2), traced.pid()));
  EXPECT_FALSE(has_pid(locks["locks"], untraced.pid()));
}

TEST(LocksTest, CountsEveryFutexWaitExactlyAndEagainApart) { expect_exact_futex_waits({}, true); }

// Each thread's wait in flight in an LRU hash keyed by tid (kernels before 5.12, where tracing
// programs have no task storage) rather than in its task: the same exact counts.
TEST(LocksTest, FutexWaitsStayExactWithWaitsInFlightKeyedByTid) {
  expect_exact_futex_waits({"--no-attach", "task_storage"}, false);
}

// Without uprobes and syscall tracepoints (a fake kernel offering one attach type), futex
// waits are still exact through sys_enter/sys_exit and kernel locks still attach; the section
// says the pthread part is off and why. The fake kernel has no task storage either: the waits in
// flight are in an LRU hash keyed by tid.
class LocksFallbackTest : public ::testing::TestWithParam<std::pair<AttachType, std::string>> {};

TEST_P(LocksFallbackTest, FutexWaitsStayExactAndThePthreadPartSaysWhyItIsOff) {
  const auto& [type, name] = GetParam();
  TestCgroup target("pt-futex-fallback");
  auto* mine = shared_page<FutexResult>();
  Workload traced(target, [&] { return futex_waits(mine); });
  FixedKernelFeatures features({{type, true}, {AttachType::kRingbuf, true}});
  SessionOptions options;
  options.target.cgroup = target.v2().string();
  // It ends when the workload exits; the bound only keeps a broken run from hanging the suite.
  options.duration_ns = 60'000'000'000ull;
  for (const auto& family : family_names())
    if (family != "locks") options.disabled.insert(family);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FILE* out = fdopen(fds[1], "w");
  int rc = -1;
  std::thread session([&] {
    rc = run_session(options, features, out);
    fclose(out);
  });
  FILE* in = fdopen(fds[0], "r");
  std::vector<nlohmann::json> lines;
  char* buf = nullptr;
  size_t cap = 0;
  // The trace ends by itself when the workload, its cgroup's only process, exits.
  while (getline(&buf, &cap, in) > 0) {
    lines.push_back(nlohmann::json::parse(buf));
    if (lines.back()["type"] == "start") traced.go();
  }
  free(buf);
  fclose(in);
  session.join();
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(traced.wait(), 0);
  ASSERT_EQ(lines.back()["type"], "report");
  auto diag = find_entry(lines.front()["diagnostics"], {{"name", "locks"}});
  ASSERT_TRUE(diag);
  EXPECT_EQ((*diag)["attach"], name);
  const auto& report = lines.back();
  const auto locks = report["locks"];
  EXPECT_EQ(locks["futex_status"], "active: " + name);
  EXPECT_EQ(locks["kernel_status"], "active: " + name);
  EXPECT_EQ(locks["mutex_status"], "off: uprobes unavailable: disabled by test");
  for (auto [addr, not_blocked] : {std::pair{mine->priv, kChanged},
                                   {mine->shared, kChanged},
                                   {mine->waitv_woken, 0},
                                   {mine->futex2, 0}}) {
    if (addr == mine->futex2 && !kHasFutexWait) continue;  // before 6.7 (futex_waits)
    auto l = find_lock(report, "futex", fmt::format("{:#x}", addr), traced.pid());
    ASSERT_TRUE(l) << locks.dump();
    EXPECT_EQ((*l)["waits"], kWaits);
    EXPECT_EQ((*l)["not_blocked"], not_blocked);
  }
}

INSTANTIATE_TEST_SUITE_P(Locks, LocksFallbackTest,
                         ::testing::Values(std::pair{AttachType::kTpBtf, std::string("tp_btf")},
                                           std::pair{AttachType::kRawTp,
                                                     std::string("raw_tracepoint")}));

// ---- kernel locks ----

int map_unmap(int threads, int iterations) {
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([iterations] {
      for (int i = 0; i < iterations; ++i) {
        auto* p = static_cast<char*>(
            mmap(nullptr, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (p == MAP_FAILED) return;
        for (int off = 0; off < (1 << 16); off += 4096) p[off] = 1;
        munmap(p, 1 << 16);
      }
    });
  for (auto& t : ts) t.join();
  return 0;
}

TEST(LocksTest, ThreadsFightingOverMmapLockShowAsRwsemWriteContention) {
  TestCgroup target("pt-mmap-target"), other("pt-mmap-other");
  Workload traced(target, [] { return map_unmap(4, 4000); });
  Workload untraced(other, [] { return map_unmap(4, 4000); });
  TracerProcess tracer(locks_only(target));
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto locks = tracer.report()["locks"];
  EXPECT_EQ(locks["kernel_status"], "active: " + first_rung(kKernelLockLadder));
  auto mmap_lock = find_entry(
      locks["kernel_locks"],
      {{"name", "mmap_lock"}, {"type", "rwsem:W"}, {"flags", "WRITE"}, {"pid", traced.pid()}});
  ASSERT_TRUE(mmap_lock) << locks.dump();
  EXPECT_GT((*mmap_lock)["contentions"].get<uint64_t>(), 0u);
  EXPECT_GT((*mmap_lock)["total_ns"].get<uint64_t>(), 0u);
  auto type = find_entry(locks["kernel_types"], {{"type", "rwsem:W"}, {"flags", "WRITE"}});
  ASSERT_TRUE(type) << locks.dump();
  EXPECT_GE((*type)["contentions"], (*mmap_lock)["contentions"]);
  EXPECT_EQ((*type)["latency"]["count"], (*type)["contentions"]);
  EXPECT_FALSE(has_pid(locks["kernel_locks"], untraced.pid()));
}

}  // namespace
}  // namespace podtrace::tracer::testing
