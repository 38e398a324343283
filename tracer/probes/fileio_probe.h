// SPDX-License-Identifier: Apache-2.0
// fileio_probe.h: the file I/O family: open/read/write/fsync latency, bytes and errors per file.
#pragma once

#include <filesystem>
#include <span>

#include "libbpf_util.h"
#include "probes/fileio_aggregate.h"
#include "probes/probe.h"
#include "probes/skeleton_loader.h"

struct fileio_bpf;

namespace podtrace::tracer {

class FileioProbe : public Probe {
 public:
  // The family's BPF object as the tracer embeds it (tracer/core_btf_cache.h).
  static std::span<const unsigned char> bpf_object();
  std::string_view name() const override { return "fileio"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  int ringbuf_fd() const override;
  void on_record(const void* data, size_t size, EventSink& sink) override;
  void fill(Report& report) override;
  LostCounts lost() const override;
  // After start(): true when the calls in flight live in task storage (AttachType::kTaskStorage;
  // else in an LRU hash keyed by tid).
  bool inflight_per_task() const;
  // The rows in the kernel's per-file map: live processes' only, once fill() has run (tests).
  size_t kernel_file_rows() const;

 private:
  LoadedSkeleton<fileio_bpf> loaded_;
  std::filesystem::path proc_root_ = "/proc";
  KeptFileRows kept_;
};

}  // namespace podtrace::tracer
