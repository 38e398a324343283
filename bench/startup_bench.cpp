// SPDX-License-Identifier: Apache-2.0
// startup_bench.cpp: how long podtrace-tracer takes to start and to stop with every family on,
// and where that time goes.
//
// Usage: startup-bench --tracer PATH [--reps R] [--phases 0|1] [--family NAME]
// [--no-attach TYPES] [--syscall-hooks shared|per-syscall] (passed to the tracer: e.g. "fentry"
// to time a family's next rung; the phases use the same syscall hooks). Root: it
// loads BPF programs and creates a cgroup beneath its own v2 cgroup.
//
// End to end (the figures of docs/performance.md), R runs of the tracer binary against a cgroup
// holding one sleeping process, every family on:
//   start: fork+exec -> the start line read from its stdout pipe (the tracer writes it once every
//          program is attached: the first event can be counted);
//   stop:  SIGINT -> the final report line read (the tracer writes it before it detaches), and
//          SIGINT -> the process reaped (every link closed); the system's BPF link count is then
//          checked against the count before the run.
// --family NAME: the same with only that family on (the others --disable'd), for one family's
// share of the start-up CPU.
// Phases (in this process, through the tracer's own code; --phases 0 skips them): one parse of
// the kernel's BTF, each attach-type probe on a cold cache, and each family's start and
// destruction alone.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.h"
#include "families.h"
#include "kernel_features.h"
#include "probes/probe.h"
#include "vmlinux_btf_share.h"

namespace fs = std::filesystem;
namespace bench = podtrace::bench;
namespace tracer = podtrace::tracer;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int quiet(enum libbpf_print_level, const char*, va_list) { return 0; }

// BPF links that exist on the whole system now.
int system_links() {
  int n = 0;
  for (uint32_t id = 0; bpf_link_get_next_id(id, &id) == 0;) ++n;
  return n;
}

struct Run {
  double start_ms = 0;
  double start_cpu_ms = 0;  // the tracer's CPU time (user + system, all threads) until then
  double report_ms = 0;     // SIGINT -> the final report line read
  double exit_ms = 0;       // SIGINT -> reaped: everything detached
  int links_left = 0;       // links of the run still present after it was reaped
  bool ok = false;
};

// CPU time a process has used, its exited threads included, from /proc/PID/stat (clock ticks):
// start-up is mostly verifier time, which other jobs on the machine stretch in wall time only.
double process_cpu_ms(pid_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return 0;
  char buf[1024] = {};
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  const char* p = std::strrchr(buf, ')');  // the name may hold spaces
  if (!p || n == 0) return 0;
  unsigned long utime = 0, stime = 0;
  // Fields 3..13 skipped, then utime (14) and stime (15).
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) !=
      2)
    return 0;
  return 1000.0 * static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// One tracer run: exec -> start line, SIGINT -> report line and exit.
Run run_tracer(const std::string& tracer_path, const fs::path& cgroup,
               const std::vector<std::string>& extra_args) {
  Run r;
  const int links_before = system_links();
  int out[2];
  if (pipe(out) != 0) return r;
  const double t0 = now_ms();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    std::vector<const char*> args{tracer_path.c_str(), "--cgroup", cgroup.c_str()};
    for (const auto& a : extra_args) args.push_back(a.c_str());
    args.push_back(nullptr);
    execv(tracer_path.c_str(), const_cast<char* const*>(args.data()));
    _exit(127);
  }
  close(out[1]);
  FILE* in = fdopen(out[0], "r");
  char* line = nullptr;
  size_t cap = 0;
  bool started = false, reported = false;
  while (getline(&line, &cap, in) > 0) {
    if (std::string_view(line).find("\"type\":\"start\"") == std::string_view::npos) continue;
    r.start_ms = now_ms() - t0;
    r.start_cpu_ms = process_cpu_ms(pid);
    started = true;
    break;
  }
  if (started) {
    // Long enough for one poll tick: the stop path is measured from a running session.
    usleep(300'000);
    const double t1 = now_ms();
    kill(pid, SIGINT);
    while (!reported && getline(&line, &cap, in) > 0)
      if (std::string_view(line).find("\"type\":\"report\"") != std::string_view::npos) {
        r.report_ms = now_ms() - t1;
        reported = true;
      }
    // Whatever follows is drained, so a full pipe never holds up the tracer's exit.
    while (getline(&line, &cap, in) > 0) {
    }
    waitpid(pid, nullptr, 0);
    r.exit_ms = now_ms() - t1;
  } else {
    waitpid(pid, nullptr, 0);
  }
  free(line);
  fclose(in);
  r.links_left = system_links() - links_before;
  r.ok = started && reported;
  return r;
}

void print_end_to_end(const std::string& tracer_path, const fs::path& cgroup, int reps,
                      const std::vector<std::string>& extra_args) {
  std::vector<double> starts, start_cpus, reports, exits;
  int worst_left = 0;
  for (int i = 0; i < reps; ++i) {
    const Run r = run_tracer(tracer_path, cgroup, extra_args);
    if (!r.ok) {
      std::fprintf(stderr, "run %d: the tracer did not start or did not report\n", i);
      std::exit(1);
    }
    starts.push_back(r.start_ms);
    start_cpus.push_back(r.start_cpu_ms);
    reports.push_back(r.report_ms);
    exits.push_back(r.exit_ms);
    worst_left = std::max(worst_left, r.links_left);
  }
  std::printf("| phase | median ms | runs |\n|---|---:|---|\n");
  std::printf("| exec -> start line (all attached) | %.0f | %s |\n", bench::median(starts),
              bench::runs_text(starts).c_str());
  std::printf("| tracer CPU time until the start line | %.0f | %s |\n", bench::median(start_cpus),
              bench::runs_text(start_cpus).c_str());
  std::printf("| SIGINT -> final report line read | %.0f | %s |\n", bench::median(reports),
              bench::runs_text(reports).c_str());
  std::printf("| SIGINT -> exited (everything detached) | %.0f | %s |\n", bench::median(exits),
              bench::runs_text(exits).c_str());
  std::printf("BPF links left after exit (worst run): %d\n", worst_left);
}

// Milliseconds of `fn`.
template <typename Fn>
double timed(Fn&& fn) {
  const double t0 = now_ms();
  fn();
  return now_ms() - t0;
}

void print_phases(const fs::path& cgroup, uint64_t cgroup_id, tracer::SyscallHooks syscall_hooks) {
  libbpf_set_print(quiet);
  std::printf("\n| phase (in process) | ms |\n|---|---:|\n");
  std::vector<double> btf;
  for (int i = 0; i < 5; ++i) btf.push_back(timed([] { btf__free(btf__load_vmlinux_btf()); }));
  std::printf("| read and parse /sys/kernel/btf/vmlinux, libbpf (median of 5) | %.1f |\n",
              bench::median(btf));
  // What the families' start does instead where the kernel lets the file be mapped (6.16+).
  if (struct btf* probe = tracer::parse_mapped_vmlinux_btf()) {
    btf__free(probe);
    std::vector<double> mapped;
    for (int i = 0; i < 5; ++i)
      mapped.push_back(timed([] { btf__free(tracer::parse_mapped_vmlinux_btf()); }));
    std::printf("| parse a mapping of /sys/kernel/btf/vmlinux (median of 5) | %.1f |\n",
                bench::median(mapped));
  } else {
    std::printf("| parse a mapping of /sys/kernel/btf/vmlinux | not mappable here |\n");
  }

  double probes = 0;
  for (tracer::AttachType type : tracer::kAllAttachTypes) {
    tracer::LiveKernelFeatures cold;
    const double ms = timed([&] { (void)cold.probe(type); });
    probes += ms;
    std::printf("| probe %s | %.1f |\n", std::string(tracer::attach_type_name(type)).c_str(), ms);
  }
  std::printf("| all probes, one by one | %.1f |\n", probes);

  tracer::LiveKernelFeatures features;
  for (tracer::AttachType type : tracer::kAllAttachTypes) (void)features.probe(type);
  tracer::ProbeConfig config;
  config.features = &features;
  config.cgroup_ids = {cgroup_id};
  config.cgroup_paths = {cgroup};
  config.syscall_hooks = syscall_hooks;
  double start_total = 0, stop_total = 0;
  for (const auto& family : tracer::families()) {
    auto probe = family.make();
    bool ok = false;
    const double start = timed([&] {
      ok = static_cast<bool>(probe->start(config));
      if (ok) probe->all_started();
    });
    const double stop = timed([&] { probe.reset(); });
    start_total += start;
    stop_total += stop;
    std::printf("| %s: start %s / destroy | %.1f / %.1f |\n", std::string(family.name).c_str(),
                ok ? "" : "(failed)", start, stop);
  }
  std::printf("| all families, one by one: start / destroy | %.1f / %.1f |\n", start_total,
              stop_total);
}

}  // namespace

int main(int argc, char** argv) {
  std::string tracer_path;
  int reps = 5;
  int phases = 1;
  std::string family, no_attach, syscall_hooks = "shared";
  bench::parse_flags(argc, argv,
                     {{"--tracer", &tracer_path},
                      {"--reps", &reps},
                      {"--phases", &phases},
                      {"--family", &family},
                      {"--no-attach", &no_attach},
                      {"--syscall-hooks", &syscall_hooks}});
  if (tracer_path.empty()) {
    std::fprintf(stderr,
                 "usage: startup-bench --tracer PATH [--reps R] [--phases 0|1] [--family NAME] "
                 "[--no-attach TYPES] [--syscall-hooks shared|per-syscall]\n");
    return 2;
  }
  const auto hooks = tracer::syscall_hooks_from_name(syscall_hooks);
  if (!hooks) {
    std::fprintf(stderr, "startup-bench: --syscall-hooks is shared or per-syscall\n");
    return 2;
  }
  std::vector<std::string> extra_args;
  if (!family.empty()) {
    extra_args.push_back("--disable");
    for (const auto& name : tracer::family_names())
      if (name != family) extra_args.push_back(name);
    std::printf("Only %s on.\n", family.c_str());
  }
  if (!no_attach.empty()) {
    extra_args.insert(extra_args.end(), {"--no-attach", no_attach});
    std::printf("Attach types refused: %s.\n", no_attach.c_str());
  }
  extra_args.insert(extra_args.end(), {"--syscall-hooks", syscall_hooks});
  std::printf("Syscall hooks: %s.\n", syscall_hooks.c_str());
  bench::BenchCgroups cgroups("startup");
  // A process in the target: the tracer sees a live target and runs until the signal.
  const pid_t sleeper = fork();
  if (sleeper == 0) {
    bench::join_cgroup(cgroups.target);
    pause();
    _exit(0);
  }
  usleep(50'000);
  print_end_to_end(tracer_path, cgroups.target, reps, extra_args);
  if (phases) {
    struct stat st {};
    stat(cgroups.target.c_str(), &st);
    print_phases(cgroups.target, st.st_ino, *hooks);
  }
  kill(sleeper, SIGKILL);
  waitpid(sleeper, nullptr, 0);
  return 0;
}
