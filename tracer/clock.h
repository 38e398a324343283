// SPDX-License-Identifier: Apache-2.0
// clock.h: the clock BPF programs stamp with (bpf_ktime_get_ns() is CLOCK_MONOTONIC), read from
// user space, so kernel and user timestamps compare.
#pragma once

#include <time.h>

#include <cstdint>

namespace podtrace::tracer {

inline uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace podtrace::tracer
