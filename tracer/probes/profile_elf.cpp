// SPDX-License-Identifier: Apache-2.0
// profile_elf.cpp: ELF symbol lookups through libdwfl, segments and build id through libelf.
#include "probes/profile_elf.h"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace podtrace::tracer {

namespace {

std::string hex_of(const unsigned char* bits, int len) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < len; ++i) {
    out += digits[bits[i] >> 4];
    out += digits[bits[i] & 0xf];
  }
  return out;
}

// libdwfl asks for a separate debug file only when the main file has no .symtab. The standard
// callback would search the tracer's own /usr/lib/debug; the file belongs under the traced
// process's root, found by build id as gdb and perf do.
int find_debuginfo_under_root(Dwfl_Module* mod, void** userdata, const char*, Dwarf_Addr,
                              const char*, const char*, GElf_Word, char** debuginfo_file_name) {
  const auto* root = static_cast<const std::filesystem::path*>(*userdata);
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  const int len = dwfl_module_build_id(mod, &bits, &vaddr);
  if (!root || len < 2) return -1;
  const std::string hex = hex_of(bits, len);
  const auto path =
      *root / "usr/lib/debug/.build-id" / hex.substr(0, 2) / (hex.substr(2) + ".debug");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  *debuginfo_file_name = strdup(path.c_str());
  return fd;
}

const Dwfl_Callbacks kCallbacks = {
    .find_elf = nullptr,  // every module is reported with its own fd
    .find_debuginfo = find_debuginfo_under_root,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,
};

}  // namespace

std::string demangle(const char* name) {
  if (!name) return {};
  if (name[0] != '_' || name[1] != 'Z') return name;
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || !out) return name;
  std::string result(out);
  free(out);
  return result;
}

Result<std::unique_ptr<ElfSymbols>> ElfSymbols::open(const std::filesystem::path& path,
                                                     const std::filesystem::path& debug_root,
                                                     std::string name) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("open " + path.string() + ": " + std::strerror(errno));
  std::unique_ptr<ElfSymbols> elf(new ElfSymbols());
  elf->name_ = std::move(name);
  elf->debug_root_ = debug_root;
  elf->dwfl_ = dwfl_begin(&kCallbacks);
  if (!elf->dwfl_) {
    close(fd);
    return make_error(std::string("dwfl_begin: ") + dwfl_errmsg(-1));
  }
  dwfl_report_begin(elf->dwfl_);
  // Base 0 relative to p_vaddr: the module's addresses are the file's own virtual addresses,
  // the ones its symbol table uses. The fd is consumed.
  elf->module_ = dwfl_report_elf(elf->dwfl_, elf->name_.c_str(), path.c_str(), fd, 0, true);
  dwfl_report_end(elf->dwfl_, nullptr, nullptr);
  if (!elf->module_) return make_error(path.string() + ": " + dwfl_errmsg(-1));
  void** userdata = nullptr;
  dwfl_module_info(elf->module_, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (userdata) *userdata = &elf->debug_root_;

  GElf_Addr bias = 0;
  Elf* e = dwfl_module_getelf(elf->module_, &bias);
  if (!e) return make_error(path.string() + ": " + dwfl_errmsg(-1));
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(e, &ehdr)) return make_error(path.string() + ": no ELF header");
  elf->position_independent_ = ehdr.e_type == ET_DYN;
  size_t phnum = 0;
  if (elf_getphdrnum(e, &phnum) != 0) return make_error(path.string() + ": no program headers");
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e, static_cast<int>(i), &ph) || ph.p_type != PT_LOAD) continue;
    elf->segments_.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz});
  }
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  const int len = dwfl_module_build_id(elf->module_, &bits, &vaddr);
  if (len > 0) elf->build_id_ = hex_of(bits, len);
  // Load the symbol table now, while the process (and its root, where a separate debug file
  // would be) still exists; lookups come later, possibly after it exited.
  (void)dwfl_module_getsymtab(elf->module_);
  return elf;
}

ElfSymbols::~ElfSymbols() {
  if (dwfl_) dwfl_end(dwfl_);
}

std::string ElfSymbols::function_at(uint64_t elf_addr) const {
  const char* name = dwfl_module_addrname(module_, elf_addr);
  if (!name) return {};
  // "clock_gettime@@GLIBC_2.17": the symbol version is not part of the function's name.
  const char* at = std::strchr(name, '@');
  return demangle(at ? std::string(name, at).c_str() : name);
}

}  // namespace podtrace::tracer
