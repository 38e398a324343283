// SPDX-License-Identifier: Apache-2.0
// cgroup_links.cpp: attach, keep and detach a program's links on a changing set of cgroups.
#include "probes/cgroup_links.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "net_endpoint.h"

namespace podtrace::tracer {

Status CgroupLinks::update(bpf_program* prog, const std::vector<std::filesystem::path>& paths) {
  const auto wanted = covering_cgroups(paths);
  const std::set<std::filesystem::path> want(wanted.begin(), wanted.end());
  for (auto it = links_.begin(); it != links_.end();) {
    if (want.count(it->first))
      ++it;
    else
      it = links_.erase(it);
  }
  std::string why;
  for (const auto& p : wanted) {
    if (links_.count(p)) continue;
    const int fd = open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      // A container cgroup can vanish between refresh and attach; the next refresh settles it.
      why = p.string() + ": " + libbpf_error(-errno);
      continue;
    }
    LinkPtr link(bpf_program__attach_cgroup(prog, fd));
    const int err = -errno;
    close(fd);
    if (!link) {
      why = std::string("attach ") + bpf_program__name(prog) + " to " + p.string() + ": " +
            libbpf_error(err);
      continue;
    }
    links_.emplace(p, std::move(link));
  }
  if (links_.empty() && !wanted.empty())
    return make_error(why.empty() ? "no cgroup to attach to" : why);
  return Ok{};
}

std::vector<std::filesystem::path> CgroupLinks::attached() const {
  std::vector<std::filesystem::path> out;
  for (const auto& [p, l] : links_) out.push_back(p);
  return out;
}

}  // namespace podtrace::tracer
