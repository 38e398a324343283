// SPDX-License-Identifier: Apache-2.0
// resident_pages.cpp: MADV_DONTNEED on the whole pages of read-only file data.
#include "resident_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "probes/profile_maps.h"

namespace podtrace::tracer {

void release_read_only_pages(const void* data, size_t size) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto start = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (start + page - 1) & ~(page - 1);
  const uintptr_t end = (start + size) & ~(page - 1);
  // Failure costs only the RSS it would have saved.
  if (end > first) (void)madvise(reinterpret_cast<void*>(first), end - first, MADV_DONTNEED);
}

namespace {

// "Name:   123 kB" -> bytes; nullopt-like -1 when the line is not `key`.
long long smaps_field_bytes(std::string_view line, std::string_view key) {
  if (line.substr(0, key.size()) != key || line.size() <= key.size() || line[key.size()] != ':')
    return -1;
  std::string_view rest = line.substr(key.size() + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  long long kb = 0;
  if (std::from_chars(rest.data(), rest.data() + rest.size(), kb).ec != std::errc()) return -1;
  return kb * 1024;
}

bool named(std::string_view path, std::span<const std::string_view> names) {
  const size_t slash = path.rfind('/');
  const std::string_view file = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (std::string_view name : names)
    if (!name.empty() && file.substr(0, name.size()) == name) return true;
  return false;
}

}  // namespace

std::vector<CleanLibraryMapping> clean_library_mappings(std::string_view smaps,
                                                        std::span<const std::string_view> names) {
  std::vector<CleanLibraryMapping> out;
  struct Current {
    CleanLibraryMapping m;
    bool candidate = false;       // a named file, not writable
    bool written = false;         // a private dirty, anonymous or swapped page in it
    bool told_anonymous = false;  // its "Anonymous:" line was read: no line, no release
  } cur;
  auto close_current = [&] {
    if (cur.candidate && !cur.written && cur.told_anonymous) out.push_back(cur.m);
    cur = {};
  };
  while (!smaps.empty()) {
    const size_t nl = smaps.find('\n');
    const std::string_view line = smaps.substr(0, nl);
    smaps.remove_prefix(nl == std::string_view::npos ? smaps.size() : nl + 1);
    // A mapping's header line starts a mapping; its field lines ("Rss:   12 kB") follow.
    if (const auto m = parse_maps_line(line)) {
      close_current();
      cur.m.start = m->start;
      cur.m.end = m->end;
      cur.candidate = m->readable && !m->writable && m->file_backed() && named(m->path, names);
      continue;
    }
    if (const long long rss = smaps_field_bytes(line, "Rss"); rss >= 0) {
      cur.m.rss_bytes = static_cast<size_t>(rss);
    } else if (const long long anon = smaps_field_bytes(line, "Anonymous"); anon >= 0) {
      cur.told_anonymous = true;
      cur.written |= anon > 0;
    } else if (smaps_field_bytes(line, "Private_Dirty") > 0 ||
               smaps_field_bytes(line, "Swap") > 0) {
      cur.written = true;
    }
  }
  close_current();
  return out;
}

size_t release_library_pages(std::span<const std::string_view> names) {
  std::ifstream in("/proc/self/smaps");
  std::stringstream text;
  text << in.rdbuf();
  size_t released = 0;
  for (const auto& m : clean_library_mappings(text.str(), names))
    if (m.end > m.start &&
        madvise(reinterpret_cast<void*>(m.start), m.end - m.start, MADV_DONTNEED) == 0)
      released += m.rss_bytes;
  return released;
}

}  // namespace podtrace::tracer
