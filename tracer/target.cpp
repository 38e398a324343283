// SPDX-License-Identifier: Apache-2.0
// target.cpp: validates and resolves --pid / --cgroup / --container-id to cgroup ids.
#include "target.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
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

std::string read_cmdline(const fs::path& proc, int pid) {
  std::ifstream in(proc / std::to_string(pid) / "cmdline", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool has_processes(const fs::path& dir) {
  for (const auto& d : cgroup_subtree(dir))
    if (!CgroupFs::pids_in(d).empty()) return true;
  return false;
}

// The pod sandbox's pause process is the one sibling that is never a replacement.
bool is_sandbox(const fs::path& dir, const fs::path& proc) {
  for (int pid : CgroupFs::pids_in(dir)) {
    std::string argv0 = read_cmdline(proc, pid);
    if (const auto nul = argv0.find('\0'); nul != std::string::npos) argv0.resize(nul);
    if (fs::path(argv0).filename() == "pause") return true;
  }
  return false;
}

ContainerWatch watch_container(const fs::path& dir) {
  ContainerWatch w;
  w.pod_dir = dir.parent_path();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(w.pod_dir, ec))
    if (entry.is_directory(ec) && entry.path() != dir) w.not_it.push_back(entry.path());
  return w;
}

std::string short_id(const fs::path& dir) {
  std::string name = dir.filename().string();
  // cri-containerd-<id>.scope (systemd driver) or <id> (cgroupfs driver): show the id's start.
  for (std::string prefix : {"cri-containerd-", "crio-", "docker-"})
    if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  return name.substr(0, 12);
}

// A followed container that ended is replaced by the next container cgroup that appears in its
// pod: the kubelet starts the replacement there, with a new id. It is taken as soon as its
// directory exists, before the runtime starts its process, so nothing it does is missed. The
// caller asks for this only when it traces every container of the pod, so any new container of
// the pod is one of its own.
void follow_restarts(Target& t, double now_s) {
  for (size_t i = 0; i < t.watches.size(); i++) {
    ContainerWatch& w = t.watches[i];
    fs::path& root = t.roots[i];
    std::error_code ec;
    if (!w.ended) {
      if (fs::is_directory(root, ec)) {
        if (has_processes(root)) {
          w.started = true;
          continue;
        }
        if (!w.started) continue;  // not started yet: a replacement the runtime is creating
      }
      w.ended = true;
    }
    if (!fs::is_directory(w.pod_dir, ec)) continue;
    for (const auto& entry : fs::directory_iterator(w.pod_dir, ec)) {
      const fs::path& dir = entry.path();
      if (!entry.is_directory(ec) || dir == root ||
          std::find(w.not_it.begin(), w.not_it.end(), dir) != w.not_it.end() ||
          std::find(t.roots.begin(), t.roots.end(), dir) != t.roots.end())
        continue;
      // A recreated sandbox is the pod's, not a container: never taken, never looked at again.
      w.not_it.push_back(dir);
      if (is_sandbox(dir, t.proc_root)) continue;
      t.restarts.push_back({short_id(root), short_id(dir), now_s});
      w.not_it.push_back(root);
      root = dir;
      w.ended = false;
      w.started = false;
      break;
    }
  }
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
  t.proc_root = cgroups.roots().proc;
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
      for (auto& d : dirs) {
        t.roots.push_back(d);
        if (spec.follow_restarts) t.watches.push_back(watch_container(d));
      }
    }
  }
  if (!refresh_target(t)) return make_error("target " + t.spec + " has no cgroup");
  return t;
}

Finding target_exit_finding(const Target& t) {
  if (t.kind == "container-id" && t.watches.empty()) {
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

std::vector<Finding> restart_findings(const Target& t) {
  std::vector<Finding> findings;
  for (const auto& r : t.restarts)
    findings.push_back(
        // Critical: the container died (crashed, was killed or OOM-killed) while being traced,
        // which outranks anything it was slow at.
        {"critical", "target", "the traced container restarted during the trace",
         fmt::format("container {} ended and its pod started {} at {:.1f} s; the trace followed "
                     "the new container (the process section has the old one's exit)",
                     r.old_id, r.new_id, r.at_s)});
  std::error_code ec;
  for (size_t i = 0; i < t.watches.size(); i++)
    // With its pod gone too, the target simply exited (target_exit_finding says so).
    if (t.watches[i].ended && fs::is_directory(t.watches[i].pod_dir, ec))
      findings.push_back(
          {"warning", "target", "the traced container ended and was not replaced",
           fmt::format("container {} ended during the trace and its pod started no new container "
                       "by the end; the report covers it until it ended",
                       short_id(t.roots[i]))});
  return findings;
}

bool awaiting_restart(const Target& t) {
  std::error_code ec;
  for (const auto& w : t.watches)
    if ((w.ended || !w.started) && fs::is_directory(w.pod_dir, ec)) return true;
  return false;
}

bool refresh_target(Target& t, double now_s) {
  if (t.kind == "pid") {
    std::error_code ec;
    return fs::exists(t.roots.front(), ec);
  }
  follow_restarts(t, now_s);
  std::vector<TargetCgroup> now;
  for (const auto& root : t.roots)
    for (auto& d : cgroup_subtree(root))
      if (auto id = cgroup_id_of(d)) now.push_back({d, *id});
  if (now.empty()) return awaiting_restart(t);
  t.cgroups = std::move(now);
  return true;
}

}  // namespace podtrace::tracer
