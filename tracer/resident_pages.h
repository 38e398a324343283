// SPDX-License-Identifier: Apache-2.0
// resident_pages.h: gives back the pages of read-only file data the tracer needed only once.
// Each family's BPF object is embedded in the binary (bpftool's skeleton: 40-290 KB each, 1.4 MB
// in all) and read only while libbpf opens and loads it; its pages would stay in the tracer's
// RSS for the whole trace (docs/performance.md, "Tracer memory (RSS)").
#pragma once

#include <cstddef>

namespace podtrace::tracer {

// Unmaps the whole pages inside [data, data + size) from this process (MADV_DONTNEED); the
// partial pages at either end stay. The bytes must lie in a read-only file mapping (the
// binary's own constants): such pages stay in the page cache, and a later read maps them again
// with the same content. On anonymous or written memory this would lose data: never pass it.
void release_read_only_pages(const void* data, size_t size);

}  // namespace podtrace::tracer
