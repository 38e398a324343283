// SPDX-License-Identifier: Apache-2.0
// profile_kallsyms.cpp: /proc/kallsyms parsing and address lookup.
#include "probes/profile_kallsyms.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

namespace podtrace::tracer {

void KernelSymbols::add_line(std::string_view line, size_t& lines) {
  // "ffffffff81234560 T vfs_read" or "ffffffffc0a01000 t nft_do_chain\t[nf_tables]"
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 + 3 > line.size() || line[sp1 + 2] != ' ') return;
  ++lines;
  const char type = line[sp1 + 1];
  if (type != 't' && type != 'T' && type != 'w' && type != 'W') return;
  uint64_t addr = 0;
  auto [ptr, ec] = std::from_chars(line.data(), line.data() + sp1, addr, 16);
  if (ec != std::errc() || addr == 0) return;
  std::string_view rest = line.substr(sp1 + 3);
  const size_t tab = rest.find('\t');
  const std::string_view name = rest.substr(0, tab);
  if (name.size() > UINT16_MAX || names_.size() + name.size() > UINT32_MAX) return;
  uint16_t module = 0;
  if (tab != std::string_view::npos) {
    std::string_view m = rest.substr(tab + 1);
    if (m.size() >= 2 && m.front() == '[' && m.back() == ']') m = m.substr(1, m.size() - 2);
    // Modules come in runs (kallsyms lists each module's symbols together).
    if (modules_.back() != m) {
      if (modules_.size() > UINT16_MAX) return;
      modules_.emplace_back(m);
    }
    module = static_cast<uint16_t>(modules_.size() - 1);
  }
  symbols_.push_back(
      {addr, static_cast<uint32_t>(names_.size()), static_cast<uint16_t>(name.size()), module});
  names_.append(name);
}

void KernelSymbols::finish(size_t lines) {
  std::stable_sort(symbols_.begin(), symbols_.end(),
                   [](const Symbol& a, const Symbol& b) { return a.addr < b.addr; });
  symbols_.shrink_to_fit();
  names_.shrink_to_fit();
  if (symbols_.empty())
    status_ = lines ? "kallsyms addresses read as 0 (kernel.kptr_restrict, or no CAP_SYSLOG): "
                      "kernel frames are unresolved"
                    : "kallsyms is empty: kernel frames are unresolved";
}

KernelSymbols KernelSymbols::parse(std::string_view text) {
  KernelSymbols k;
  size_t lines = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    k.add_line(text.substr(0, nl), lines);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  k.finish(lines);
  return k;
}

KernelSymbols KernelSymbols::load(const std::filesystem::path& path) {
  KernelSymbols k;
  std::ifstream in(path);
  if (!in) {
    k.status_ = "cannot read " + path.string() + ": " + std::strerror(errno) +
                ": kernel frames are unresolved";
    return k;
  }
  // Line by line: the whole text is ~5 MB, twice that while copied.
  size_t lines = 0;
  for (std::string line; std::getline(in, line);) k.add_line(line, lines);
  k.finish(lines);
  return k;
}

KernelSymbols::Function KernelSymbols::function_at(uint64_t addr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (it == symbols_.begin()) return {};
  const Symbol& s = *std::prev(it);
  return {names_.substr(s.name, s.length), modules_[s.module]};
}

}  // namespace podtrace::tracer
