// SPDX-License-Identifier: Apache-2.0
// kernel_test_util.cpp: cgroup fixtures, forked workloads and the tracer subprocess.
#include "kernel_test_util.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace podtrace::tracer::testing {

namespace fs = std::filesystem;

namespace {

bool pure_v2() { return fs::exists("/sys/fs/cgroup/cgroup.controllers"); }

fs::path v2_root() { return pure_v2() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified"; }

// Our own cgroup path in a hierarchy: "" for v2, else a v1 controller name.
std::string own_cgroup(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controller.empty() ? ctrls.empty()
                           : ("," + ctrls + ",").find("," + controller + ",") != std::string::npos)
      return path;
  }
  throw std::runtime_error("no cgroup for controller " + controller);
}

void write_file(const fs::path& p, const std::string& value) {
  std::ofstream out(p);
  out << value;
  out.flush();
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

void remove_cgroup(const fs::path& dir) {
  if (!fs::exists(dir)) return;
  // Kill stragglers first: a cgroup with members cannot be removed.
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::ifstream in(dir / "cgroup.procs");
    int pid, n = 0;
    while (in >> pid) {
      kill(pid, SIGKILL);
      ++n;
    }
    if (n == 0 && rmdir(dir.c_str()) == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

TestCgroup::TestCgroup(const std::string& name) {
  const std::string unique = name + "-" + std::to_string(getpid());
  v2_ = v2_root() / fs::path(own_cgroup("")).relative_path() / unique;
  fs::create_directories(v2_);
  if (pure_v2()) {
    cpu_dir_ = memory_dir_ = v2_;
    return;
  }
  for (const std::string controller : {"cpu", "memory"}) {
    fs::path dir = fs::path("/sys/fs/cgroup") / controller /
                   fs::path(own_cgroup(controller)).relative_path() / unique;
    fs::create_directories(dir);
    v1_.push_back(dir);
    (controller == "cpu" ? cpu_dir_ : memory_dir_) = dir;
  }
}

TestCgroup::~TestCgroup() {
  remove_cgroup(v2_);
  for (const auto& d : v1_) remove_cgroup(d);
}

uint64_t TestCgroup::id() const {
  struct stat st {};
  stat(v2_.c_str(), &st);
  return st.st_ino;
}

void TestCgroup::set_cpu_quota(long quota_us, long period_us) {
  if (pure_v2()) {
    write_file(v2_ / "cpu.max", std::to_string(quota_us) + " " + std::to_string(period_us));
  } else {
    write_file(*cpu_dir_ / "cpu.cfs_period_us", std::to_string(period_us));
    write_file(*cpu_dir_ / "cpu.cfs_quota_us", std::to_string(quota_us));
  }
}

void TestCgroup::set_memory_limit(long bytes) {
  write_file(*memory_dir_ / (pure_v2() ? "memory.max" : "memory.limit_in_bytes"),
             std::to_string(bytes));
}

void TestCgroup::join_self() const {
  write_file(v2_ / "cgroup.procs", "0");
  for (const auto& d : v1_) write_file(d / "cgroup.procs", "0");
}

Workload::Workload(const TestCgroup& cgroup, std::function<int()> body)
    : Workload([&cgroup] { cgroup.join_self(); }, std::move(body)) {}

Workload::Workload(std::function<void()> join, std::function<int()> body) {
  int go[2], ready[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(ready, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    close(go[1]);
    close(ready[0]);
    int code = 100;
    try {
      join();
      char c = 'r';
      if (write(ready[1], &c, 1) == 1 && read(go[0], &c, 1) == 1) code = body();
    } catch (...) {
      code = 101;
    }
    _exit(code);
  }
  close(go[0]);
  close(ready[1]);
  go_fd_ = go[1];
  // The tracer must find the workload already in its cgroup.
  char c;
  const bool joined = read(ready[0], &c, 1) == 1;
  close(ready[0]);
  if (!joined) throw std::runtime_error("workload could not join its cgroup");
}

Workload::~Workload() {
  if (go_fd_ >= 0) close(go_fd_);
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void Workload::go() {
  char c = 'g';
  if (write(go_fd_, &c, 1) != 1) throw std::runtime_error("cannot release workload");
  close(go_fd_);
  go_fd_ = -1;
}

int Workload::wait() {
  int status = 0;
  waitpid(pid_, &status, 0);
  reaped_ = true;
  return status;
}

std::string tracer_path() {
  const char* p = std::getenv("PODTRACE_TRACER");
  if (!p) throw std::runtime_error("PODTRACE_TRACER is not set");
  return p;
}

fs::path make_temp_dir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  return tmpl;
}

namespace {

pid_t spawn(const std::vector<std::string>& argv, int& out_fd, int& err_fd) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  out_fd = out[0];
  err_fd = err[0];
  return pid;
}

// With $PODTRACE_TEST_ATTACH_LOG set, appends the attach type each family used in this test to
// that file (one JSON line per tracer run): docs/compatibility.md is made from it.
void log_attach_types(const std::vector<nlohmann::json>& lines) {
  const char* path = std::getenv("PODTRACE_TEST_ATTACH_LOG");
  if (!path) return;
  for (const auto& l : lines) {
    if (l["type"] != "report") continue;
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    struct utsname u {};
    uname(&u);
    nlohmann::json entry = {
        {"test", test ? std::string(test->test_suite_name()) + "." + test->name() : ""},
        {"kernel", u.release},
        {"tracer_args", std::getenv("PODTRACE_TEST_TRACER_ARGS") ?: ""},
        {"diagnostics", l.value("diagnostics", nlohmann::json::array())}};
    std::ofstream(path, std::ios::app) << entry.dump() << "\n";
  }
}

std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) s.append(buf, n);
  return s;
}

}  // namespace

ProcessResult run_command(const std::vector<std::string>& argv) {
  int out_fd, err_fd;
  pid_t pid = spawn(argv, out_fd, err_fd);
  ProcessResult r;
  std::thread err_reader([&] { r.err = read_all(err_fd); });
  r.out = read_all(out_fd);
  err_reader.join();
  close(out_fd);
  close(err_fd);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

TracerProcess::TracerProcess(std::vector<std::string> args) {
  args.insert(args.begin(), tracer_path());
  // The kernel matrix (tests/vm) runs every test again with rungs masked (--no-attach ...).
  if (const char* extra = std::getenv("PODTRACE_TEST_TRACER_ARGS")) {
    std::istringstream words(extra);
    for (std::string w; words >> w;) args.push_back(w);
  }
  pid_ = spawn(args, out_fd_, err_fd_);
  fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

TracerProcess::~TracerProcess() {
  if (exit_code_ < 0 && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

bool TracerProcess::read_line(std::string& line) {
  for (;;) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return true;
    }
    char buf[65536];
    ssize_t n = read(out_fd_, buf, sizeof(buf));
    if (n <= 0) return false;
    buffer_.append(buf, n);
  }
}

nlohmann::json TracerProcess::wait_for_start() {
  std::string line;
  while (read_line(line)) {
    auto j = nlohmann::json::parse(line);
    lines_.push_back(j);
    if (j["type"] == "start") return j;
  }
  wait_exit();
  throw std::runtime_error("tracer exited before start: " + err_);
}

nlohmann::json TracerProcess::wait_for(const std::string& type) {
  std::string line;
  while (read_line(line)) {
    auto j = nlohmann::json::parse(line);
    lines_.push_back(j);
    if (j["type"] == type) return j;
  }
  throw std::runtime_error("tracer exited before a " + type + " line: " + err_);
}

nlohmann::json TracerProcess::wait_for_event(const std::string& family, const std::string& kind) {
  while (true) {
    auto j = wait_for("event");
    if (j["family"] == family && j["kind"] == kind) return j;
  }
}

void TracerProcess::drain() {
  std::string line;
  while (read_line(line)) lines_.push_back(nlohmann::json::parse(line));
  char buf[4096];
  ssize_t n;
  while ((n = read(err_fd_, buf, sizeof(buf))) > 0) err_.append(buf, n);
}

int TracerProcess::wait_exit() {
  drain();
  int status = 0;
  waitpid(pid_, &status, 0);
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  log_attach_types(lines_);
  return exit_code_;
}

int TracerProcess::stop() {
  kill(pid_, SIGINT);
  return wait_exit();
}

nlohmann::json TracerProcess::report() const {
  for (const auto& l : lines_)
    if (l["type"] == "report") return l;
  throw std::runtime_error("no report line; stderr: " + err_);
}

bool TracerProcess::reported_feature_works(const std::string& feature) const {
  const nlohmann::json r = report();
  for (const auto& f : r["kernel"]["features"])
    if (f["attach"] == feature) return f["works"].get<bool>();
  ADD_FAILURE() << "the report has no " << feature << " answer: " << r["kernel"].dump();
  return false;
}

std::vector<nlohmann::json> TracerProcess::events(const std::string& family,
                                                  const std::string& kind) const {
  std::vector<nlohmann::json> out;
  for (const auto& l : lines_)
    if (l["type"] == "event" && l["family"] == family && l["kind"] == kind) out.push_back(l);
  return out;
}

std::vector<int> run_under_tracer(TracerProcess& tracer, const std::vector<Workload*>& workloads) {
  tracer.wait_for_start();
  for (Workload* w : workloads) w->go();
  std::vector<int> statuses;
  for (Workload* w : workloads) statuses.push_back(w->wait());
  tracer.stop();
  return statuses;
}

std::optional<nlohmann::json> find_entry(const nlohmann::json& array, const nlohmann::json& match) {
  for (const auto& e : array) {
    bool ok = true;
    for (auto& [k, v] : match.items())
      if (!e.contains(k) || e[k] != v) ok = false;
    if (ok) return e;
  }
  return std::nullopt;
}

int write_fsync_loop(const std::filesystem::path& path, int n) {
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return 10;
  for (int i = 0; i < n; ++i) {
    if (write(fd, "podtrace\n", 9) != 9) return 11;
    if (fsync(fd) != 0) return 12;
  }
  close(fd);
  return 0;
}

int fork_one_by_one(int n, const std::function<int()>& child) {
  for (int i = 0; i < n; ++i) {
    const pid_t pid = fork();
    if (pid < 0) return 20;
    if (pid == 0) _exit(child());
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || status != 0) return 21;
  }
  return 0;
}

std::vector<std::vector<uint8_t>> bpf_map_keys(pid_t pid, const std::string& name) {
  const std::filesystem::path proc = "/proc/" + std::to_string(pid);
  std::vector<std::vector<uint8_t>> keys;
  for (const auto& fd : std::filesystem::directory_iterator(proc / "fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(fd.path(), ec).string() != "anon_inode:bpf-map") continue;
    std::ifstream info(proc / "fdinfo" / fd.path().filename());
    std::string field;
    uint32_t id = 0;
    while (info >> field)
      if (field == "map_id:") info >> id;
    const int map = bpf_map_get_fd_by_id(id);
    if (map < 0) continue;
    bpf_map_info about{};
    uint32_t len = sizeof(about);
    if (bpf_obj_get_info_by_fd(map, &about, &len) == 0 && name == about.name) {
      std::vector<uint8_t> key(about.key_size), next(about.key_size);
      for (bool first = true;
           bpf_map_get_next_key(map, first ? nullptr : key.data(), next.data()) == 0;
           first = false) {
        key = next;
        keys.push_back(key);
      }
    }
    close(map);
  }
  return keys;
}

}  // namespace podtrace::tracer::testing
