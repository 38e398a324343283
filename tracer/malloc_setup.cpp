// SPDX-License-Identifier: Apache-2.0
// malloc_setup.cpp: see malloc_setup.h. Why huge pages: every BPF object's load makes libbpf
// read /sys/kernel/btf/vmlinux into one fresh 5 MB buffer and copy it into another. In 4 KiB
// pages that is ~2800 page faults per object, 11 objects: where a fault is dear (a guest under
// paravirtualised paging, as this repository's CI machine) they were a third of the tracer's
// start-up CPU (docs/performance.md, "Start-up on a machine with dear page faults").
#include "malloc_setup.h"

#include <malloc.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace podtrace::tracer {

namespace {

constexpr const char* kTunable = "glibc.malloc.hugetlb=1";

// "madvise" or "always" (the bracketed word of the sysfs file): MADV_HUGEPAGE takes effect.
bool huge_pages_can_be_asked_for() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(in, modes);
  return modes.find("[madvise]") != std::string::npos ||
         modes.find("[always]") != std::string::npos;
}

}  // namespace

void exec_with_huge_page_malloc(char** argv) {
  const char* current = std::getenv("GLIBC_TUNABLES");
  const std::string tunables = current ? current : "";
  // Set already (by this exec, or by the user, who then decides): no loop.
  if (tunables.find("glibc.malloc.hugetlb") != std::string::npos) return;
  if (!huge_pages_can_be_asked_for()) return;
  const std::string wanted = tunables.empty() ? kTunable : tunables + ":" + kTunable;
  // The file's own path, not /proc/self/exe: the process is named after what it execs, and
  // `ps`, `pgrep podtrace-tracer` and the tests' leak checks look for podtrace-tracer.
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return;
  if (setenv("GLIBC_TUNABLES", wanted.c_str(), 1) != 0) return;
  execv(self.c_str(), argv);
  // Not possible here (a seccomp policy, a binary replaced since): run as we are, with the
  // environment as it was.
  if (current)
    setenv("GLIBC_TUNABLES", current, 1);
  else
    unsetenv("GLIBC_TUNABLES");
}

void set_malloc_thresholds() { mallopt(M_MMAP_THRESHOLD, 1 << 20); }

void settle_malloc_after_start() {
  // Huge pages already faulted in split where the trim below frees part of them.
  prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
  malloc_trim(0);
}

}  // namespace podtrace::tracer
