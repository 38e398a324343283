// SPDX-License-Identifier: Apache-2.0
// Copies a container's output pipe into its CRI log file on a thread of its own.
#pragma once

#include <atomic>
#include <string>
#include <thread>

namespace podtrace::cluster {

class LogPump {
 public:
  // Takes ownership of fd.
  LogPump(int fd, const std::string& log_path);
  ~LogPump();
  LogPump(const LogPump&) = delete;
  LogPump& operator=(const LogPump&) = delete;

  // Stops waiting for more output (what is buffered is still written) and joins.
  // True once every writer closed the pipe and the log holds all output.
  bool finished() const { return finished_.load(); }

 private:
  void run(std::string log_path);

  int fd_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace podtrace::cluster
