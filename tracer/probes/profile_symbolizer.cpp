// SPDX-License-Identifier: Apache-2.0
// profile_symbolizer.cpp: per-process mappings and the shared cache of opened binaries.
#include "probes/profile_symbolizer.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace podtrace::tracer {

namespace {

std::string file_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool UserSymbolizer::snapshot(uint32_t pid) {
  std::ifstream in(proc_root_ / std::to_string(pid) / "maps");
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  Process p;
  p.mappings = parse_executable_mappings(text.str());
  if (p.mappings.empty()) return false;  // a zombie has no mappings left
  p.round = round_;
  for (const auto& m : p.mappings) p.binaries.push_back(binary_for(pid, m));
  processes_[pid] = std::move(p);
  return true;
}

std::shared_ptr<ElfSymbols> UserSymbolizer::binary_for(uint32_t pid, const ProcMapping& m) {
  if (!m.file_backed()) return nullptr;
  const std::pair<uint64_t, uint64_t> inode{m.dev, m.inode};
  if (auto it = by_inode_.find(inode); it != by_inode_.end()) return it->second;
  const auto proc = proc_root_ / std::to_string(pid);
  // The path as the process sees it, under its own root: a container's /usr/lib is not the
  // host's. A deleted or replaced file is only reachable through map_files.
  std::vector<std::filesystem::path> candidates;
  if (!m.deleted)
    candidates.push_back(proc / "root" / std::filesystem::path(m.path).relative_path());
  candidates.push_back(proc / "map_files" / fmt::format("{:x}-{:x}", m.start, m.end));
  std::string why;
  for (const auto& path : candidates) {
    auto opened = ElfSymbols::open(path, proc / "root", file_name(m.path));
    if (!opened) {
      why += (why.empty() ? "" : "; ") + opened.error();
      continue;
    }
    ++binaries_read_;
    std::shared_ptr<ElfSymbols> elf = std::move(*opened);
    // The same build in another container image (another inode) is the same symbols.
    if (!elf->build_id().empty()) {
      auto [it, added] = by_build_id_.emplace(elf->build_id(), elf);
      if (!added) elf = it->second;
    }
    by_inode_[inode] = elf;
    open_errors_.erase(m.path);
    return elf;
  }
  open_errors_[m.path] = why;
  return nullptr;
}

ProfileFrame UserSymbolizer::resolve(uint32_t pid, uint64_t addr) {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return {"[unknown]", "", false};
  const ProcMapping* m = find_mapping(it->second.mappings, addr);
  if (!m && it->second.round != round_) {
    // A library dlopen()ed since the snapshot: read the mappings again, once per round.
    if (snapshot(pid)) it = processes_.find(pid);
    it->second.round = round_;
    m = find_mapping(it->second.mappings, addr);
  }
  if (!m) return {"[unknown]", "", false};
  const auto& binary = it->second.binaries[static_cast<size_t>(m - it->second.mappings.data())];
  const std::string module = m->file_backed() ? file_name(m->path) : m->path;
  if (binary) {
    if (auto elf_addr = elf_address(*m, binary->segments(), addr)) {
      std::string name = binary->function_at(*elf_addr);
      if (!name.empty()) return {std::move(name), module, false};
    }
  }
  return {module.empty()          ? "[unknown]"
          : module.front() == '[' ? module
                                  : "[" + module + "]",
          module, false};
}

}  // namespace podtrace::tracer
