// SPDX-License-Identifier: Apache-2.0
// target_libraries.h: the libraries the target's processes map (/proc/PID/maps) and where the
// host opens them (/proc/PID/root), so uprobes land in the pod's own files. Every family with
// uprobes (dns's getaddrinfo, locks's pthread functions) finds them here.
#pragma once

#include <compare>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "probes/profile_maps.h"
#include "result.h"

namespace podtrace::tracer {

// glibc's libc.so.6 / libc-2.x.so and musl's ld-musl-*.so.1 (musl has no separate libc).
bool is_libc_name(std::string_view base);
// glibc before 2.34 kept the pthread functions in libpthread.so.0 / libpthread-2.x.so.
bool is_libpthread_name(std::string_view base);

// Distinct paths, in order of appearance, of the mapped files whose base name `want` accepts.
// Files replaced on disk since they were mapped are left out: their path names another file.
std::vector<std::string> library_paths(const std::vector<ProcMapping>& maps,
                                       bool (*want)(std::string_view base));
// The C libraries of a /proc/PID/maps text: where getaddrinfo() lives.
std::vector<std::string> libc_paths_in_maps(const std::string& maps);

// A process of the target and its executable mappings, read once.
struct TargetProcess {
  int pid = 0;
  std::vector<ProcMapping> maps;
};

// The processes in `cgroups` (their cgroup.procs) with their mappings; processes that exit
// meanwhile are left out.
std::vector<TargetProcess> read_target_processes(const std::filesystem::path& proc_root,
                                                 const std::vector<std::filesystem::path>& cgroups);

// The path a process's file has from the host: through its root, so a container image's file is
// found, not the host's file of the same name.
std::filesystem::path host_path(const std::filesystem::path& proc_root, int pid,
                                const std::string& path);

// A file's identity (device, inode): one host file is probed once, whatever path reached it.
struct FileId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  auto operator<=>(const FileId&) const = default;
};
bool file_id(const std::filesystem::path& path, FileId& id);

// File offsets (what a uprobe takes) of the named functions of an ELF file, from .dynsym and
// .symtab. A versioned function's default and compatibility versions at one address are one
// function (glibc's pthread_rwlock_rdlock@@GLIBC_2.34 and @GLIBC_2.2.5): libbpf before 1.2
// refuses such names as ambiguous. Names not defined in the file, or defined at several
// addresses, are left out.
Result<std::map<std::string, uint64_t>> function_offsets(const std::filesystem::path& path,
                                                         const std::vector<std::string>& names);

}  // namespace podtrace::tracer
