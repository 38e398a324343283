// SPDX-License-Identifier: Apache-2.0
// db_probe.h: the db family: queries as the pod's own PostgreSQL and MySQL/MariaDB client
// libraries made them (uprobes on libpq and libmariadb/libmysqlclient, found per process and
// picked up when a process maps one later), aggregated per normalised statement.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "db.h"
#include "libbpf_util.h"
#include "library_watch.h"
#include "probes/db_aggregate.h"
#include "probes/probe.h"
#include "proc_memory.h"

struct db_bpf;

namespace podtrace::tracer {

class DbProbe : public Probe {
 public:
  // The family's BPF object as the tracer embeds it (tracer/core_btf_cache.h).
  static std::span<const unsigned char> bpf_object();
  std::string_view name() const override { return "db"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  void set_target_cgroups(const std::vector<std::filesystem::path>& paths) override;
  // -1: one record per query must not wake the session's poll loop; flush() reads the ring.
  int ringbuf_fd() const override { return -1; }
  void flush(EventSink& sink) override;
  void on_record(const void* data, size_t size, EventSink& sink) override;
  void fill(Report& report) override;
  LostCounts lost() const override;

 private:
  // Probes the client libraries the target's processes mapped since the last call; each new
  // one is announced with an `attached` event on the next flush.
  void attach_new_libraries();
  // The query functions of one library file; false when none could be probed.
  bool attach_library(const FoundLibrary& lib, uint32_t library);
  // At most once a second, deletes what the probes saw no end of (the maps have no eviction:
  // bpf/db.bpf.c): the queries in flight and the prepared statement texts of processes that
  // have exited, and the libpq statements prepared on a connection before it closed (closed_).
  // The keys' tgids are the node's: proc_root_ must be the host's /proc, as for every family
  // that names processes.
  void sweep_ended_entries();
  // One system's map of prepared statement texts: deletes those `end_of` ends (it returns the
  // time of the close that ends a text, UINT64_MAX for an exited process, or 0), then, past
  // DB_TEXTS_EVICT_ABOVE, the least recently used down to DB_TEXTS_KEPT_AFTER_EVICTION, and
  // announces that eviction in the stream.
  template <typename Key, typename EndOf>
  void sweep_statement_texts(uint32_t system, int fd, EndOf&& end_of);

  struct RingBufferFree {
    void operator()(ring_buffer* rb) const { ring_buffer__free(rb); }
  };

  SkeletonPtr<db_bpf> skel_{nullptr, nullptr};
  // The family's own reader of its ring, consumed on the poll tick (see ringbuf_fd()).
  std::unique_ptr<ring_buffer, RingBufferFree> rb_;
  std::vector<LinkPtr> links_;
  std::optional<LibraryWatch> watch_;
  std::vector<std::filesystem::path> cgroup_paths_;
  std::filesystem::path proc_root_ = "/proc";
  uint64_t slow_threshold_ns_ = 0;
  DbAggregator aggregate_;
  std::vector<Event> announcements_;
  std::string problems_;  // attach failures, for the section's status
  bool mysqlclient_ = false;
  uint64_t last_sweep_ns_ = 0;
  // libpq connections closed since the last sweep: (process, PGconn) -> the latest close.
  std::map<std::pair<uint32_t, uint64_t>, uint64_t> closed_;
  uint64_t texts_evicted_ = 0;
};

}  // namespace podtrace::tracer
