// SPDX-License-Identifier: Apache-2.0
// fileio_probe.cpp: loads fileio.bpf.c, turns its events into JSON and its maps into the report.
#include "probes/fileio_probe.h"

#include <algorithm>

#include "fileio.h"
#include "fileio.skel.h"
#include "text.h"

namespace podtrace {

std::string_view fileio_op_name(uint32_t op) {
  switch (op) {
    case FILEIO_OP_OPEN: return "open";
    case FILEIO_OP_READ: return "read";
    case FILEIO_OP_WRITE: return "write";
    case FILEIO_OP_FSYNC: return "fsync";
    case FILEIO_OP_FDATASYNC: return "fdatasync";
  }
  return "unknown";
}

Result<AttachType> FileioProbe::start(const ProbeConfig& config) {
  const SkeletonOps<fileio_bpf> ops{fileio_bpf__open, fileio_bpf__load, fileio_bpf__destroy};
  auto loaded = load_first_working<fileio_bpf>(
      ops, config, {AttachType::kTracepoint, AttachType::kTpBtf, AttachType::kRawTp},
      [&](fileio_bpf* s) { s->rodata->slow_threshold_ns = config.slow_threshold_ns; },
      [&](fileio_bpf* s) { write_targets(s->bss, config.cgroup_ids); });
  if (!loaded) return make_error(loaded.error());
  loaded_ = std::move(*loaded);
  return loaded_.attach;
}

void FileioProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (loaded_.skel) write_targets(loaded_.skel->bss, ids);
}

int FileioProbe::ringbuf_fd() const {
  return loaded_.skel ? bpf_map__fd(loaded_.skel->maps.events) : -1;
}

void FileioProbe::flush(EventSink& sink) {
  for (const auto& raw : take_queue()) {
    if (raw.size() < sizeof(fileio_event)) continue;
    fileio_event e;
    std::memcpy(&e, raw.data(), sizeof(e));
    const bool error = e.hdr.kind == FILEIO_EVENT_ERROR;
    const std::string op(fileio_op_name(e.op));
    const std::string path = c_string(e.path, sizeof(e.path));
    auto j = event_json(e.hdr, "fileio", error ? "error" : "slow");
    j["op"] = op;
    j["path"] = path;
    j["latency_ns"] = e.latency_ns;
    j["bytes"] = e.bytes;
    if (error) {
      j["errno"] = e.err;
      j["error"] = errno_name(e.err);
      if (e.op == FILEIO_OP_OPEN) {
        auto& f = failed_opens_[{e.hdr.pid, path, op}];
        f.path = path;
        f.pid = e.hdr.pid;
        f.op = op;
        f.count++;
        f.errors++;
        f.total_ns += e.latency_ns;
        f.max_ns = std::max<uint64_t>(f.max_ns, e.latency_ns);
        f.errnos[errno_name(e.err)]++;
      }
    }
    sink.event(std::move(j));
  }
}

void FileioProbe::fill(Report& report) {
  if (!loaded_.skel) return;
  FileioReport out;
  const int stats_fd = bpf_map__fd(loaded_.skel->maps.op_stats);
  const int hist_fd = bpf_map__fd(loaded_.skel->maps.op_hist);
  for (uint32_t op = 0; op < FILEIO_OP_MAX; ++op) {
    const pt_op_stats stats = sum_op_stats(stats_fd, op);
    OpReport r;
    r.op = fileio_op_name(op);
    r.count = stats.count;
    r.bytes = stats.bytes;
    r.errors = stats.errors;
    r.latency = summarize(read_hist_row(hist_fd, op), stats.total_ns, stats.max_ns);
    if (r.count) out.ops.push_back(std::move(r));
  }

  std::map<FileKey, FileReport> files = failed_opens_;
  const int files_fd = bpf_map__fd(loaded_.skel->maps.file_stats);
  const int info_fd = bpf_map__fd(loaded_.skel->maps.file_info);
  fileio_file_key key{}, next{};
  fileio_file_key* prev = nullptr;
  while (bpf_map_get_next_key(files_fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    pt_op_stats s{};
    if (bpf_map_lookup_elem(files_fd, &key, &s) != 0) continue;
    fileio_file_id id{key.dev, key.ino};
    fileio_file_info info{};
    std::string path = bpf_map_lookup_elem(info_fd, &id, &info) == 0
                           ? c_string(info.path, sizeof(info.path))
                           : "inode:" + std::to_string(key.ino);
    const std::string op(fileio_op_name(key.op));
    auto& f = files[{key.pid, path, op}];
    f.path = path;
    f.pid = key.pid;
    f.op = op;
    f.count += s.count;
    f.bytes += s.bytes;
    f.errors += s.errors;
    f.total_ns += s.total_ns;
    f.max_ns = std::max<uint64_t>(f.max_ns, s.max_ns);
  }
  for (auto& [k, f] : files) out.files.push_back(std::move(f));
  std::sort(out.files.begin(), out.files.end(),
            [](const FileReport& a, const FileReport& b) { return a.total_ns > b.total_ns; });
  report.fileio = std::move(out);
}

LostCounts FileioProbe::lost() const {
  if (!loaded_.skel) return {};
  return read_lost(bpf_map__fd(loaded_.skel->maps.lost));
}

}  // namespace podtrace
