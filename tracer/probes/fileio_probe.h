// SPDX-License-Identifier: Apache-2.0
// fileio_probe.h: the file I/O family: open/read/write/fsync latency, bytes and errors per file.
#pragma once

#include "libbpf_util.h"
#include "probes/fileio_aggregate.h"
#include "probes/probe.h"
#include "probes/skeleton_loader.h"

struct fileio_bpf;

namespace podtrace::tracer {

class FileioProbe : public Probe {
 public:
  std::string_view name() const override { return "fileio"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  int ringbuf_fd() const override;
  void flush(EventSink& sink) override;
  void fill(Report& report) override;
  LostCounts lost() const override;

 private:
  LoadedSkeleton<fileio_bpf> loaded_;
  FailedOpens failed_opens_;
};

}  // namespace podtrace::tracer
