// SPDX-License-Identifier: Apache-2.0
// resident_pages.cpp: MADV_DONTNEED on the whole pages of read-only file data.
#include "resident_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace podtrace::tracer {

void release_read_only_pages(const void* data, size_t size) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto start = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (start + page - 1) & ~(page - 1);
  const uintptr_t end = (start + size) & ~(page - 1);
  // Failure costs only the RSS it would have saved.
  if (end > first) (void)madvise(reinterpret_cast<void*>(first), end - first, MADV_DONTNEED);
}

}  // namespace podtrace::tracer
