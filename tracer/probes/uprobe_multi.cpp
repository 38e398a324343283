// SPDX-License-Identifier: Apache-2.0
// uprobe_multi.cpp: BPF_LINK_CREATE for a uprobe_multi link, by hand.
#include "probes/uprobe_multi.h"

#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace podtrace::tracer {

namespace {

// The link_create member of union bpf_attr, up to its uprobe_multi fields (include/uapi/linux/
// bpf.h, 6.6+). The kernel reads `size` bytes and takes the rest as zero.
struct LinkCreateUprobeMulti {
  uint32_t prog_fd;
  uint32_t target_fd;
  uint32_t attach_type;
  uint32_t flags;
  uint64_t path;
  uint64_t offsets;
  uint64_t ref_ctr_offsets;
  uint64_t cookies;
  uint32_t cnt;
  uint32_t multi_flags;  // BPF_F_UPROBE_MULTI_RETURN
  uint32_t pid;
  uint32_t pad;
};
static_assert(sizeof(LinkCreateUprobeMulti) == 64);

constexpr uint32_t kUprobeMultiReturn = 1;  // BPF_F_UPROBE_MULTI_RETURN

}  // namespace

int attach_uprobe_multi(int prog_fd, const std::filesystem::path& binary,
                        const std::vector<uint64_t>& offsets, bool retprobe, int pid) {
  LinkCreateUprobeMulti attr{};
  attr.prog_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = kBpfTraceUprobeMulti;
  attr.path = reinterpret_cast<uint64_t>(binary.c_str());
  attr.offsets = reinterpret_cast<uint64_t>(offsets.data());
  attr.cnt = static_cast<uint32_t>(offsets.size());
  attr.multi_flags = retprobe ? kUprobeMultiReturn : 0;
  attr.pid = static_cast<uint32_t>(pid);
  const long fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
  return fd < 0 ? -errno : static_cast<int>(fd);
}

}  // namespace podtrace::tracer
