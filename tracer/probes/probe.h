// SPDX-License-Identifier: Apache-2.0
// probe.h: the life cycle every diagnostic family follows: start (open, configure, load, attach),
// retarget, copy events off the ring buffer, flush them on the poll tick, fill the report.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "event.h"
#include "kernel_features.h"
#include "podtrace_common.h"
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
};

// Receives one decoded event per streamed kernel record.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void event(Event e) = 0;
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
  // Ring-buffer callback context: copies the record and returns, nothing else.
  void enqueue(const void* data, size_t size);
  // Poll tick: turns queued records into events and aggregates.
  virtual void flush(EventSink& sink) = 0;
  virtual void fill(Report& report) = 0;
  // What the kernel side lost (ring buffer full, maps full).
  virtual LostCounts lost() const = 0;
  // Events the bounded user-space queue refused.
  uint64_t userspace_lost() const { return queue_dropped_; }

 protected:
  std::vector<std::vector<uint8_t>> take_queue();

 private:
  // Bounded so an event flood costs memory once, then counts drops.
  static constexpr size_t kMaxQueued = 65536;
  std::deque<std::vector<uint8_t>> queue_;
  uint64_t queue_dropped_ = 0;
};

// A streamed event with the fields of its header; the family adds its own with e["key"] = v.
Event event_json(const pt_event_header& h, std::string_view family, std::string_view kind);

}  // namespace podtrace::tracer
