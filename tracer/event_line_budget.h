// SPDX-License-Identifier: Apache-2.0
// event_line_budget.h: how many event lines each family may stream per second. A flood of
// millions of failed syscalls a second is still aggregated in full; only its lines are held
// back, and each one is counted, so the report says exactly how many were not streamed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace podtrace::tracer {

class EventLineBudget {
 public:
  // `per_second` 0: every line is streamed.
  explicit EventLineBudget(uint64_t per_second) : per_second_(per_second) {}

  // Adds what accrued since the last call; a family saves up at most one second's worth, so a
  // burst after a quiet spell is streamed whole while a flood gets `per_second` lines a second.
  void refill(uint64_t now_ns);
  // True when `family` may stream one more line now; otherwise the line is counted as not
  // streamed.
  bool take(std::string_view family);
  // Whether take() would be true now, without taking; false counts the line as not streamed.
  bool admits(std::string_view family);

  uint64_t per_second() const { return per_second_; }
  // Lines not streamed so far, by family (families that streamed every line are absent).
  std::map<std::string, uint64_t> not_streamed() const;

 private:
  struct Bucket {
    double tokens = 0;
    uint64_t not_streamed = 0;
  };
  const uint64_t per_second_;
  uint64_t last_refill_ns_ = 0;
  Bucket& bucket(std::string_view family);
  // The family's bucket when it holds a line's worth; otherwise counts the line, nullptr.
  Bucket* admitting(std::string_view family);

  std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace podtrace::tracer
