// SPDX-License-Identifier: Apache-2.0
// vmlinux_btf_share.h: the kernel's BTF read and parsed once for all the BPF objects loaded at
// start-up.
//
// libbpf 1.1 reads and parses /sys/kernel/btf/vmlinux for every object it loads (CO-RE
// relocations, BTF attach targets), and the kernel serves that file 4 KiB per read(): 13 objects
// cost ~17 700 reads, 13 copies of ~5.6 MB and 13 parses, a third of a start's CPU
// (docs/performance.md, start-up). libbpf has no option to share one, but it calls
// btf__load_vmlinux_btf() and btf__free() through its PLT: this file defines both in the tracer
// (exported from the executable by the build), so every object's load asks here. While a
// VmlinuxBtfShare lives, each call gets the same btf, parsed once, and freeing it is left to the
// share; without one, or if the read failed, libbpf's own functions answer. libbpf only reads the
// kernel's btf while it loads (type and name lookups, the base of module BTFs), so the families'
// threads can share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

struct btf;

namespace podtrace::tracer {

class VmlinuxBtfShare {
 public:
  // `core_btf`: a file for the loads' CO-RE relocations instead of the kernel's whole BTF
  // (tracer/core_btf_cache.h); empty for none.
  explicit VmlinuxBtfShare(std::string core_btf = {});
  ~VmlinuxBtfShare();  // frees the btf: ~10 MB the rest of the trace does not need
  VmlinuxBtfShare(const VmlinuxBtfShare&) = delete;
  VmlinuxBtfShare& operator=(const VmlinuxBtfShare&) = delete;
};

// The CO-RE BTF file of the live share (libbpf's btf_custom_path), nullptr when none.
const char* shared_core_btf_path();
// A load that failed relocated against that file and then loaded against the kernel's BTF.
void count_core_btf_fallback();

// The kernel's BTF parsed from a mapping of /sys/kernel/btf/vmlinux (Linux 6.16+), or null where
// the file cannot be mapped. libbpf 1.1 read()s the file, which sysfs serves a page per call, and
// copies the result once more before it parses: on a 6.18 guest 42 ms against 11 ms mapped, and
// every family's load waits for this one parse. btf__free() frees it.
btf* parse_mapped_vmlinux_btf();

// Since the process started: how many times libbpf asked for the kernel's BTF, how many times
// the file was read and parsed to answer (and of those, how many from a mapping), how many times
// the shared btf was handed back to btf__free() (tests: the asks must come here, and the frees must
// not free it), how many times a share ended by freeing its parse, and how many times libbpf asked
// to list the modules' BTF and was told there are none (the tracer defines bpf_btf_get_next_id()
// too: its programs need only the kernel's own BTF), and how many loads fell back from the CO-RE
// BTF file to the kernel's BTF.
struct VmlinuxBtfCounts {
  size_t asked = 0;
  size_t read = 0;
  size_t mapped = 0;
  size_t kept_from_free = 0;
  size_t freed_by_share = 0;
  size_t module_lists_refused = 0;
  size_t core_btf_fallbacks = 0;
};
VmlinuxBtfCounts vmlinux_btf_counts();

// The id of a struct in the kernel's BTF (from the shared parse while a share lives), 0 when the
// kernel has no such struct or no BTF. Looked up once per name: a linear search by name.
uint32_t kernel_struct_btf_id(const char* name);

}  // namespace podtrace::tracer
