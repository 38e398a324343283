// SPDX-License-Identifier: Apache-2.0
// syscall_hooks.h: where the families that trace individual syscalls (fileio, the locks family's
// futex hooks) hook them, and the attach-type ladder that choice gives.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "kernel_features.h"

namespace podtrace::tracer {

enum class SyscallHooks {
  // One program pair on the kernel's sys_enter/sys_exit (tp_btf, else raw tracepoints): two
  // links, which detach without a grace period each, so the tracer stops in under 100 ms. Every
  // syscall on the node runs the programs' first lines (+13 ns for a syscall we do not trace,
  // 65 ns less for a file syscall than the per-syscall tracepoints; docs/performance.md).
  kShared,
  // fentry/fexit on each traced syscall where the kernel allows it, else its own tracepoints:
  // other syscalls pay nothing or the kernel's bitmap check, but each of the 32-38 hooks waits
  // out grace periods to detach, one after another (2-2.5 s to stop).
  kPerSyscall,
};

inline std::vector<AttachType> syscall_hook_ladder(SyscallHooks hooks) {
  if (hooks == SyscallHooks::kPerSyscall)
    return {AttachType::kFentry, AttachType::kTracepoint, AttachType::kTpBtf, AttachType::kRawTp};
  return {AttachType::kTpBtf, AttachType::kRawTp, AttachType::kFentry, AttachType::kTracepoint};
}

inline std::string_view syscall_hooks_name(SyscallHooks hooks) {
  return hooks == SyscallHooks::kPerSyscall ? "per-syscall" : "shared";
}

inline std::optional<SyscallHooks> syscall_hooks_from_name(std::string_view name) {
  if (name == "shared") return SyscallHooks::kShared;
  if (name == "per-syscall") return SyscallHooks::kPerSyscall;
  return std::nullopt;
}

}  // namespace podtrace::tracer
