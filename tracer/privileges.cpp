// SPDX-License-Identifier: Apache-2.0
// privileges.cpp: reads the effective capability set with capget(2).
#include "privileges.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace podtrace::tracer {

namespace {

bool has_cap(const __user_cap_data_struct data[2], int cap) {
  return data[cap / 32].effective & (1u << (cap % 32));
}

}  // namespace

Status check_privileges() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return make_error("cannot read capabilities");
  // CAP_SYS_ADMIN implies what CAP_BPF and CAP_PERFMON split out in Linux 5.8.
  const bool admin = has_cap(data, CAP_SYS_ADMIN);
  std::string missing;
  for (auto [cap, name] : {std::pair{CAP_BPF, "CAP_BPF"}, {CAP_PERFMON, "CAP_PERFMON"}}) {
    if (!admin && !has_cap(data, cap)) missing += std::string(missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty())
    return make_error(
        "needs root or " + missing +
        " (plus CAP_SYS_RESOURCE, CAP_NET_ADMIN, CAP_SYS_PTRACE; see docs/security.md)");
  return Ok{};
}

}  // namespace podtrace::tracer
