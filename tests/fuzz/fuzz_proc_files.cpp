// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the /proc files the tracer reads about the target's processes: status, a
// thread's stat line, cgroup, maps (also read as the tracer's own smaps, whose clean library
// mappings it gives back), and a cgroup's cgroup.procs. A traced process chooses its own
// comm (and so part of stat and status) and its mappings' paths. The input is cut at NUL bytes
// into those files of one fake process under a scratch /proc.
#include "cgroup.h"
#include "fuzz_support.h"
#include "probes/profile_maps.h"
#include "proc_memory.h"
#include "resident_pages.h"
#include "target_libraries.h"

using namespace podtrace::tracer;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = podtrace::fuzz::split_parts(podtrace::fuzz::as_text(data, size), 5);
  auto part = [&](size_t i) { return i < parts.size() ? parts[i] : std::string(); };
  const fs::path proc = podtrace::fuzz::scratch_dir() / "proc";
  const fs::path self = proc / "4242";
  podtrace::fuzz::write_file(self, "status", part(0));
  podtrace::fuzz::write_file(self / "task" / "4243", "stat", part(1));
  podtrace::fuzz::write_file(self, "cgroup", part(2));
  podtrace::fuzz::write_file(self, "maps", part(3));
  const fs::path cgroup = podtrace::fuzz::scratch_dir() / "cgroup";
  podtrace::fuzz::write_file(cgroup / "unified", "cgroup.procs", part(4));

  (void)read_proc_status(proc, 4242);
  (void)read_thread_faults(proc, 4242, 4243);
  (void)parse_stat_faults(part(1));

  // Hybrid layout (this fixture has unified/cgroup.procs): v2 and v1 lookups.
  const CgroupFs fs_hybrid(HostRoots{cgroup, proc});
  (void)fs_hybrid.v2_cgroup_of(4242);
  (void)fs_hybrid.v1_cgroup_of(4242, "memory");
  (void)fs_hybrid.v1_cgroup_of(4242, "cpu");
  (void)CgroupFs::pids_in(cgroup / "unified");

  const auto maps = parse_executable_mappings(part(3));
  for (size_t i = 1; i < maps.size(); ++i) FUZZ_CHECK(maps[i - 1].start <= maps[i].start);
  for (const auto& m : maps) {
    FUZZ_CHECK(m.exec);
    FUZZ_CHECK(find_mapping(maps, m.start) != nullptr || m.start >= m.end);
    (void)elf_address(m, {{0x1000, 0x1000, 0x10000}, {0, 0, 0x800}}, m.start);
  }
  constexpr std::string_view kLibraries[] = {"libcrypto.so", "libssl.so"};
  (void)clean_library_mappings(part(3), kLibraries);
  (void)libc_paths_in_maps(part(3));
  (void)library_paths(maps, is_libpthread_name);
  for (const auto& m : maps) (void)host_path(proc, 4242, m.path);
  return 0;
}
