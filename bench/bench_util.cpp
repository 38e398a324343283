// SPDX-License-Identifier: Apache-2.0
// bench_util.cpp: the benchmarks' shared cgroup, process, flag and statistics helpers.
#include "bench_util.h"

#include <sched.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace podtrace::bench {

namespace fs = std::filesystem;

void parse_flags(int argc, char** argv, const std::map<std::string, Flag>& flags) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const auto flag = flags.find(argv[i]);
    if (flag == flags.end()) continue;
    const std::string value = argv[i + 1];
    std::visit(
        [&](auto* target) {
          using T = std::remove_pointer_t<decltype(target)>;
          if constexpr (std::is_same_v<T, std::string>)
            *target = value;
          else if constexpr (std::is_same_v<T, long>)
            *target = std::stol(value);
          else if constexpr (std::is_same_v<T, int>)
            *target = std::stoi(value);
          else
            *target = std::stod(value);
        },
        flag->second);
  }
}

fs::path own_v2_cgroup() {
  // Hybrid hosts mount the v2 hierarchy at /sys/fs/cgroup/unified.
  const fs::path root =
      fs::exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0) return root / fs::path(line.substr(3)).relative_path();
  return root;
}

BenchCgroups::BenchCgroups(const std::string& name) {
  const std::string pid = std::to_string(getpid());
  const fs::path base = own_v2_cgroup();
  target = base / ("pt-" + name + "-target-" + pid);
  other = base / ("pt-" + name + "-other-" + pid);
  fs::create_directories(target);
  fs::create_directories(other);
}

BenchCgroups::~BenchCgroups() {
  // rmdir, not a recursive remove: a cgroup directory holds only the kernel's files.
  rmdir(target.c_str());
  rmdir(other.c_str());
}

void join_cgroup(const fs::path& cgroup) {
  if (!cgroup.empty()) std::ofstream(cgroup / "cgroup.procs") << "0";
}

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Spawned start_process(const std::vector<std::string>& argv, const fs::path& out,
                      const fs::path& err) {
  Spawned s{-1, out};
  fs::remove(out);  // else a readiness check may find the previous run's output
  s.pid = fork();
  if (s.pid == 0) {
    FILE* f = std::fopen(out.c_str(), "w");
    dup2(fileno(f), 1);
    if (err == out) {
      dup2(fileno(f), 2);
    } else if (!err.empty()) {
      FILE* e = std::fopen(err.c_str(), "w");
      dup2(fileno(e), 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return s;
}

Spawned spawn_until(const std::vector<std::string>& argv, const fs::path& out,
                    std::string_view ready, const fs::path& err) {
  Spawned s = start_process(argv, out, err);
  for (int i = 0; i < 1500; ++i) {
    if (slurp(out).find(ready) != std::string::npos) return s;
    int status;
    if (waitpid(s.pid, &status, WNOHANG) == s.pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "%s did not start (waited for %.*s):\n%s\n", argv[0].c_str(),
               static_cast<int>(ready.size()), ready.data(), err.empty() ? "" : slurp(err).c_str());
  std::exit(1);
}

Spawned spawn_tracer(const std::vector<std::string>& argv, const fs::path& out,
                     const fs::path& err) {
  return spawn_until(argv, out, "\"type\":\"start\"", err);
}

std::vector<nlohmann::json> stop(Spawned& s) {
  kill(s.pid, SIGINT);
  waitpid(s.pid, nullptr, 0);
  std::ifstream in(s.out);
  std::string line;
  std::vector<nlohmann::json> lines;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) lines.push_back(std::move(j));
  }
  return lines;
}

nlohmann::json stop_for_report(Spawned& s) {
  nlohmann::json report;
  for (auto& j : stop(s))
    if (j.is_object() && j.value("type", "") == "report") report = std::move(j);
  return report;
}

std::string families_except(const std::string& tracer,
                            std::initializer_list<std::string_view> keep) {
  std::string check;
  FILE* p = popen((tracer + " --check 2>/dev/null").c_str(), "r");
  if (!p) return "";
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) check.append(buf, n);
  if (pclose(p) != 0) return "";
  // The family table follows the attach-type table, under a "DIAGNOSTIC  USES" heading.
  const size_t table = check.find("\nDIAGNOSTIC");
  if (table == std::string::npos) return "";
  std::istringstream in(check.substr(table + 1));
  std::string line, list;
  std::getline(in, line);  // the heading
  while (std::getline(in, line)) {
    const std::string name = line.substr(0, line.find(' '));
    if (name.empty() || std::find(keep.begin(), keep.end(), name) != keep.end()) continue;
    list += (list.empty() ? "" : ",") + name;
  }
  return list;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string runs_text(const std::vector<double>& v) {
  std::string s;
  for (double x : v) s += (s.empty() ? "" : " ") + std::to_string(static_cast<long>(x));
  return s;
}

}  // namespace podtrace::bench
