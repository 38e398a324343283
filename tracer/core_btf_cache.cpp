// SPDX-License-Identifier: Apache-2.0
// core_btf_cache.cpp: finds, checks and makes (with bpftool) the minimal CO-RE BTF of this boot.
#include "core_btf_cache.h"

#include <bpf/btf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <sstream>
#include <string_view>

#include "cgroup_files.h"
#include "private_files.h"
#include "resident_pages.h"

namespace podtrace::tracer {

namespace fs = std::filesystem;

namespace {

constexpr const char* kKernelBtf = "/sys/kernel/btf/vmlinux";
// bpftool's copy for every family is ~10 KB; the kernel's whole BTF is ~6 MB.
constexpr size_t kMaxBytes = 1 << 20;

// Guards the bpftool pid against reuse: it is killed only before the waiter reaps it.
std::mutex g_reap_mutex;

fs::path cache_dir() {
  if (const char* dir = std::getenv("PODTRACE_CORE_BTF_CACHE")) return dir;
  return "/run/podtrace";
}

// $PODTRACE_BPFTOOL, else bpftool in $PATH or the sbin directories a container's PATH may lack.
std::optional<fs::path> find_bpftool() {
  if (const char* path = std::getenv("PODTRACE_BPFTOOL"))
    return access(path, X_OK) == 0 ? std::optional<fs::path>(path) : std::nullopt;
  std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
  dirs += ":/usr/sbin:/usr/local/sbin:/sbin";
  std::stringstream in(dirs);
  for (std::string dir; std::getline(in, dir, ':');)
    if (!dir.empty() && dir.front() == '/' &&
        access((fs::path(dir) / "bpftool").c_str(), X_OK) == 0)
      return fs::path(dir) / "bpftool";
  return std::nullopt;
}

// The outputs of bpftools whose tracer was SIGKILLed (bpftool dies with it): another tracer's
// may be in the making, so only those older than any making takes.
void remove_stale_temps(const fs::path& dir) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".core-btf.", 0) != 0 || !entry.is_regular_file(ec)) continue;
    const auto written = entry.last_write_time(ec);
    if (!ec && now - written > std::chrono::minutes(1)) fs::remove(entry.path(), ec);
  }
}

fs::path failed_marker(const fs::path& file) { return fs::path(file.string() + ".failed"); }

}  // namespace

std::optional<fs::path> core_btf_cache_file(
    const std::vector<std::span<const unsigned char>>& objects) {
  const fs::path dir = cache_dir();
  if (dir.empty()) return std::nullopt;
  const auto boot_id = read_first_line("/proc/sys/kernel/random/boot_id");
  if (!boot_id || boot_id->empty()) return std::nullopt;
  // A new boot may be a new kernel; a new build may relocate other types.
  size_t h = std::hash<std::string_view>{}(*boot_id);
  for (const auto& object : objects)
    h = h * 1099511628211ull ^ std::hash<std::string_view>{}(std::string_view(
                                   reinterpret_cast<const char*>(object.data()), object.size()));
  fs::path file = dir / fmt::format("core-btf-{:016x}", h);
  std::error_code ec;
  if (fs::exists(failed_marker(file), ec)) return std::nullopt;
  return file;
}

void retire_core_btf(const fs::path& file) { rename(file.c_str(), failed_marker(file).c_str()); }

bool core_btf_usable(const fs::path& file) {
  const auto bytes = read_private_file(file, kMaxBytes);
  if (!bytes || bytes->empty()) return false;
  btf* const parsed = btf__new(bytes->data(), static_cast<__u32>(bytes->size()));
  const bool usable = parsed && btf__type_cnt(parsed) > 1;
  btf__free(parsed);
  return usable;
}

std::unique_ptr<CoreBtfMaker> CoreBtfMaker::start(
    const fs::path& file, const std::vector<std::span<const unsigned char>>& objects) {
  const auto bpftool = find_bpftool();
  if (!bpftool || objects.empty()) return nullptr;
  const fs::path dir = file.parent_path();
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return nullptr;
  if (!directory_is_private(dir)) return nullptr;
  remove_stale_temps(dir);
  std::string temp = (dir / ".core-btf.XXXXXX").string();
  const int temp_fd = mkstemp(temp.data());  // 0600, O_EXCL
  if (temp_fd < 0) return nullptr;
  close(temp_fd);
  // The objects are the binary's constants: bpftool reads them from memfds, which the child
  // moves to fds 3, 4...; every other fd of the tracer (sockets of the metrics server, maps) is
  // closed before the exec.
  std::vector<int> fds;
  std::vector<std::string> args = {bpftool->string(), "gen", "min_core_btf", kKernelBtf, temp};
  bool written = true;
  for (const auto& object : objects) {
    const int fd = memfd_create("podtrace-bpf-object", MFD_CLOEXEC);
    if (fd < 0) {
      written = false;
      break;
    }
    fds.push_back(fd);
    written =
        written && write(fd, object.data(), object.size()) == static_cast<ssize_t>(object.size());
    // Read once more for this copy: not again for the rest of the trace.
    release_read_only_pages(object.data(), object.size());
    args.push_back(fmt::format("/proc/self/fd/{}", STDERR_FILENO + fds.size()));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // An ignored SIGCHLD (inherited across exec from whoever started the tracer) would reap bpftool
  // at its exit, and its status with it.
  signal(SIGCHLD, SIG_DFL);
  const pid_t parent = getpid();
  const int count = static_cast<int>(fds.size());
  std::vector<int> aside(fds.size());  // the child's, allocated before the fork
  const pid_t pid = written ? fork() : -1;
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec. The tracer's end ends bpftool too
    // (the main thread forks, and lives as long as the tracer).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setpriority(PRIO_PROCESS, 0, 19);
    // Out of the way first (a memfd may sit on 0-2, or on 3 + another's index), then in place;
    // dup2 clears FD_CLOEXEC on the copies.
    const int first_free = STDERR_FILENO + 1 + count;
    for (int i = 0; i < count; ++i)
      if ((aside[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, first_free)) < 0) _exit(126);
    const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) _exit(126);
    for (int target : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) dup2(null, target);
    for (int i = 0; i < count; ++i)
      if (dup2(aside[i], STDERR_FILENO + 1 + i) < 0) _exit(126);
    if (close_range(first_free, ~0U, 0) != 0)
      for (int fd = first_free; fd < 65536; ++fd) close(fd);
    execv(argv[0], argv.data());
    _exit(127);
  }
  for (int fd : fds) close(fd);
  if (pid < 0) {
    unlink(temp.c_str());
    return nullptr;
  }
  try {
    return std::unique_ptr<CoreBtfMaker>(new CoreBtfMaker(pid, temp, file));
  } catch (const std::exception&) {  // no thread to wait for it: end it here
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    unlink(temp.c_str());
    return nullptr;
  }
}

CoreBtfMaker::CoreBtfMaker(pid_t pid, fs::path temp, fs::path file)
    : pid_(pid), temp_(std::move(temp)), file_(std::move(file)) {
  waiter_ = std::thread([this] { reap(); });
}

void CoreBtfMaker::reap() {
  siginfo_t info{};
  // WNOWAIT: the exited child stays a zombie, so its pid cannot be reused before it is marked.
  while (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  const bool made = info.si_code == CLD_EXITED && info.si_status == 0;
  {
    std::lock_guard lock(g_reap_mutex);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  const bool kept = made && core_btf_usable(temp_) && rename(temp_.c_str(), file_.c_str()) == 0;
  if (!kept) unlink(temp_.c_str());
}

CoreBtfMaker::~CoreBtfMaker() {
  {
    std::lock_guard lock(g_reap_mutex);
    if (pid_ > 0) kill(pid_, SIGKILL);
  }
  waiter_.join();  // the waiter reaps bpftool and keeps or drops its output
}

}  // namespace podtrace::tracer
