// SPDX-License-Identifier: Apache-2.0
// rate_limiter.h: a token bucket for the /metrics endpoint. A scraper polls every few seconds;
// anything much faster is a misconfiguration or abuse, and must not cost the node CPU.
#pragma once

#include <chrono>
#include <mutex>

namespace podtrace::tracer {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // `per_second` tokens are added each second, up to `burst`.
  RateLimiter(double per_second, double burst) : rate_(per_second), burst_(burst), tokens_(burst) {}

  // Takes a token if one is there.
  bool allow(Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    if (!started_) {
      last_ = now;
      started_ = true;
    }
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    if (elapsed > 0) {
      tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
      last_ = now;
    }
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  std::mutex mutex_;
  const double rate_;
  const double burst_;
  double tokens_;
  bool started_ = false;
  Clock::time_point last_{};
};

}  // namespace podtrace::tracer
