// SPDX-License-Identifier: Apache-2.0
// net_bench.cpp: loopback request/response throughput, many short connections and one long
// connection, untraced vs traced with the client in the target cgroup vs in a non-target cgroup.
//
// Usage: net-bench --tracer PATH [--seconds S] [--reps N]. Root: it creates two cgroups beneath
// its own v2 cgroup and removes them at the end.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"

namespace fs = std::filesystem;
namespace bench = podtrace::bench;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMsg = 100;

bool write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool read_all(int fd, char* p, size_t n) {
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// 'S' + request: one reply, then the server closes (so TIME_WAIT stays on the server side and the
// client never runs out of ports). 'L' + requests: echo until the client closes.
void serve(int listener) {
  for (;;) {
    int c = accept(listener, nullptr, nullptr);
    if (c < 0) continue;
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    char buf[kMsg];
    while (read_all(c, buf, kMsg)) {
      if (!write_all(c, buf, kMsg)) break;
      if (buf[0] == 'S') break;
    }
    close(c);
  }
}

int connect_loopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Request/responses completed in `seconds`.
uint64_t client(bool short_conns, uint16_t port, double seconds) {
  char msg[kMsg], reply[kMsg];
  std::memset(msg, short_conns ? 'S' : 'L', sizeof(msg));
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  uint64_t n = 0;
  if (short_conns) {
    while (Clock::now() < end) {
      int fd = connect_loopback(port);
      if (fd < 0) continue;
      if (write_all(fd, msg, kMsg) && read_all(fd, reply, kMsg)) ++n;
      char eof;
      (void)!read(fd, &eof, 1);  // wait for the server's FIN: passive close, no TIME_WAIT here
      close(fd);
    }
    return n;
  }
  int fd = connect_loopback(port);
  while (Clock::now() < end) {
    if (!write_all(fd, msg, kMsg) || !read_all(fd, reply, kMsg)) break;
    ++n;
  }
  close(fd);
  return n;
}

// Runs the client in a child that first joins `cgroup` (empty: stays where we are).
uint64_t run_client(const fs::path& cgroup, bool short_conns, uint16_t port, double seconds) {
  return bench::run_in_cgroup(cgroup, [&] { return client(short_conns, port, seconds); })
      .value_or(0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string tracer;
  double seconds = 3;
  int reps = 3;
  bench::parse_flags(argc, argv,
                     {{"--tracer", &tracer}, {"--seconds", &seconds}, {"--reps", &reps}});
  if (tracer.empty() || geteuid() != 0) {
    std::fprintf(stderr, "usage (root): net-bench --tracer PATH [--seconds S] [--reps N]\n");
    return 2;
  }
  const bench::BenchCgroups cgroups("bench");
  const fs::path &target = cgroups.target, &other = cgroups.other;

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      listen(listener, 4096) != 0)
    return 1;
  getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  const uint16_t port = ntohs(a.sin_port);
  std::thread(serve, listener).detach();

  const fs::path out =
      fs::temp_directory_path() / ("pt-bench-" + std::to_string(getpid()) + ".jsonl");
  std::printf("%-18s %-22s %14s %10s %s\n", "workload", "scenario", "req/s (median)", "vs untraced",
              "runs");
  for (bool short_conns : {true, false}) {
    // Interleave the scenarios in every repetition so drift on a shared machine hits all alike.
    std::vector<double> untraced, in_target, in_other;
    uint64_t traced_connects = 0;
    for (int r = 0; r < reps; ++r) {
      untraced.push_back(run_client(other, short_conns, port, seconds) / seconds);
      bench::Spawned t = bench::spawn_tracer({tracer, "--cgroup", target.string(), "--disable",
                                              "fileio,cpu,process", "--interval", "1h"},
                                             out);
      in_other.push_back(run_client(other, short_conns, port, seconds) / seconds);
      in_target.push_back(run_client(target, short_conns, port, seconds) / seconds);
      auto report = bench::stop_for_report(t);
      if (report.contains("tcp")) traced_connects += report["tcp"]["connects"].get<uint64_t>();
    }
    const char* name = short_conns ? "short connections" : "one long connection";
    const auto runs = bench::runs_text;
    const double base_rate = bench::median(untraced);
    std::printf("%-18s %-22s %14.0f %10s %s\n", name, "untraced", base_rate, "",
                runs(untraced).c_str());
    std::printf("%-18s %-22s %14.0f %+9.1f%% %s\n", name, "traced, non-target",
                bench::median(in_other), (bench::median(in_other) / base_rate - 1) * 100,
                runs(in_other).c_str());
    std::printf("%-18s %-22s %14.0f %+9.1f%% %s\n", name, "traced, target",
                bench::median(in_target), (bench::median(in_target) / base_rate - 1) * 100,
                runs(in_target).c_str());
    std::printf("%-18s (the tracer counted %llu connects of the target)\n", "",
                static_cast<unsigned long long>(traced_connects));
  }
  fs::remove(out);
  return 0;
}
