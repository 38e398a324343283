// SPDX-License-Identifier: Apache-2.0
// fileio_probe.h: the file I/O family: open/read/write/fsync latency, bytes and errors per file.
#pragma once

#include <map>
#include <tuple>

#include "libbpf_util.h"
#include "probes/probe.h"
#include "probes/skeleton_loader.h"

struct fileio_bpf;

namespace podtrace {

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
  using FileKey = std::tuple<uint32_t, std::string, std::string>;  // pid, path, op
  LoadedSkeleton<fileio_bpf> loaded_;
  // Failed opens have no inode; their per-path counts come from the error events.
  std::map<FileKey, FileReport> failed_opens_;
};

std::string_view fileio_op_name(uint32_t op);

}  // namespace podtrace
