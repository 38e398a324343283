// SPDX-License-Identifier: Apache-2.0
// elf_functions.cpp: function names to file offsets through libelf's .dynsym/.symtab and the
// PT_LOAD program headers.
#include "elf_functions.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace podtrace::tracer {

namespace {

// .gnu.version: the hidden bit marks a non-default version (name@VERSION, not name@@VERSION).
constexpr uint16_t kVersymHidden = 0x8000;

struct Candidate {
  uint64_t vaddr = 0;
  bool default_version = false;
};

struct ElfFile {
  int fd = -1;
  Elf* elf = nullptr;
  ~ElfFile() {
    if (elf) elf_end(elf);
    if (fd >= 0) close(fd);
  }
};

// The section of `type`, or nullptr.
Elf_Scn* find_section(Elf* elf, Elf64_Word type, GElf_Shdr& shdr) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr)
    if (gelf_getshdr(scn, &shdr) && shdr.sh_type == type) return scn;
  return nullptr;
}

// Candidates for `names` in one symbol table section; `versym` may be null.
void collect(Elf* elf, Elf_Scn* symtab, const GElf_Shdr& shdr, Elf_Data* versym,
             const std::vector<std::string>& names, std::map<std::string, Candidate>& out) {
  Elf_Data* data = elf_getdata(symtab, nullptr);
  if (!data || shdr.sh_entsize == 0) return;
  const size_t count = shdr.sh_size / shdr.sh_entsize;
  for (size_t i = 0; i < count; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
    if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
      continue;
    const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
    if (!name) continue;
    // .symtab of some builds spells the version into the name.
    std::string_view base(name);
    if (const size_t at = base.find('@'); at != std::string_view::npos) base = base.substr(0, at);
    if (std::find(names.begin(), names.end(), base) == names.end()) continue;
    bool default_version = true;
    if (versym) {
      GElf_Versym v;
      if (gelf_getversym(versym, static_cast<int>(i), &v)) default_version = !(v & kVersymHidden);
    }
    const std::string key(base);
    auto it = out.find(key);
    if (it == out.end() || (default_version && !it->second.default_version))
      out[key] = {sym.st_value, default_version};
  }
}

}  // namespace

Result<std::map<std::string, uint64_t>> function_file_offsets(
    const std::filesystem::path& path, const std::vector<std::string>& names) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return make_error("libelf: " + std::string(elf_errmsg(-1)));
  ElfFile f;
  f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return make_error(path.string() + ": " + std::strerror(errno));
  f.elf = elf_begin(f.fd, ELF_C_READ, nullptr);
  if (!f.elf || elf_kind(f.elf) != ELF_K_ELF)
    return make_error(path.string() + ": not an ELF file");

  std::map<std::string, Candidate> found;
  GElf_Shdr shdr;
  GElf_Shdr vshdr;
  Elf_Scn* versym_scn = find_section(f.elf, SHT_GNU_versym, vshdr);
  Elf_Data* versym = versym_scn ? elf_getdata(versym_scn, nullptr) : nullptr;
  if (Elf_Scn* dynsym = find_section(f.elf, SHT_DYNSYM, shdr))
    collect(f.elf, dynsym, shdr, versym, names, found);
  if (found.size() < names.size()) {
    if (Elf_Scn* symtab = find_section(f.elf, SHT_SYMTAB, shdr)) {
      std::map<std::string, Candidate> more;
      collect(f.elf, symtab, shdr, nullptr, names, more);
      for (auto& [name, c] : more) found.emplace(name, c);
    }
  }

  // A virtual address to its file offset, through the PT_LOAD segment that holds it.
  size_t phnum = 0;
  if (elf_getphdrnum(f.elf, &phnum) != 0) return make_error(path.string() + ": no program headers");
  std::map<std::string, uint64_t> out;
  for (const auto& [name, c] : found) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (!gelf_getphdr(f.elf, static_cast<int>(i), &ph) || ph.p_type != PT_LOAD) continue;
      if (c.vaddr >= ph.p_vaddr && c.vaddr < ph.p_vaddr + ph.p_filesz) {
        out[name] = c.vaddr - ph.p_vaddr + ph.p_offset;
        break;
      }
    }
  }
  return out;
}

}  // namespace podtrace::tracer
