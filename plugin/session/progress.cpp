// SPDX-License-Identifier: Apache-2.0
// The spinner runs in its own thread so it keeps moving while a request blocks.
#include "session/progress.h"

#include <chrono>

#include "terminal_safe.h"

namespace podtrace::plugin {

Progress::Progress(std::ostream& out, bool spinner) : out_(out), spinner_(spinner) {}

Progress::~Progress() { done(); }

void Progress::update(const std::string& message) {
  std::string clean = sanitize_for_terminal(message);
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_ || clean == message_) return;
  message_ = clean;
  if (!spinner_) {
    out_ << clean << "\n" << std::flush;
    return;
  }
  if (!running_) {
    running_ = true;
    thread_ = std::thread([this] { spin(); });
  }
}

void Progress::note(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (spinner_ && running_) out_ << "\r\x1b[2K";
  out_ << sanitize_for_terminal(line) << "\n" << std::flush;
}

void Progress::done(const std::string& final_message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  if (spinner_ && running_) out_ << "\r\x1b[2K" << std::flush;
  if (!final_message.empty()) out_ << sanitize_for_terminal(final_message) << "\n" << std::flush;
}

void Progress::spin() {
  static const char* frames[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
  size_t i = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopped_) {
    out_ << "\r\x1b[2K" << frames[i++ % 10] << " " << message_ << std::flush;
    wake_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

}  // namespace podtrace::plugin
