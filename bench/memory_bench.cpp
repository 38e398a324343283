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
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr long kChunks = 20;
constexpr long kPage = 4096;

double thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct Sample {
  double fault_ns = 0;  // per page touched
  double send_ns = 0;   // per datagram sent
};

// ns per unit of `loop(n)`: the best of kChunks chunks.
template <typename Loop>
double best_chunk_ns(Loop loop, long units_per_chunk) {
  double best = 1e18;
  for (long c = 0; c < kChunks; ++c) {
    const double t0 = thread_cpu_ns();
    loop(units_per_chunk);
    best = std::min(best, (thread_cpu_ns() - t0) / static_cast<double>(units_per_chunk));
  }
  return best;
}

Sample workload(long pages, long packets, int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  sched_setaffinity(0, sizeof(one), &one);
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
  s.fault_ns = best_chunk_ns(touch, pages / kChunks);

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
  s.send_ns = best_chunk_ns(send_loop, packets / kChunks);
  close(tx);
  close(rx);
  return s;
}

Sample run_workload(const fs::path& cgroup, long pages, long packets, int cpu, pid_t* child) {
  int p[2];
  if (pipe(p) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    std::ofstream(cgroup / "cgroup.procs") << "0";
    Sample s = workload(pages, packets, cpu);
    (void)!write(p[1], &s, sizeof(s));
    _exit(0);
  }
  close(p[1]);
  Sample s;
  if (read(p[0], &s, sizeof(s)) != sizeof(s)) std::fprintf(stderr, "workload failed\n");
  close(p[0]);
  waitpid(pid, nullptr, 0);
  if (child) *child = pid;
  return s;
}

fs::path own_v2_cgroup() {
  const fs::path root =
      fs::exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0) return root / fs::path(line.substr(3)).relative_path();
  return root;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every family of this tracer but memory and netdev, from its --check table.
std::string other_families(const std::string& tracer, const fs::path& out) {
  const std::string cmd = tracer + " --check > " + out.string() + " 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) return "";
  std::istringstream in(slurp(out));
  std::string line, list;
  bool families = false;
  while (std::getline(in, line)) {
    if (line.rfind("DIAGNOSTIC", 0) == 0) {
      families = true;
      continue;
    }
    const std::string name = line.substr(0, line.find(' '));
    if (families && !name.empty() && name != "memory" && name != "netdev")
      list += (list.empty() ? "" : ",") + name;
  }
  return list;
}

pid_t spawn_tracer(const std::vector<std::string>& argv, const fs::path& out) {
  fs::remove(out);
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(out.c_str(), "w");
    dup2(fileno(f), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  for (int i = 0; i < 1500; ++i) {
    if (slurp(out).find("\"type\":\"start\"") != std::string::npos) return pid;
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "the tracer did not start\n");
  std::exit(1);
}

nlohmann::json stop_for_report(pid_t pid, const fs::path& out) {
  kill(pid, SIGINT);
  waitpid(pid, nullptr, 0);
  std::ifstream in(out);
  std::string line;
  nlohmann::json report;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("type", "") == "report") report = std::move(j);
  }
  return report;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Scenario {
  std::string name;
  std::vector<Sample> samples;
  double faults() const {
    std::vector<double> v;
    for (const auto& s : samples) v.push_back(s.fault_ns);
    return median(v);
  }
  double sends() const {
    std::vector<double> v;
    for (const auto& s : samples) v.push_back(s.send_ns);
    return median(v);
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string tracer;
  long pages = 200'000, packets = 200'000;
  int reps = 5;
  int cpu = static_cast<int>(std::thread::hardware_concurrency()) - 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--tracer")
      tracer = argv[i + 1];
    else if (a == "--pages")
      pages = std::stol(argv[i + 1]);
    else if (a == "--packets")
      packets = std::stol(argv[i + 1]);
    else if (a == "--reps")
      reps = std::stoi(argv[i + 1]);
    else if (a == "--cpu")
      cpu = std::stoi(argv[i + 1]);
  }
  if (tracer.empty() || geteuid() != 0 || pages < kChunks || packets < kChunks) {
    std::fprintf(stderr,
                 "usage (root): memory-bench --tracer PATH [--pages N] [--packets N] [--reps R] "
                 "[--cpu C]\n");
    return 2;
  }
  const std::string tag = std::to_string(getpid());
  const fs::path base = own_v2_cgroup();
  const fs::path target = base / ("pt-membench-target-" + tag);
  const fs::path other = base / ("pt-membench-other-" + tag);
  fs::create_directories(target);
  fs::create_directories(other);
  const fs::path out = fs::temp_directory_path() / ("pt-membench-" + tag + ".out");
  const std::string disable = other_families(tracer, out);

  std::vector<Scenario> sc = {
      {"untraced", {}}, {"podtrace, non-target", {}}, {"podtrace, target", {}}};
  // Pages the target workload touches (warm-up included): each is one minor fault.
  const uint64_t expected = pages / kChunks * (kChunks + 1);
  std::vector<std::string> checks;
  bool ok = true;
  for (int r = 0; r < reps; ++r) {
    sc[0].samples.push_back(run_workload(other, pages, packets, cpu, nullptr));
    const pid_t t = spawn_tracer(
        {tracer, "--cgroup", target.string(), "--disable", disable, "--interval", "1h"}, out);
    sc[1].samples.push_back(run_workload(other, pages, packets, cpu, nullptr));
    pid_t child = -1;
    sc[2].samples.push_back(run_workload(target, pages, packets, cpu, &child));
    const auto report = stop_for_report(t, out);
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
  for (const fs::path& cg : {target, other}) fs::remove(cg);
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
