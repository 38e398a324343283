// SPDX-License-Identifier: Apache-2.0
// Fuzz target: cgroup controller files (cpu and memory, v1 and v2 formats, PSI) as the cpu and
// memory families read them, and container ids as the user or the API server gives them. The
// input is cut at NUL bytes into the files of one scratch controller directory.
#include "cgroup.h"
#include "cgroup_files.h"
#include "cpu_throttle.h"
#include "fuzz_support.h"
#include "memcg_state.h"
#include "target.h"

using namespace podtrace::tracer;
namespace fs = std::filesystem;

namespace {

// Every file either reader opens, in the order the input's parts fill them.
constexpr const char* kFiles[] = {
    "cpu.stat",
    "cpu.max",
    "cpu.cfs_quota_us",
    "cpu.cfs_period_us",
    "memory.max",
    "memory.current",
    "memory.peak",
    "memory.events",
    "memory.pressure",
    "memory.limit_in_bytes",
    "memory.usage_in_bytes",
    "memory.max_usage_in_bytes",
    "memory.failcnt",
    "memory.oom_control",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = podtrace::fuzz::as_text(data, size);
  const auto parts = podtrace::fuzz::split_parts(input, std::size(kFiles));
  const fs::path dir = podtrace::fuzz::scratch_dir() / "ctl";
  for (size_t i = 0; i < std::size(kFiles); ++i) {
    // A file that is absent (fewer parts) must read as absent, not as the last run's.
    if (i < parts.size())
      podtrace::fuzz::write_file(dir, kFiles[i], parts[i]);
    else
      fs::remove(dir / kFiles[i]);
  }
  for (const char* file : kFiles) {
    (void)read_keyed(dir / file);
    (void)read_first_line(dir / file);
    (void)read_first_word(dir / file);
  }
  for (const bool v2 : {true, false}) {
    (void)read_throttling(dir, v2);
    auto memcg = read_memcg(dir, v2);
    if (memcg) (void)memcg_delta("/pod", *memcg, *memcg, std::nullopt, std::nullopt);
  }
  (void)read_memory_pressure(dir);

  // The same bytes as a container id (--container-id, a pod's containerStatuses).
  const std::string id(input.substr(0, 256));
  auto bare = parse_container_id(id);
  if (bare) {
    FUZZ_CHECK(bare->size() == 64);
    FUZZ_CHECK(bare->find_first_not_of("0123456789abcdef") == std::string::npos);
    FUZZ_CHECK(is_container_cgroup_name("cri-containerd-" + *bare + ".scope", *bare));
  }
  (void)is_container_cgroup_name(id, std::string(64, 'a'));
  return 0;
}
