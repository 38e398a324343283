// SPDX-License-Identifier: Apache-2.0
// db_bench.cpp: a libpq query loop (PQexec "SELECT 1", the cheapest round trip: the worst case
// for a per-query cost) against the benchmark's own PostgreSQL on loopback, untraced vs traced
// with the client in the target cgroup vs in a non-target cgroup. The db family's uprobes are on
// the libpq file, so a non-target process that uses it takes the breakpoints too and only the
// cgroup check spares it the rest.
//
// Usage: db-bench --tracer PATH [--seconds S] [--reps N]. Root: it runs PostgreSQL as the
// postgres user in a temporary directory, creates two cgroups beneath its own v2 cgroup, and
// removes all of it at the end.
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"

namespace fs = std::filesystem;
namespace bench = podtrace::bench;
using Clock = std::chrono::steady_clock;

namespace {

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

int run(const std::string& cmd) { return std::system(cmd.c_str()); }

fs::path postgres_bin() {
  fs::path best;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql"))
    if (fs::exists(e.path() / "bin" / "postgres") && e.path() > best) best = e.path();
  return best / "bin";
}

// PostgreSQL in `dir` on `port`, as the test starts it: no fsync, small buffers.
pid_t start_postgres(const fs::path& dir, int port) {
  const fs::path bin = postgres_bin();
  const passwd* pw = getpwnam("postgres");
  if (!pw || chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) return -1;
  if (run("runuser -u postgres -- " + (bin / "initdb").string() + " -D " + (dir / "data").string() +
          " -A trust -U podtrace --no-sync -E UTF8 --locale=C >/dev/null") != 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    if (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) _exit(126);
    const std::string data = (dir / "data").string(), p = std::to_string(port), sock = dir.string();
    freopen("/dev/null", "w", stderr);
    execl((bin / "postgres").c_str(), "postgres", "-D", data.c_str(), "-p", p.c_str(), "-k",
          sock.c_str(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
          "shared_buffers=16MB", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 500; ++i) {
    if (run("pg_isready -q -h 127.0.0.1 -p " + std::to_string(port)) == 0) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

// PQexec("SELECT 1") round trips completed in `seconds`.
uint64_t client(int port, double seconds) {
  const std::string info =
      "host=127.0.0.1 port=" + std::to_string(port) + " user=podtrace dbname=postgres";
  PGconn* c = PQconnectdb(info.c_str());
  uint64_t n = 0;
  if (PQstatus(c) == CONNECTION_OK) {
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
      PGresult* r = PQexec(c, "SELECT 1");
      if (PQresultStatus(r) == PGRES_TUPLES_OK) ++n;
      PQclear(r);
    }
  }
  PQfinish(c);
  return n;
}

uint64_t run_client(const fs::path& cgroup, int port, double seconds) {
  return bench::run_in_cgroup(cgroup, [&] { return client(port, seconds); }).value_or(0);
}

// The tracer's CPU time so far (user + system), in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) {
      stime = std::stoull(f);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

int main(int argc, char** argv) {
  std::string tracer;
  double seconds = 3;
  int reps = 3;
  bench::parse_flags(argc, argv,
                     {{"--tracer", &tracer}, {"--seconds", &seconds}, {"--reps", &reps}});
  if (tracer.empty() || geteuid() != 0) {
    std::fprintf(stderr, "usage (root): db-bench --tracer PATH [--seconds S] [--reps N]\n");
    return 2;
  }
  char tmpl[] = "/tmp/pt-db-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  const fs::path dir = tmpl;
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  const int port = free_port();
  const pid_t postgres = start_postgres(dir, port);
  if (postgres < 0) {
    std::fprintf(stderr, "PostgreSQL did not start\n");
    return 1;
  }
  const bench::BenchCgroups cgroups("dbbench");
  const fs::path &target = cgroups.target, &other = cgroups.other;
  // A process of the target that maps libpq (this binary links it) before the tracer starts,
  // so the uprobes are in place from the first query of every run.
  const pid_t holder = fork();
  if (holder == 0) {
    bench::join_cgroup(target);
    pause();
    _exit(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  const fs::path out = dir / "tracer.jsonl";
  // Every family but db, so only its probes run.
  const std::string disable = bench::families_except(tracer, {"db"});
  std::vector<double> untraced, in_target, in_other, tracer_cpu_us;
  uint64_t counted = 0, not_streamed = 0, target_queries = 0;
  for (int r = 0; r < reps; ++r) {
    // Interleaved, so drift on a shared machine hits every scenario alike.
    untraced.push_back(static_cast<double>(run_client(other, port, seconds)) / seconds);
    // Attached when the `start` line is out: the holder's libpq was probed before it.
    bench::Spawned t = bench::spawn_tracer({tracer, "--cgroup", target.string(), "--disable",
                                            disable, "--interval", "1h", "--slow-threshold", "1s"},
                                           out);
    in_other.push_back(static_cast<double>(run_client(other, port, seconds)) / seconds);
    const double cpu0 = cpu_seconds(t.pid);
    const uint64_t n = run_client(target, port, seconds);
    const double cpu1 = cpu_seconds(t.pid);
    in_target.push_back(static_cast<double>(n) / seconds);
    tracer_cpu_us.push_back((cpu1 - cpu0) * 1e6 / static_cast<double>(n ? n : 1));
    target_queries += n;
    auto report = bench::stop_for_report(t);
    for (const auto& s : report["db"]["systems"]) {
      counted += s["queries"].get<uint64_t>();
      not_streamed += s["not_streamed"].get<uint64_t>();
    }
  }
  const auto runs = bench::runs_text;
  const double base_rate = bench::median(untraced);
  std::printf("%-22s %14s %11s %14s %s\n", "PQexec(SELECT 1)", "queries/s", "vs untraced",
              "ns per query", "runs");
  std::printf("%-22s %14.0f %11s %14.0f %s\n", "untraced", base_rate, "", 1e9 / base_rate,
              runs(untraced).c_str());
  for (auto [name, v] :
       {std::pair{"traced, non-target", &in_other}, std::pair{"traced, target", &in_target}}) {
    const double rate = bench::median(*v);
    std::printf("%-22s %14.0f %+10.1f%% %+14.0f %s\n", name, rate, (rate / base_rate - 1) * 100,
                1e9 / rate - 1e9 / base_rate, runs(*v).c_str());
  }
  std::printf(
      "tracer CPU per target query: %.2f us (median); the tracer counted %llu of the "
      "target's %llu queries, %llu of them not streamed (rate bound)\n",
      bench::median(tracer_cpu_us), static_cast<unsigned long long>(counted),
      static_cast<unsigned long long>(target_queries),
      static_cast<unsigned long long>(not_streamed));

  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);
  kill(postgres, SIGQUIT);
  waitpid(postgres, nullptr, 0);
  fs::remove_all(dir);
  return 0;
}
