// SPDX-License-Identifier: Apache-2.0
// Shared switches for long-running responses (watch, log follow): shutdown and the drop fault.
#pragma once

#include <atomic>

namespace podtrace::cluster {

struct StreamControl {
  std::atomic<bool> stopping{false};
  // Bumped by the drop-streams fault: a stream that sees a newer generation than the one it
  // started with closes its connection without the terminating chunk.
  std::atomic<unsigned> generation{0};
  std::atomic<int> active{0};
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
