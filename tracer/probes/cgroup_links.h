// SPDX-License-Identifier: Apache-2.0
// cgroup_links.h: one cgroup-attached program (sockops, cgroup_skb) linked to the target's
// cgroups, re-linked when they change. Links are RAII: destroying this detaches everything.
#pragma once

#include <filesystem>
#include <map>
#include <vector>

#include "libbpf_util.h"
#include "result.h"

namespace podtrace::tracer {

class CgroupLinks {
 public:
  // Links `prog` to the covering set of `paths` (see covering_cgroups()), keeps the links that
  // are still wanted and drops the others. BPF links never displace programs that others
  // attached to the same cgroup (they behave as BPF_F_ALLOW_MULTI). Fails only when no wanted
  // cgroup could be linked.
  Status update(bpf_program* prog, const std::vector<std::filesystem::path>& paths);
  size_t size() const { return links_.size(); }
  std::vector<std::filesystem::path> attached() const;

 private:
  std::map<std::filesystem::path, LinkPtr> links_;
};

}  // namespace podtrace::tracer
