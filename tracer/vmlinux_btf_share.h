// SPDX-License-Identifier: Apache-2.0
// vmlinux_btf_share.h: the kernel's BTF read once for all the BPF objects loaded at start-up.
//
// libbpf 1.1 reads /sys/kernel/btf/vmlinux for every object it loads (CO-RE relocations, BTF
// attach targets), and the kernel serves that file 4 KiB per read(): 13 objects cost ~17 700
// reads and 13 copies of ~5.6 MB, a fifth of a start's CPU (docs/performance.md, start-up).
// libbpf has no option to share one read, but it calls btf__load_vmlinux_btf() through its PLT:
// this file defines that function in the tracer (exported from the executable by the build), so
// every object's load asks here. While a VmlinuxBtfShare lives, each call gets btf__new() of
// bytes read once; without one, or if the read failed, libbpf's own function answers.
#pragma once

#include <cstddef>

namespace podtrace::tracer {

class VmlinuxBtfShare {
 public:
  VmlinuxBtfShare();
  ~VmlinuxBtfShare();  // frees the bytes: ~5.6 MB the rest of the trace does not need
  VmlinuxBtfShare(const VmlinuxBtfShare&) = delete;
  VmlinuxBtfShare& operator=(const VmlinuxBtfShare&) = delete;
};

// Since the process started: how many times libbpf asked for the kernel's BTF, and how many
// times the file was read to answer (tests: the asks must come here).
struct VmlinuxBtfCounts {
  size_t asked = 0;
  size_t read = 0;
};
VmlinuxBtfCounts vmlinux_btf_counts();

}  // namespace podtrace::tracer
