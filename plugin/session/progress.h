// SPDX-License-Identifier: Apache-2.0
// Progress while the tracer Job starts: a spinner on a TTY, plain lines otherwise (on stderr).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

namespace podtrace::plugin {

class Progress {
 public:
  // `spinner`: animate on one line (stderr is a TTY); otherwise print each new message once.
  Progress(std::ostream& out, bool spinner);
  ~Progress();

  void update(const std::string& message);

  // Clears the spinner line; `final_message` (if any) is printed as a plain line.
  void done(const std::string& final_message = {});

  // Prints a line without breaking the spinner.
  void note(const std::string& line);

 private:
  void spin();

  std::ostream& out_;
  bool spinner_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string message_;
  bool running_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace podtrace::plugin
