// SPDX-License-Identifier: Apache-2.0
// vmlinux_btf_share.cpp: one read of the kernel's BTF for every object libbpf loads at start-up.
#include "vmlinux_btf_share.h"

#include <bpf/btf.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <mutex>
#include <vector>

namespace podtrace::tracer {
namespace {

std::mutex g_mutex;
int g_shares = 0;      // live VmlinuxBtfShare objects
bool g_tried = false;  // the file was read (or failed) for the current shares
// Null or empty: not read, or the read failed. Shared: a parse runs outside the lock.
std::shared_ptr<const std::vector<char>> g_bytes;
std::atomic<size_t> g_asked{0}, g_read{0};

// The whole file: read() returns at most a page of it at a time.
std::vector<char> read_vmlinux_btf() {
  std::vector<char> bytes;
  const int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return bytes;
  bytes.resize(8 << 20);
  size_t n = 0;
  for (;;) {
    if (n == bytes.size()) bytes.resize(bytes.size() * 2);
    const ssize_t r = read(fd, bytes.data() + n, bytes.size() - n);
    if (r < 0) {
      bytes.clear();
      break;
    }
    if (r == 0) break;
    n += static_cast<size_t>(r);
  }
  close(fd);
  bytes.resize(n);
  bytes.shrink_to_fit();
  return bytes;
}

using LoadFn = btf* (*)();

LoadFn libbpf_own() {
  static const auto fn = reinterpret_cast<LoadFn>(dlsym(RTLD_NEXT, "btf__load_vmlinux_btf"));
  return fn;
}

}  // namespace

VmlinuxBtfShare::VmlinuxBtfShare() {
  std::lock_guard lock(g_mutex);
  ++g_shares;
}

VmlinuxBtfShare::~VmlinuxBtfShare() {
  std::lock_guard lock(g_mutex);
  if (--g_shares == 0) {
    g_bytes.reset();
    g_tried = false;
  }
}

VmlinuxBtfCounts vmlinux_btf_counts() { return {g_asked.load(), g_read.load()}; }

}  // namespace podtrace::tracer

// libbpf's btf__load_vmlinux_btf(), which libbpf itself calls for each object it loads. The
// caller owns (and frees) the btf returned either way.
extern "C" btf* btf__load_vmlinux_btf(void) {
  using namespace podtrace::tracer;
  ++g_asked;
  std::shared_ptr<const std::vector<char>> bytes;
  {
    std::lock_guard lock(g_mutex);
    if (g_shares > 0) {
      if (!g_tried) {
        g_tried = true;
        g_bytes = std::make_shared<const std::vector<char>>(read_vmlinux_btf());
        ++g_read;
      }
      bytes = g_bytes;
    }
  }
  // btf__new() copies the bytes and parses its copy: each object's loader owns its own.
  if (bytes && !bytes->empty()) return btf__new(bytes->data(), static_cast<__u32>(bytes->size()));
  const LoadFn own = libbpf_own();
  if (!own) {
    errno = ENOSYS;
    return nullptr;
  }
  return own();
}
