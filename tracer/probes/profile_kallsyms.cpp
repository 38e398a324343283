// SPDX-License-Identifier: Apache-2.0
// profile_kallsyms.cpp: /proc/kallsyms parsing and address lookup.
#include "probes/profile_kallsyms.h"

#include <zlib.h>

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
  if (name.find('\n') != std::string_view::npos || count_ == UINT32_MAX) return;
  uint16_t module = 0;
  if (tab != std::string_view::npos) {
    std::string_view m = rest.substr(tab + 1);
    if (m.size() >= 2 && m.front() == '[' && m.back() == ']') m = m.substr(1, m.size() - 2);
    if (modules_.back() != m) {
      if (modules_.size() > UINT16_MAX) return;
      modules_.emplace_back(m);
    }
    module = static_cast<uint16_t>(modules_.size() - 1);
  }
  if (module_runs_.empty() || module_runs_.back().second != module)
    module_runs_.emplace_back(count_, module);
  loading_.emplace_back(addr, count_++);
  pending_.append(name);
  pending_.push_back('\n');
  if (count_ % kBlockNames == 0) seal_block();
}

void KernelSymbols::seal_block() {
  if (pending_.empty()) return;
  uLongf size = compressBound(pending_.size());
  Block b;
  b.compressed.resize(size);
  b.size = static_cast<uint32_t>(pending_.size());
  // Uncompressed if zlib fails: the names are still there, only bigger.
  if (compress2(reinterpret_cast<Bytef*>(b.compressed.data()), &size,
                reinterpret_cast<const Bytef*>(pending_.data()), pending_.size(),
                Z_DEFAULT_COMPRESSION) == Z_OK) {
    b.compressed.resize(size);
  } else {
    b.compressed = pending_;
    b.size = 0;
  }
  b.compressed.shrink_to_fit();
  blocks_.push_back(std::move(b));
  pending_.clear();
}

void KernelSymbols::finish(size_t lines) {
  seal_block();
  pending_.shrink_to_fit();
  std::stable_sort(loading_.begin(), loading_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  addrs_.reserve(loading_.size());
  ordinals_.reserve(loading_.size());
  for (const auto& [addr, ordinal] : loading_) {
    addrs_.push_back(addr);
    ordinals_.push_back(ordinal);
  }
  std::vector<std::pair<uint64_t, uint32_t>>().swap(loading_);  // `= {}` keeps the capacity
  blocks_.shrink_to_fit();
  module_runs_.shrink_to_fit();
  if (addrs_.empty())
    status_ = lines ? "kallsyms addresses read as 0 (kernel.kptr_restrict, or no CAP_SYSLOG): "
                      "kernel frames are unresolved"
                    : "kallsyms is empty: kernel frames are unresolved";
}

std::string KernelSymbols::name_at(uint32_t ordinal) const {
  const Block& b = blocks_[ordinal / kBlockNames];
  std::string text;
  if (b.size == 0) {
    text = b.compressed;
  } else {
    text.resize(b.size);
    uLongf size = b.size;
    if (uncompress(reinterpret_cast<Bytef*>(text.data()), &size,
                   reinterpret_cast<const Bytef*>(b.compressed.data()),
                   b.compressed.size()) != Z_OK)
      return "";
    text.resize(size);
  }
  std::string_view names = text;
  for (uint32_t i = ordinal % kBlockNames; i > 0; --i) {
    const size_t nl = names.find('\n');
    if (nl == std::string_view::npos) return "";
    names.remove_prefix(nl + 1);
  }
  return std::string(names.substr(0, names.find('\n')));
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
  const auto it = std::upper_bound(addrs_.begin(), addrs_.end(), addr);
  if (it == addrs_.begin()) return {};
  const uint32_t ordinal = ordinals_[static_cast<size_t>(it - addrs_.begin()) - 1];
  const auto run = std::upper_bound(
      module_runs_.begin(), module_runs_.end(), ordinal,
      [](uint32_t o, const std::pair<uint32_t, uint16_t>& r) { return o < r.first; });
  const uint16_t module = run == module_runs_.begin() ? 0 : std::prev(run)->second;
  return {name_at(ordinal), modules_[module]};
}

}  // namespace podtrace::tracer
