// SPDX-License-Identifier: Apache-2.0
// memory_bench.cpp: cost of the memory and netdev families on the paths they hook on every
// process of the node: page faults (page_fault_user) and packet transmits (net_dev_start_xmit +
// net_dev_xmit). Untraced, podtrace with the workload in a non-target cgroup, and in the target.
//
// Usage: memory-bench --tracer PATH [--pages N] [--packets N] [--reps R] [--cpu C]. Root: it
// creates two cgroups beneath its own v2 cgroup and removes them at the end.
//
// The workload, a child moved into a cgroup and pinned to one CPU, runs two loops, each timed in
// thread CPU time in 20 chunks, best chunk kept:
//   faults: mmap N fresh anonymous pages (huge pages off), write one byte to each, munmap: ns per
//           page (one minor fault each, plus the page's allocation and freeing);
//   sends:  N 64-byte UDP datagrams to a socket on loopback: ns per sendto (each one transmit on
//           lo: the netdev programs run on it, successfully).
// The tracer runs with every family but memory and netdev disabled.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"

namespace fs = std::filesystem;
namespace bench = podtrace::bench;

namespace {

using bench::kChunks;
constexpr long kPage = 4096;

struct Sample {
  double fault_ns = 0;  // per page touched
  double send_ns = 0;   // per datagram sent
};

Sample workload(long pages, long packets, int cpu) {
  bench::pin_to_cpu(cpu);
  Sample s;
  auto touch = [](long n) {
    char* p = static_cast<char*>(
        mmap(nullptr, n * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) return;
    madvise(p, n * kPage, MADV_NOHUGEPAGE);
    for (long i = 0; i < n; ++i) p[i * kPage] = 1;
    munmap(p, n * kPage);
  };
  touch(pages / kChunks);  // warm-up
  s.fault_ns = bench::best_chunk_ns(touch, pages / kChunks);

  int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(rx, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(rx, reinterpret_cast<sockaddr*>(&addr), &len);
  connect(tx, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  char payload[64] = {};
  // Nobody reads: a full receive queue drops datagrams after the transmit, which still succeeds.
  auto send_loop = [&](long n) {
    for (long i = 0; i < n; ++i) (void)!send(tx, payload, sizeof(payload), 0);
  };
  send_loop(packets / kChunks);
  s.send_ns = bench::best_chunk_ns(send_loop, packets / kChunks);
  close(tx);
  close(rx);
  return s;
}

Sample run_workload(const fs::path& cgroup, long pages, long packets, int cpu, pid_t* child) {
  const auto s = bench::run_in_cgroup(
      cgroup, [&] { return workload(pages, packets, cpu); }, child);
  if (!s) std::fprintf(stderr, "workload failed\n");
  return s.value_or(Sample{});
}

struct Scenario {
  std::string name;
  std::vector<Sample> samples;
  double faults() const { return bench::median_of(samples, &Sample::fault_ns); }
  double sends() const { return bench::median_of(samples, &Sample::send_ns); }
};

}  // namespace

int main(int argc, char** argv) {
  std::string tracer;
  long pages = 200'000, packets = 200'000;
  int reps = 5;
  int cpu = static_cast<int>(std::thread::hardware_concurrency()) - 1;
  bench::parse_flags(argc, argv,
                     {{"--tracer", &tracer},
                      {"--pages", &pages},
                      {"--packets", &packets},
                      {"--reps", &reps},
                      {"--cpu", &cpu}});
  if (tracer.empty() || geteuid() != 0 || pages < kChunks || packets < kChunks) {
    std::fprintf(stderr,
                 "usage (root): memory-bench --tracer PATH [--pages N] [--packets N] [--reps R] "
                 "[--cpu C]\n");
    return 2;
  }
  const std::string tag = std::to_string(getpid());
  const bench::BenchCgroups cgroups("membench");
  const fs::path &target = cgroups.target, &other = cgroups.other;
  const fs::path out = fs::temp_directory_path() / ("pt-membench-" + tag + ".out");
  const std::string disable = bench::families_except(tracer, {"memory", "netdev"});

  std::vector<Scenario> sc = {
      {"untraced", {}}, {"podtrace, non-target", {}}, {"podtrace, target", {}}};
  // Pages the target workload touches (warm-up included): each is one minor fault.
  const uint64_t expected = pages / kChunks * (kChunks + 1);
  std::vector<std::string> checks;
  bool ok = true;
  for (int r = 0; r < reps; ++r) {
    sc[0].samples.push_back(run_workload(other, pages, packets, cpu, nullptr));
    bench::Spawned t = bench::spawn_tracer(
        {tracer, "--cgroup", target.string(), "--disable", disable, "--interval", "1h"}, out);
    sc[1].samples.push_back(run_workload(other, pages, packets, cpu, nullptr));
    pid_t child = -1;
    sc[2].samples.push_back(run_workload(target, pages, packets, cpu, &child));
    const auto report = bench::stop_for_report(t);
    uint64_t minor = 0;
    if (report.contains("memory"))
      for (const auto& f : report["memory"]["faults"])
        if (f["pid"] == child) minor = f["minor_faults"];
    // The workload's own code and stack pages come on top of the pages it touches.
    const bool good = minor >= expected && minor < expected + 1000;
    ok &= good;
    checks.push_back("rep " + std::to_string(r + 1) + ": minor faults counted " +
                     std::to_string(minor) + " (pages touched " + std::to_string(expected) + ")" +
                     (good ? "" : "  MISMATCH"));
  }
  fs::remove(out);

  std::printf(
      "memory-bench: %ld fresh pages touched and %ld UDP datagrams sent on lo (CPU %d, thread CPU "
      "time, best of %ld chunks); median of %d runs\n",
      pages, packets, cpu, kChunks, reps);
  std::printf("%-22s %12s %9s %12s %9s   %s\n", "scenario", "ns/fault", "vs untr.", "ns/send",
              "vs untr.", "runs (fault / send)");
  const double base_f = sc[0].faults(), base_s = sc[0].sends();
  for (const auto& s : sc) {
    std::string runs;
    for (const auto& x : s.samples) {
      char b[48];
      std::snprintf(b, sizeof(b), "%s%.0f/%.0f", runs.empty() ? "" : " ", x.fault_ns, x.send_ns);
      runs += b;
    }
    std::printf("%-22s %12.1f %8.2fx %12.1f %8.2fx   %s\n", s.name.c_str(), s.faults(),
                s.faults() / base_f, s.sends(), s.sends() / base_s, runs.c_str());
  }
  std::printf(
      "\nper-fault cost, target: %+.1f ns, non-target: %+.1f ns; per-send cost, target: "
      "%+.1f ns, non-target: %+.1f ns\n",
      sc[2].faults() - base_f, sc[1].faults() - base_f, sc[2].sends() - base_s,
      sc[1].sends() - base_s);
  for (const auto& c : checks) std::printf("%s\n", c.c_str());
  return ok ? 0 : 1;
}
