// SPDX-License-Identifier: Apache-2.0
// Shared switches for long-running responses (watch, log follow): shutdown and the drop fault.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

namespace podtrace::cluster {

struct StreamControl {
  std::atomic<bool> stopping{false};
  // Bumped by the drop-streams fault: a stream that sees a newer generation than the one it
  // started with closes its connection without the terminating chunk.
  std::atomic<unsigned> generation{0};
  std::atomic<int> active{0};

  // The drop-responses fault: the next `count` API requests whose User-Agent starts with
  // `agent` are carried out, but their connection closes after the headers, before the body.
  void drop_responses(int count, std::string agent) {
    std::lock_guard lock(drop_mutex_);
    drop_count_ = count;
    drop_agent_ = std::move(agent);
  }
  // Whether this request's answer is to be dropped (one of the count is used up).
  bool take_dropped_response(const std::string& user_agent) {
    std::lock_guard lock(drop_mutex_);
    if (drop_count_ <= 0 || user_agent.rfind(drop_agent_, 0) != 0) return false;
    --drop_count_;
    return true;
  }

 private:
  std::mutex drop_mutex_;
  int drop_count_ = 0;
  std::string drop_agent_;
};

// Counts a stream as active for its lifetime.
class ActiveStream {
 public:
  explicit ActiveStream(StreamControl& control) : control_(control) { ++control_.active; }
  ~ActiveStream() { --control_.active; }
  ActiveStream(const ActiveStream&) = delete;
  ActiveStream& operator=(const ActiveStream&) = delete;

 private:
  StreamControl& control_;
};

}  // namespace podtrace::cluster
