// SPDX-License-Identifier: Apache-2.0
// target.cpp: validates and resolves --pid / --cgroup / --container-id to cgroup ids.
#include "target.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <system_error>

namespace podtrace::tracer {

namespace fs = std::filesystem;

namespace {

// Linux's PID_MAX_LIMIT on 64-bit.
constexpr long long kPidMax = 4194304;

bool is_hex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
           return std::isxdigit(c) && !std::isupper(c);
         });
}

Status add_root(Target& t, const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return make_error("cgroup " + dir.string() + " does not exist");
  t.roots.push_back(dir);
  return Ok{};
}

}  // namespace

Status validate_pid(long long pid) {
  if (pid < 1 || pid > kPidMax)
    return make_error(fmt::format("invalid --pid {}: must be between 1 and {}", pid, kPidMax));
  return Ok{};
}

Result<std::string> parse_container_id(const std::string& raw) {
  std::string id = raw;
  for (std::string prefix : {"containerd://", "cri-o://", "docker://"}) {
    if (id.rfind(prefix, 0) == 0) {
      id = id.substr(prefix.size());
      break;
    }
  }
  if (!is_hex64(id))
    return make_error("invalid container id \"" + raw +
                      "\": expected 64 lowercase hex characters, optionally prefixed by "
                      "containerd://, cri-o:// or docker://");
  return id;
}

Result<Target> resolve_target(const TargetSpec& spec, const CgroupFs& cgroups) {
  const int kinds = (spec.pid != 0) + !spec.cgroup.empty() + !spec.container_ids.empty();
  if (kinds != 1) return make_error("give exactly one of --pid, --cgroup, --container-id");
  if (cgroups.layout() == CgroupLayout::kLegacy)
    return make_error("no cgroup v2 hierarchy at " + cgroups.roots().cgroup.string() +
                      " or its unified/ mount: in-kernel filtering needs cgroup v2 ids");

  Target t;
  if (spec.pid != 0) {
    if (auto ok = validate_pid(spec.pid); !ok) return make_error(ok.error());
    t.kind = "pid";
    t.spec = std::to_string(spec.pid);
    auto dir = cgroups.v2_cgroup_of(spec.pid);
    if (!dir) return make_error("process " + t.spec + " does not exist");
    // Only the process's own cgroup: a pid in the root cgroup would otherwise mean the whole host.
    t.roots.push_back(*dir);
    auto id = cgroup_id_of(*dir);
    if (!id) return make_error(id.error());
    t.cgroups.push_back({*dir, *id});
    return t;
  }

  if (!spec.cgroup.empty()) {
    t.kind = "cgroup";
    t.spec = spec.cgroup;
    if (spec.cgroup.find('\0') != std::string::npos || spec.cgroup.size() > 4096)
      return make_error("invalid --cgroup path");
    fs::path p(spec.cgroup);
    if (p.is_relative()) p = cgroups.v2_root() / p;
    std::error_code ec;
    const fs::path canon = fs::weakly_canonical(p, ec);
    const fs::path root = fs::weakly_canonical(cgroups.v2_root(), ec);
    const auto [r, c] = std::mismatch(root.begin(), root.end(), canon.begin(), canon.end());
    if (ec || r != root.end())
      return make_error("--cgroup " + spec.cgroup + " is not inside the cgroup v2 tree " +
                        root.string());
    if (auto ok = add_root(t, canon); !ok) return make_error(ok.error());
  } else {
    t.kind = "container-id";
    for (const auto& raw : spec.container_ids) {
      auto id = parse_container_id(raw);
      if (!id) return make_error(id.error());
      if (!t.spec.empty()) t.spec += ",";
      t.spec += raw;
      auto dirs = cgroups.find_container(*id);
      if (dirs.empty())
        return make_error("container " + raw + " not found under " + cgroups.v2_root().string());
      for (auto& d : dirs) t.roots.push_back(d);
    }
  }
  if (!refresh_target(t)) return make_error("target " + t.spec + " has no cgroup");
  return t;
}

Finding target_exit_finding(const Target& t) {
  if (t.kind == "container-id") {
    std::error_code ec;
    for (const auto& root : t.roots)
      if (fs::is_directory(root.parent_path(), ec))
        return {"warning", "target", "the traced container ended during the trace",
                "its pod was still there when it ended: if the pod restarted it, the new container "
                "has a new id, which this trace does not follow (trace the pod again); the report "
                "covers the old container until it ended"};
  }
  return {"info", "target", "the target exited during the trace",
          "the report covers what ran until then"};
}

bool refresh_target(Target& t) {
  if (t.kind == "pid") {
    std::error_code ec;
    return fs::exists(t.roots.front(), ec);
  }
  std::vector<TargetCgroup> now;
  for (const auto& root : t.roots)
    for (auto& d : cgroup_subtree(root))
      if (auto id = cgroup_id_of(d)) now.push_back({d, *id});
  if (now.empty()) return false;
  t.cgroups = std::move(now);
  return true;
}

}  // namespace podtrace::tracer
