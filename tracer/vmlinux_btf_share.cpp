// SPDX-License-Identifier: Apache-2.0
// vmlinux_btf_share.cpp: one read and one parse of the kernel's BTF for every object libbpf loads
// at start-up.
#include "vmlinux_btf_share.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace podtrace::tracer {
namespace {

std::mutex g_mutex;
int g_shares = 0;      // live VmlinuxBtfShare objects
bool g_tried = false;  // the file was read (or failed) for the current shares
// The parse every caller gets; null: not read, or it failed. Written under g_mutex; btf__free()
// reads it without the lock, to leave it alone.
std::atomic<btf*> g_btf{nullptr};
std::atomic<size_t> g_asked{0}, g_read{0}, g_mapped{0}, g_kept_from_free{0}, g_freed_by_share{0},
    g_module_lists_refused{0}, g_core_btf_fallbacks{0};
std::string g_core_btf;  // the first live share's; written under g_mutex while no load runs

template <typename Fn>
Fn libbpf_own(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

using LoadFn = btf* (*)();
using FreeFn = void (*)(btf*);

LoadFn libbpf_load() {
  static const auto fn = libbpf_own<LoadFn>("btf__load_vmlinux_btf");
  return fn;
}

FreeFn libbpf_free() {
  static const auto fn = libbpf_own<FreeFn>("btf__free");
  return fn;
}

}  // namespace

btf* parse_mapped_vmlinux_btf() {
  const int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  btf* parsed = nullptr;
  struct stat st {};
  if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size <= UINT32_MAX) {
    const auto size = static_cast<size_t>(st.st_size);
    void* const mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapped != MAP_FAILED) {
      // btf__new() copies the data, so the mapping can go at once; it returns null on error.
      parsed = btf__new(mapped, static_cast<__u32>(size));
      munmap(mapped, size);
    }
  }
  close(fd);
  return parsed;
}

VmlinuxBtfShare::VmlinuxBtfShare(std::string core_btf) {
  std::lock_guard lock(g_mutex);
  if (g_shares++ == 0) g_core_btf = std::move(core_btf);
}

VmlinuxBtfShare::~VmlinuxBtfShare() {
  std::lock_guard lock(g_mutex);
  if (--g_shares > 0) return;
  g_core_btf.clear();
  btf* const shared = g_btf.exchange(nullptr);
  g_tried = false;
  if (!shared) return;
  // Every load that had it is over (the families' threads have joined): nothing holds it now.
  if (const FreeFn free_fn = libbpf_free()) {
    free_fn(shared);
    ++g_freed_by_share;
  }
}

VmlinuxBtfCounts vmlinux_btf_counts() {
  return {g_asked.load(),
          g_read.load(),
          g_mapped.load(),
          g_kept_from_free.load(),
          g_freed_by_share.load(),
          g_module_lists_refused.load(),
          g_core_btf_fallbacks.load()};
}

const char* shared_core_btf_path() {
  std::lock_guard lock(g_mutex);
  return g_shares > 0 && !g_core_btf.empty() ? g_core_btf.c_str() : nullptr;
}

void count_core_btf_fallback() { ++g_core_btf_fallbacks; }

uint32_t kernel_struct_btf_id(const char* name) {
  static std::mutex mutex;
  static std::map<std::string, uint32_t, std::less<>> ids;
  std::lock_guard lock(mutex);
  if (auto known = ids.find(name); known != ids.end()) return known->second;
  btf* const kernel = btf__load_vmlinux_btf();  // the shared parse, kept from the free below
  if (!kernel) return 0;                        // asked again next time
  const int id = btf__find_by_name_kind(kernel, name, BTF_KIND_STRUCT);
  btf__free(kernel);
  return ids[name] = id > 0 ? static_cast<uint32_t>(id) : 0;
}

}  // namespace podtrace::tracer

// libbpf's btf__load_vmlinux_btf(), which libbpf itself calls for each object it loads and frees
// with btf__free() below once that object is loaded.
extern "C" btf* btf__load_vmlinux_btf(void) {
  using namespace podtrace::tracer;
  ++g_asked;
  {
    std::lock_guard lock(g_mutex);
    if (g_shares > 0) {
      // The first caller has libbpf read and parse it, under the lock: the others would only
      // wait for it.
      if (!g_tried) {
        g_tried = true;
        ++g_read;
        if (btf* const mapped = parse_mapped_vmlinux_btf()) {
          ++g_mapped;
          g_btf = mapped;
        } else if (const LoadFn own = libbpf_load()) {
          g_btf = own();  // null on failure (libbpf 1.x)
        }
      }
      if (btf* const shared = g_btf.load()) return shared;
    }
  }
  const LoadFn own = libbpf_load();
  if (!own) {
    errno = ENOSYS;
    return nullptr;
  }
  return own();
}

// libbpf's btf__free(), through which libbpf frees every btf it holds: the shared one is the
// share's to free.
extern "C" void btf__free(btf* b) {
  using namespace podtrace::tracer;
  if (b && b == g_btf.load()) {
    ++g_kept_from_free;
    return;
  }
  if (const FreeFn free_fn = libbpf_free()) free_fn(b);
}

// libbpf's bpf_btf_get_next_id(), which libbpf 1.1 calls to list the kernel modules' BTF when an
// object names a kfunc, ksym or CO-RE type that the kernel's own BTF lacks: a weak kfunc on a
// kernel without it (bpf/task_reads.bpf.h on Linux < 6.2). podtrace's programs use only the
// kernel's own types, tracepoints and kfuncs, so the list is always empty here. Listing needs
// CAP_SYS_ADMIN (the unprivileged Job has CAP_BPF): libbpf 1.1 fails the whole load on EPERM
// (1.2 skips it), and where it may list them it would fetch and parse every module's BTF for
// each object.
extern "C" int bpf_btf_get_next_id(__u32 /*start_id*/, __u32* /*next_id*/) {
  ++podtrace::tracer::g_module_lists_refused;
  errno = ENOENT;
  return -ENOENT;
}
