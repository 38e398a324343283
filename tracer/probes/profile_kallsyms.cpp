// SPDX-License-Identifier: Apache-2.0
// profile_kallsyms.cpp: /proc/kallsyms parsing and address lookup.
#include "probes/profile_kallsyms.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace podtrace::tracer {

KernelSymbols KernelSymbols::parse(std::string_view text) {
  KernelSymbols k;
  size_t lines = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    // "ffffffff81234560 T vfs_read" or "ffffffffc0a01000 t nft_do_chain\t[nf_tables]"
    const size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 + 3 > line.size() || line[sp1 + 2] != ' ') continue;
    ++lines;
    const char type = line[sp1 + 1];
    if (type != 't' && type != 'T' && type != 'w' && type != 'W') continue;
    uint64_t addr = 0;
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + sp1, addr, 16);
    if (ec != std::errc() || addr == 0) continue;
    std::string_view rest = line.substr(sp1 + 3);
    Function f;
    const size_t tab = rest.find('\t');
    f.name = std::string(rest.substr(0, tab));
    if (tab != std::string_view::npos) {
      std::string_view module = rest.substr(tab + 1);
      if (module.size() >= 2 && module.front() == '[' && module.back() == ']')
        module = module.substr(1, module.size() - 2);
      f.module = std::string(module);
    }
    k.symbols_.push_back({addr, std::move(f)});
  }
  std::stable_sort(k.symbols_.begin(), k.symbols_.end(),
                   [](const Symbol& a, const Symbol& b) { return a.addr < b.addr; });
  if (k.symbols_.empty())
    k.status_ = lines ? "kallsyms addresses read as 0 (kernel.kptr_restrict, or no CAP_SYSLOG): "
                        "kernel frames are unresolved"
                      : "kallsyms is empty: kernel frames are unresolved";
  return k;
}

KernelSymbols KernelSymbols::load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    KernelSymbols k;
    k.status_ = "cannot read " + path.string() + ": " + std::strerror(errno) +
                ": kernel frames are unresolved";
    return k;
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str());
}

KernelSymbols::Function KernelSymbols::function_at(uint64_t addr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (it == symbols_.begin()) return {};
  return std::prev(it)->function;
}

}  // namespace podtrace::tracer
