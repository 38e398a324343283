// SPDX-License-Identifier: Apache-2.0
// helper_support.h: whether this kernel lets a program type call a BPF helper. Programs whose
// helpers arrived in later kernels read it from rodata and leave the call out (dead code).
#pragma once

#include <bpf/bpf.h>

namespace podtrace::tracer {

// Loads a three-instruction program of `type` calling `helper` and reads the verifier's
// log; cached.
bool helper_available(bpf_prog_type type, bpf_func_id helper);

// Whether programs of a socket type (sockops, cgroup_skb) may ask for `current` (Linux 6.10
// for the pid, 6.13 for the comm). Where they may not, the family also loads and links
// bpf/sock_owner.bpf.h's cgroup/sock_create program and takes the owner from the socket.
struct CurrentHelpers {
  bool pid = false;
  bool comm = false;
  bool need_sock_owner() const { return !pid || !comm; }
};
CurrentHelpers current_helpers(bpf_prog_type type);

}  // namespace podtrace::tracer
