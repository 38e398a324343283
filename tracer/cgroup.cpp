// SPDX-License-Identifier: Apache-2.0
// cgroup.cpp: cgroup tree layout detection, /proc/PID/cgroup parsing and container lookup.
#include "cgroup.h"

#include <sys/stat.h>

#include <array>
#include <fstream>
#include <sstream>
#include <system_error>

namespace podtrace::tracer {

namespace fs = std::filesystem;

namespace {

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// Lines of /proc/PID/cgroup: "hierarchy-id:controller-list:path".
struct ProcCgroupLine {
  std::string controllers;
  std::string path;
};

Result<std::vector<ProcCgroupLine>> read_proc_cgroup(const fs::path& proc, int pid) {
  const fs::path file = proc / std::to_string(pid) / "cgroup";
  std::ifstream in(file);
  if (!in) return make_error("cannot read " + file.string() + ": no such process");
  std::vector<ProcCgroupLine> lines;
  std::string line;
  while (std::getline(in, line)) {
    const auto a = line.find(':');
    const auto b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    lines.push_back({line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return lines;
}

bool has_controller(const std::string& list, const std::string& controller) {
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ','))
    if (item == controller || item == "name=" + controller) return true;
  return false;
}

fs::path join_under(const fs::path& root, const std::string& cgroup_path) {
  fs::path rel = fs::path(cgroup_path).relative_path();
  return rel.empty() ? root : root / rel;
}

}  // namespace

CgroupFs::CgroupFs(HostRoots roots) : roots_(std::move(roots)) {
  if (path_exists(roots_.cgroup / "cgroup.controllers"))
    layout_ = CgroupLayout::kUnified;
  else if (path_exists(roots_.cgroup / "unified" / "cgroup.procs"))
    layout_ = CgroupLayout::kHybrid;
  else
    layout_ = CgroupLayout::kLegacy;
}

fs::path CgroupFs::v2_root() const {
  return layout_ == CgroupLayout::kUnified ? roots_.cgroup : roots_.cgroup / "unified";
}

std::optional<fs::path> CgroupFs::v1_root(const std::string& controller) const {
  if (layout_ == CgroupLayout::kUnified) return std::nullopt;
  // Debian and most distros mount "cpu,cpuacct" with "cpu" as a symlink to it.
  for (const std::string& name : {controller, controller + ",cpuacct", "cpuacct," + controller}) {
    const fs::path p = roots_.cgroup / name;
    if (path_exists(p)) return p;
  }
  return std::nullopt;
}

Result<fs::path> CgroupFs::v2_cgroup_of(int pid) const {
  auto lines = read_proc_cgroup(roots_.proc, pid);
  if (!lines) return make_error(lines.error());
  for (const auto& l : *lines) {
    // The v2 line has hierarchy id 0 and an empty controller list.
    if (l.controllers.empty()) return join_under(v2_root(), l.path);
  }
  return make_error("process " + std::to_string(pid) + " has no cgroup v2 membership");
}

Result<fs::path> CgroupFs::v1_cgroup_of(int pid, const std::string& controller) const {
  auto lines = read_proc_cgroup(roots_.proc, pid);
  if (!lines) return make_error(lines.error());
  const auto root = v1_root(controller);
  if (!root) return make_error("no v1 " + controller + " hierarchy");
  for (const auto& l : *lines)
    if (has_controller(l.controllers, controller)) return join_under(*root, l.path);
  return make_error("process " + std::to_string(pid) + " is in no v1 " + controller + " cgroup");
}

bool is_container_cgroup_name(const std::string& name, const std::string& id) {
  if (name == id) return true;  // cgroupfs driver: .../pod<uid>/<id>, /docker/<id>
  static constexpr std::array<std::string_view, 5> prefixes = {"cri-containerd-", "crio-",
                                                               "docker-", "containerd-", "libpod-"};
  for (auto prefix : prefixes) {
    std::string base = std::string(prefix) + id;
    if (name == base || name == base + ".scope") return true;
  }
  return false;
}

std::vector<fs::path> CgroupFs::find_container(const std::string& id) const {
  std::vector<fs::path> found;
  std::error_code ec;
  fs::recursive_directory_iterator it(v2_root(), fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() > 10) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    if (is_container_cgroup_name(it->path().filename().string(), id)) {
      found.push_back(it->path());
      it.disable_recursion_pending();
    }
  }
  return found;
}

std::vector<fs::path> cgroup_subtree(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {};
  std::vector<fs::path> out{dir};
  // One directory at a time, breadth first: a child that vanishes mid-walk (a container
  // restarting) is left out, not the end of the walk. A short list would retarget the families
  // away from cgroups that are still there (TcpProbe::set_targets() deletes their sockets).
  for (size_t i = 0; i < out.size(); ++i) {
    fs::directory_iterator it(out[i], fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::error_code type;
      if (it->is_directory(type) && !it->is_symlink(type)) out.push_back(it->path());
    }
    ec.clear();
  }
  return out;
}

std::optional<fs::path> CgroupFs::v1_dir_for(const fs::path& v2_dir,
                                             const std::string& controller) const {
  const auto root = v1_root(controller);
  if (!root) return std::nullopt;
  // runc on hybrid hosts uses the same relative path in every hierarchy.
  const fs::path rel = fs::relative(v2_dir, v2_root());
  const fs::path same = rel == "." ? *root : *root / rel;
  if (path_exists(same)) return same;
  // Otherwise ask a member process where it lives.
  for (int pid : pids_in(v2_dir)) {
    auto p = v1_cgroup_of(pid, controller);
    if (p && path_exists(*p)) return *p;
  }
  return std::nullopt;
}

std::optional<fs::path> CgroupFs::cpu_controller_dir(const fs::path& v2_dir) const {
  if (layout_ == CgroupLayout::kUnified) return v2_dir;
  return v1_dir_for(v2_dir, "cpu");
}

std::optional<fs::path> CgroupFs::memory_controller_dir(const fs::path& v2_dir) const {
  if (layout_ == CgroupLayout::kUnified) return v2_dir;
  return v1_dir_for(v2_dir, "memory");
}

std::vector<int> CgroupFs::pids_in(const fs::path& dir) {
  std::vector<int> pids;
  std::ifstream in(dir / "cgroup.procs");
  int pid;
  while (in >> pid) pids.push_back(pid);
  return pids;
}

Result<uint64_t> cgroup_id_of(const fs::path& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) return make_error("cannot stat cgroup " + dir.string());
  return static_cast<uint64_t>(st.st_ino);
}

}  // namespace podtrace::tracer
