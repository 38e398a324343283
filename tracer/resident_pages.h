// SPDX-License-Identifier: Apache-2.0
// resident_pages.h: gives back the pages of read-only file data the tracer needed only once.
// Each family's BPF object is embedded in the binary (bpftool's skeleton: 40-290 KB each, 1.4 MB
// in all) and read only while libbpf opens and loads it; its pages would stay in the tracer's
// RSS for the whole trace (docs/performance.md, "Tracer memory (RSS)").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace podtrace::tracer {

// Unmaps the whole pages inside [data, data + size) from this process (MADV_DONTNEED); the
// partial pages at either end stay. The bytes must lie in a read-only file mapping (the
// binary's own constants): such pages stay in the page cache, and a later read maps them again
// with the same content. On anonymous or written memory this would lose data: never pass it.
void release_read_only_pages(const void* data, size_t size);

// A mapping of a library that holds no data of this process: not writable, and none of its pages
// written (the relocated RELRO segment is read-only too, but written: it is never one of these).
struct CleanLibraryMapping {
  uintptr_t start = 0;
  uintptr_t end = 0;
  size_t rss_bytes = 0;
};

// The clean mappings, in /proc/self/smaps text, of the files whose name (after the last '/')
// starts with one of `names` ("libcrypto.so"). Pure: the unit tests feed it text.
std::vector<CleanLibraryMapping> clean_library_mappings(std::string_view smaps,
                                                        std::span<const std::string_view> names);

// Unmaps this process's clean mappings of those libraries (MADV_DONTNEED): the code and constants
// of a library that was only initialised. Their pages stay in the page cache; a later call into
// the library maps them again. Returns the resident bytes given back.
size_t release_library_pages(std::span<const std::string_view> names);

}  // namespace podtrace::tracer
