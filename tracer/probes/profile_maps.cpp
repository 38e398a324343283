// SPDX-License-Identifier: Apache-2.0
// profile_maps.cpp: /proc/PID/maps lines and file-offset to ELF-address translation.
#include "probes/profile_maps.h"

#include <sys/sysmacros.h>

#include <algorithm>
#include <charconv>

namespace podtrace::tracer {

namespace {

bool parse_hex(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool parse_dec(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 10);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// Splits off the next space-separated field of `line`.
std::string_view next_field(std::string_view& line) {
  const size_t start = line.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(start);
  const size_t end = line.find(' ');
  std::string_view field = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return field;
}

}  // namespace

std::optional<ProcMapping> parse_maps_line(std::string_view line) {
  ProcMapping m;
  const std::string_view range = next_field(line);
  const std::string_view perms = next_field(line);
  const std::string_view offset = next_field(line);
  const std::string_view dev = next_field(line);
  const std::string_view inode = next_field(line);
  const size_t dash = range.find('-');
  const size_t colon = dev.find(':');
  uint64_t major = 0, minor = 0;
  if (dash == std::string_view::npos || colon == std::string_view::npos || perms.size() < 4)
    return std::nullopt;
  if (!parse_hex(range.substr(0, dash), m.start) || !parse_hex(range.substr(dash + 1), m.end) ||
      !parse_hex(offset, m.offset) || !parse_hex(dev.substr(0, colon), major) ||
      !parse_hex(dev.substr(colon + 1), minor) || !parse_dec(inode, m.inode))
    return std::nullopt;
  m.dev = makedev(major, minor);
  m.readable = perms[0] == 'r';
  m.writable = perms[1] == 'w';
  m.exec = perms[2] == 'x';
  // The path is the rest of the line after the padding; it may contain spaces.
  const size_t path_start = line.find_first_not_of(' ');
  if (path_start != std::string_view::npos) m.path = std::string(line.substr(path_start));
  constexpr std::string_view kDeleted = " (deleted)";
  if (m.path.size() > kDeleted.size() && m.path.ends_with(kDeleted)) {
    m.path.resize(m.path.size() - kDeleted.size());
    m.deleted = true;
  }
  return m;
}

std::vector<ProcMapping> parse_executable_mappings(std::string_view maps_text) {
  std::vector<ProcMapping> out;
  while (!maps_text.empty()) {
    const size_t nl = maps_text.find('\n');
    const std::string_view line = maps_text.substr(0, nl);
    maps_text.remove_prefix(nl == std::string_view::npos ? maps_text.size() : nl + 1);
    auto m = parse_maps_line(line);
    if (m && m->exec && m->end > m->start) out.push_back(std::move(*m));
  }
  std::sort(out.begin(), out.end(),
            [](const ProcMapping& a, const ProcMapping& b) { return a.start < b.start; });
  return out;
}

const ProcMapping* find_mapping(const std::vector<ProcMapping>& mappings, uint64_t addr) {
  auto it = std::upper_bound(mappings.begin(), mappings.end(), addr,
                             [](uint64_t a, const ProcMapping& m) { return a < m.start; });
  if (it == mappings.begin()) return nullptr;
  --it;
  return addr < it->end ? &*it : nullptr;
}

std::optional<uint64_t> elf_address(const ProcMapping& m, const std::vector<LoadSegment>& segments,
                                    uint64_t addr) {
  if (addr < m.start || addr >= m.end) return std::nullopt;
  const uint64_t file_offset = addr - m.start + m.offset;
  for (const auto& s : segments)
    if (file_offset >= s.offset && file_offset < s.offset + s.filesz)
      return file_offset - s.offset + s.vaddr;
  return std::nullopt;
}

}  // namespace podtrace::tracer
