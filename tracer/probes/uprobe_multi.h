// SPDX-License-Identifier: Apache-2.0
// uprobe_multi.h: one uprobe_multi link (Linux 6.6) for many functions of one file in one
// process. Its release waits for one grace period instead of one per function, and it needs no
// perf event per function. libbpf before 1.3 cannot create it, so the link is made with the
// bpf() syscall; the program must be loaded with expected attach type kBpfTraceUprobeMulti.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "result.h"

namespace podtrace::tracer {

// enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI (uapi since 6.6; Debian 12's headers lack it).
inline constexpr int kBpfTraceUprobeMulti = 48;

// The link fd, or -errno: -EINVAL, -EOPNOTSUPP or -ENOSYS on kernels without uprobe_multi.
int attach_uprobe_multi(int prog_fd, const std::filesystem::path& binary,
                        const std::vector<uint64_t>& offsets, bool retprobe, int pid);

}  // namespace podtrace::tracer
