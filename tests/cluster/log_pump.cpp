// SPDX-License-Identifier: Apache-2.0
// One blocking reader per container keeps ordering of stdout/stderr (they share one pipe).
#include "log_pump.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "cri_log.h"

namespace podtrace::cluster {

LogPump::LogPump(int fd, const std::string& log_path) : fd_(fd) {
  thread_ = std::thread(&LogPump::run, this, log_path);
}

LogPump::~LogPump() {
  // The owner kills the container's processes first, so the pipe normally reaches EOF; a
  // process that escaped its cgroup and still holds the pipe must not hang shutdown.
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void LogPump::run(std::string log_path) {
  CriLogWriter writer(log_path);
  char buf[8192];
  while (true) {
    pollfd pfd{fd_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, 100);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) {
      if (stop_.load()) break;
      continue;
    }
    ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    writer.write(std::string_view(buf, static_cast<size_t>(n)), Clock::now());
  }
  writer.finish(Clock::now());
  ::close(fd_);
  finished_.store(true);
}

}  // namespace podtrace::cluster
