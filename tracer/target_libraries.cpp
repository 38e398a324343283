// SPDX-License-Identifier: Apache-2.0
// target_libraries.cpp: the target's processes, their libraries and the host paths to them.
#include "target_libraries.h"

#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "cgroup.h"

namespace podtrace::tracer {

namespace {

std::string_view base_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool is_libc_name(std::string_view base) {
  const bool glibc = base == "libc.so.6" || (base.starts_with("libc-") && base.ends_with(".so"));
  const bool musl = base.starts_with("ld-musl-") || base.starts_with("libc.musl-");
  return glibc || musl;
}

bool is_libpthread_name(std::string_view base) {
  return base == "libpthread.so.0" || (base.starts_with("libpthread-") && base.ends_with(".so"));
}

std::vector<std::string> library_paths(const std::vector<ProcMapping>& maps,
                                       bool (*want)(std::string_view base)) {
  std::vector<std::string> out;
  for (const auto& m : maps)
    if (m.file_backed() && !m.deleted && want(base_name(m.path)) &&
        std::find(out.begin(), out.end(), m.path) == out.end())
      out.push_back(m.path);
  return out;
}

std::vector<std::string> libc_paths_in_maps(const std::string& maps) {
  return library_paths(parse_executable_mappings(maps), is_libc_name);
}

std::vector<TargetProcess> read_target_processes(
    const std::filesystem::path& proc_root, const std::vector<std::filesystem::path>& cgroups) {
  std::vector<TargetProcess> out;
  for (const auto& cg : cgroups) {
    for (int pid : CgroupFs::pids_in(cg)) {
      std::ifstream in(proc_root / std::to_string(pid) / "maps");
      if (!in) continue;
      std::stringstream text;
      text << in.rdbuf();
      out.push_back({pid, parse_executable_mappings(text.str())});
    }
  }
  return out;
}

std::filesystem::path host_path(const std::filesystem::path& proc_root, int pid,
                                const std::string& path) {
  return proc_root / std::to_string(pid) / "root" / std::filesystem::path(path).relative_path();
}

bool file_id(const std::filesystem::path& path, FileId& id) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return false;
  id = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  return true;
}

Result<std::map<std::string, uint64_t>> function_offsets(const std::filesystem::path& path,
                                                         const std::vector<std::string>& names) {
  if (elf_version(EV_CURRENT) == EV_NONE) return make_error("libelf is too old");
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(path.string() + ": " + std::strerror(errno));
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  if (!elf) {
    close(fd);
    return make_error(path.string() + ": " + elf_errmsg(-1));
  }
  const std::set<std::string, std::less<>> wanted(names.begin(), names.end());
  std::map<std::string, std::set<uint64_t>> addresses;  // ELF virtual addresses per name
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || (shdr.sh_type != SHT_DYNSYM && shdr.sh_type != SHT_SYMTAB) ||
        shdr.sh_entsize == 0)
      continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) continue;
    for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym) || sym.st_shndx == SHN_UNDEF) continue;
      const int type = GELF_ST_TYPE(sym.st_info);
      if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
      const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
      if (name && wanted.count(std::string_view(name))) addresses[name].insert(sym.st_value);
    }
  }
  // Virtual address to file offset through the PT_LOAD segment that holds it.
  std::vector<GElf_Phdr> loads;
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0)
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr phdr;
      if (gelf_getphdr(elf, static_cast<int>(i), &phdr) && phdr.p_type == PT_LOAD)
        loads.push_back(phdr);
    }
  elf_end(elf);
  close(fd);
  std::map<std::string, uint64_t> out;
  for (const auto& [name, vaddrs] : addresses) {
    if (vaddrs.size() != 1) continue;
    const uint64_t vaddr = *vaddrs.begin();
    for (const auto& l : loads)
      if (vaddr >= l.p_vaddr && vaddr < l.p_vaddr + l.p_filesz) {
        out[name] = vaddr - l.p_vaddr + l.p_offset;
        break;
      }
  }
  return out;
}

}  // namespace podtrace::tracer
