// SPDX-License-Identifier: Apache-2.0
// probe.h: the life cycle every diagnostic family follows: start (open, configure, load, attach),
// retarget, decode ring-buffer records as they arrive, tick work on the poll tick, fill the report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "event.h"
#include "kernel_features.h"
#include "podtrace_common.h"
#include "probes/syscall_hooks.h"
#include "report.h"
#include "result.h"

namespace podtrace::tracer {

struct ProbeConfig {
  const KernelFeatures* features = nullptr;
  uint64_t slow_threshold_ns = 10'000'000;
  std::vector<uint64_t> cgroup_ids;
  // The same cgroups as directories: cgroup-attached programs (sockops, cgroup_skb) link to them.
  std::vector<std::filesystem::path> cgroup_paths;
  // Where the host's /proc is: the dns family finds the target's libc through it.
  std::filesystem::path proc_root = "/proc";
  // Where the host's cgroup mounts are: the memory family reads the memory controller's files.
  std::filesystem::path cgroup_root = "/sys/fs/cgroup";
  // A DNS query without an answer after this long counts as a timeout (0: the family's default).
  uint64_t dns_timeout_ns = 0;
  // The trace's shared per-thread activity map (activity_map.h); -1: each object has its own.
  int activity_map_fd = -1;
  // The time breakdown per thread as well as per process.
  bool time_per_thread = false;
  // How fileio and the futex hooks hook syscalls (syscall_hooks.h).
  SyscallHooks syscall_hooks = SyscallHooks::kShared;
};

// Receives one decoded event per streamed kernel record.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void event(Event e) = 0;
  // Whether `family`'s next event would be streamed as a line. False counts that line as not
  // streamed, and the family builds no event: in a flood, building events no one reads was
  // most of the tracer's work. (The process family always builds its events: the timeline
  // reads them.)
  virtual bool streams(std::string_view family) {
    (void)family;
    return true;
  }
};

struct LostCounts {
  uint64_t ringbuf = 0;
  uint64_t map_full = 0;
};

class Probe {
 public:
  virtual ~Probe() = default;
  virtual std::string_view name() const = 0;
  // Returns the attach type in use, or why the family could not start.
  virtual Result<AttachType> start(const ProbeConfig& config) = 0;
  // Called once every family has started (families start at once, in parallel). What the
  // target can see of the tracer belongs here: the smoke canary starts its work when the dns
  // family's getaddrinfo breakpoint appears in its libc, which must mean "all attached".
  virtual void all_started() {}
  virtual void set_targets(const std::vector<uint64_t>& cgroup_ids) = 0;
  // The target's cgroup directories changed (containers restarted, children appeared):
  // families with cgroup-attached programs re-link. Called after set_targets().
  virtual void set_target_cgroups(const std::vector<std::filesystem::path>& paths) { (void)paths; }
  virtual int ringbuf_fd() const { return -1; }
  // The session's sink, set once before the first record can arrive.
  void attach_sink(EventSink& sink) { sink_ = &sink; }
  // Ring-buffer callback: decodes the record where it lies in the ring and hands any event to
  // the sink. No copy: at millions of records a second, copying them out was most of the
  // tracer's CPU.
  void receive(const void* data, size_t size) {
    if (sink_) on_record(data, size, *sink_);
  }
  // Poll tick: work that is not per record (expiring queries, probing new processes).
  virtual void flush(EventSink& sink) { (void)sink; }
  virtual void fill(Report& report) = 0;
  // What the kernel side lost (ring buffer full, maps full).
  virtual LostCounts lost() const = 0;

 protected:
  // One ring-buffer record. Families with a ring buffer decode it with decode<T>.
  virtual void on_record(const void* data, size_t size, EventSink& sink) {
    (void)data, (void)size, (void)sink;
  }
  // Hands the record to `on_record` as a T where it lies in the ring (records are 8-byte
  // aligned), so `on_record` must not keep a reference to it: the kernel reuses the space once
  // the callback returns. A record shorter than T but of at least `least` bytes (a family's
  // short form, without its trailing text) is copied into a zeroed T; shorter ones are skipped.
  template <typename T, typename F>
  static void decode(const void* data, size_t size, F&& on_record, size_t least = sizeof(T)) {
    static_assert(alignof(T) <= 8 && std::is_trivially_copyable_v<T>);
    if (size >= sizeof(T)) return on_record(*static_cast<const T*>(data));
    if (size < least) return;
    T record{};
    std::memcpy(&record, data, size);
    on_record(record);
  }

 private:
  EventSink* sink_ = nullptr;
};

// A streamed event with the fields of its header; the family adds its own with e["key"] = v.
Event event_json(const pt_event_header& h, std::string_view family, std::string_view kind);

}  // namespace podtrace::tracer
