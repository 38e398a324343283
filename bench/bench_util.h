// SPDX-License-Identifier: Apache-2.0
// bench_util.h: what every benchmark program shares: its cgroups, the workload child, the tracer
// process, flags, timing and medians. Each program keeps only its own workload and table.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace podtrace::bench {

// `--name value` pairs into the variables a program names; unknown names are ignored, so every
// program accepts what bench/run passes it. The values convert with std::stol/stoi/stod.
using Flag = std::variant<std::string*, long*, int*, double*>;
void parse_flags(int argc, char** argv, const std::map<std::string, Flag>& flags);

// The cgroup v2 directory this process is in: the benchmarks create theirs beneath it, so they
// work inside a container or a systemd slice without touching the rest of the hierarchy.
std::filesystem::path own_v2_cgroup();

// Two sibling cgroups beneath our own, named pt-<name>-target-<pid> and pt-<name>-other-<pid>:
// the tracer's target and a non-target cgroup whose processes the tracer must filter out.
// Removed on destruction, so every process put in them must have exited by then.
class BenchCgroups {
 public:
  explicit BenchCgroups(const std::string& name);
  ~BenchCgroups();
  BenchCgroups(const BenchCgroups&) = delete;
  BenchCgroups& operator=(const BenchCgroups&) = delete;

  std::filesystem::path target;
  std::filesystem::path other;
};

// Moves the calling process into `cgroup` (none when empty).
void join_cgroup(const std::filesystem::path& cgroup);

// Pins the calling thread to `cpu`, so a timed loop is not migrated between caches.
void pin_to_cpu(int cpu);

// Runs `work` in a forked child that first joins `cgroup`, and returns what it returned, sent back
// over a pipe: a fresh process per run, so the tracer sees a new pid in the right cgroup and no
// run inherits another's warm state. Empty when the child died before it reported. `child` gets
// its pid (the tracer's report names it).
template <typename Work>
std::optional<std::invoke_result_t<Work&>> run_in_cgroup(const std::filesystem::path& cgroup,
                                                         Work work, pid_t* child = nullptr) {
  using T = std::invoke_result_t<Work&>;
  static_assert(std::is_trivially_copyable_v<T>, "the result crosses the pipe as bytes");
  int p[2];
  if (pipe(p) != 0) return std::nullopt;
  const pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    join_cgroup(cgroup);
    const T result = work();
    (void)!write(p[1], &result, sizeof(result));
    _exit(0);
  }
  close(p[1]);
  T result{};
  const bool reported = read(p[0], &result, sizeof(result)) == sizeof(result);
  close(p[0]);
  waitpid(pid, nullptr, 0);
  if (child) *child = pid;
  if (!reported) return std::nullopt;
  return result;
}

// The whole file (empty when it cannot be read).
std::string slurp(const std::filesystem::path& path);

// A child process writing its stdout to `out`.
struct Spawned {
  pid_t pid = -1;
  std::filesystem::path out;
};

// Starts argv[0] with stdout to `out` and stderr to `err` (the same file when equal; ours when
// empty), and returns at once.
Spawned start_process(const std::vector<std::string>& argv, const std::filesystem::path& out,
                      const std::filesystem::path& err = {});

// start_process, then waits until `ready` appears in its output: a tracer has attached
// everything when its start line is out, bpftrace when it prints attached_probes. Ends the
// benchmark (exit 1, showing `err`) if the process exits or is not ready within 30 s.
Spawned spawn_until(const std::vector<std::string>& argv, const std::filesystem::path& out,
                    std::string_view ready, const std::filesystem::path& err = {});

// spawn_until the tracer's start line.
Spawned spawn_tracer(const std::vector<std::string>& argv, const std::filesystem::path& out,
                     const std::filesystem::path& err = {});

// SIGINT (the tracer then writes its final report), wait, and return every JSON line of its
// output.
std::vector<nlohmann::json> stop(Spawned& s);

// stop, and return the last "report" line (null when there is none).
nlohmann::json stop_for_report(Spawned& s);

// Every diagnostic family of `tracer` but those in `keep`, comma-separated, from its --check
// table: the value of --disable that leaves only the families a benchmark measures, following
// the tracer's registry as families are added. Empty when --check fails.
std::string families_except(const std::string& tracer,
                            std::initializer_list<std::string_view> keep);

// Nanoseconds on `clock`; CLOCK_THREAD_CPUTIME_ID leaves out the time a shared machine's other
// jobs preempt us (the kernel's work for our syscalls and traps counts).
inline double clock_ns(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}
inline double thread_cpu_ns() { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

// A timed loop runs in kChunks chunks and keeps its best: the chunk least disturbed by others'
// cache and TLB pollution.
constexpr long kChunks = 20;

// Thread CPU ns per operation of `loop(units_per_chunk)` (`ops_per_unit` operations per unit),
// best of kChunks chunks.
template <typename Loop>
double best_chunk_ns(Loop loop, long units_per_chunk, double ops_per_unit = 1) {
  double best = 1e18;
  for (long c = 0; c < kChunks; ++c) {
    const double t0 = thread_cpu_ns();
    loop(units_per_chunk);
    best = std::min(best,
                    (thread_cpu_ns() - t0) / (static_cast<double>(units_per_chunk) * ops_per_unit));
  }
  return best;
}

// Medians over repetitions, so one run disturbed by another job does not move the table.
double median(std::vector<double> v);  // 0 when empty

// The median of one field (a data member or a const member function) of every sample.
template <typename Sample, typename Field>
double median_of(const std::vector<Sample>& samples, Field field) {
  std::vector<double> v;
  for (const auto& s : samples) v.push_back(std::invoke(field, s));
  return median(v);
}

// Each run's value, truncated to an integer, space-separated (the "runs" column).
std::string runs_text(const std::vector<double>& v);

}  // namespace podtrace::bench
