// SPDX-License-Identifier: Apache-2.0
// fork/exec with only async-signal-safe calls in the child: everything is prepared beforehand.
#include "process_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace podtrace::cluster {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Reports a failing step to the parent through the error pipe and exits.
[[noreturn]] void child_fail(int err_fd, const char* step) {
  int e = errno;
  char buf[160];
  size_t n = 0;
  for (const char* p = step; *p && n < 100; ++p) buf[n++] = *p;
  buf[n++] = ':';
  buf[n++] = ' ';
  const char* msg = strerrordesc_np(e);
  for (const char* p = msg ? msg : "error"; *p && n < sizeof(buf); ++p) buf[n++] = *p;
  ssize_t ignored = ::write(err_fd, buf, n);
  (void)ignored;
  _exit(127);
}

}  // namespace

std::string resolve_executable(const std::string& command, const std::string& path_env) {
  if (command.find('/') != std::string::npos) return command;
  size_t start = 0;
  while (start <= path_env.size()) {
    size_t colon = path_env.find(':', start);
    if (colon == std::string::npos) colon = path_env.size();
    std::string dir = path_env.substr(start, colon - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + command;
      struct stat st {};
      if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          ::access(candidate.c_str(), X_OK) == 0)
        return candidate;
    }
    start = colon + 1;
  }
  return "";
}

std::variant<LaunchedProcess, std::string> launch_process(const LaunchRequest& request) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return std::string("pipe: ") + std::strerror(errno);
  }
  auto argv = c_strings(request.argv);
  auto envp = c_strings(request.env);
  const char* workdir = request.working_dir.empty() ? "/" : request.working_dir.c_str();

  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    return std::string("fork: ") + std::strerror(errno);
  }
  if (pid == 0) {
    // The harness blocks SIGTERM/SIGINT for sigwait and ignores SIGPIPE; both would
    // survive exec and make the container deaf to `kubectl delete`.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::setsid();
    for (const auto& procs : request.cgroup_procs) {
      int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || ::write(fd, "0", 1) != 1) child_fail(err[1], procs.c_str());
      ::close(fd);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(out[1], 2) < 0)
      child_fail(err[1], "stdio");
    // Nothing the harness holds open (sockets, log files) may leak into the container.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (::chdir(workdir) != 0) child_fail(err[1], "chdir");
    ::execve(request.executable.c_str(), argv.data(), envp.data());
    child_fail(err[1], "exec");
  }
  ::close(out[1]);
  ::close(err[1]);
  // EOF on the error pipe means exec succeeded (it is close-on-exec).
  char buf[256];
  ssize_t n;
  do {
    n = ::read(err[0], buf, sizeof(buf));
  } while (n < 0 && errno == EINTR);
  ::close(err[0]);
  if (n > 0) {
    ::close(out[0]);
    return std::string(buf, static_cast<size_t>(n));
  }
  return LaunchedProcess{pid, out[0]};
}

}  // namespace podtrace::cluster
