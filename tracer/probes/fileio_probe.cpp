// SPDX-License-Identifier: Apache-2.0
// fileio_probe.cpp: loads fileio.bpf.c, turns its events into JSON and its maps into the report.
#include "probes/fileio_probe.h"

#include <map>

#include "fileio.h"
#include "fileio.skel.h"
#include "proc_memory.h"
#include "text.h"

namespace podtrace::tracer {

Result<AttachType> FileioProbe::start(const ProbeConfig& config) {
  const SkeletonOps<fileio_bpf> ops{fileio_bpf__open_opts, fileio_bpf__load, fileio_bpf__destroy};
  // The programs for each rung: tp_btf/raw sys_enter and sys_exit programs that return on a
  // syscall number we do not trace; fentry/fexit on the 16 `__x64_sys_*` functions and the 32
  // per-syscall tracepoints, stubs that tail-call one handler. Which comes first is the user's
  // choice between a fast stop and the node's per-syscall cost (syscall_hooks.h).
  LoadPlan<fileio_bpf> plan{ops, syscall_hook_ladder(config.syscall_hooks), std::nullopt};
  plan.activity_map_fd = config.activity_map_fd;
  plan.configure = [&](fileio_bpf* s) {
    s->rodata->slow_threshold_ns = config.slow_threshold_ns;
    // The fentry handlers are loaded at a syscall function (fentry needs one) but run only as
    // tail-call targets.
    bpf_program__set_autoattach(s->progs.fileio_enter_handler_fentry, false);
    bpf_program__set_autoattach(s->progs.fileio_exit_handler_fentry, false);
  };
  // The per-syscall programs tail-call two handlers (each verified once, not 16 times): they go
  // into the prog array before the stubs attach. A failure ends the family rather than leaving
  // stubs that would drop every call.
  Status handler_set = ok_status();
  plan.after_load = [&](fileio_bpf* s) {
    write_targets(s, config.cgroup_ids);
    handler_set = ok_status();
    const struct {
      bpf_map* array;
      uint32_t slot;
      bpf_program* prog;
    } handlers[] = {{s->maps.handlers, FILEIO_HANDLER_ENTER, s->progs.fileio_enter_handler_tp},
                    {s->maps.handlers, FILEIO_HANDLER_EXIT, s->progs.fileio_exit_handler_tp},
                    {s->maps.fentry_handler, 0, s->progs.fileio_enter_handler_fentry},
                    {s->maps.fexit_handler, 0, s->progs.fileio_exit_handler_fentry}};
    for (const auto& [array, slot, prog] : handlers) {
      if (!bpf_program__autoload(prog)) continue;
      const int fd = bpf_program__fd(prog);
      if (bpf_map_update_elem(bpf_map__fd(array), &slot, &fd, BPF_ANY))
        handler_set = make_error(
            fmt::format("fileio handler {}: {}", bpf_program__name(prog), libbpf_error(-errno)));
    }
  };
  plan.attach_extra = [&](fileio_bpf*) { return handler_set; };
  auto loaded = load_skeleton(plan, *config.features);
  if (!loaded) return make_error(loaded.error());
  proc_root_ = config.proc_root;
  loaded_ = std::move(*loaded);
  return loaded_.attach;
}

bool FileioProbe::inflight_per_task() const {
  return loaded_.skel && loaded_.skel->rodata->thread_slots_in_task;
}

void FileioProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (loaded_.skel) write_targets(loaded_.skel.get(), ids);
}

int FileioProbe::ringbuf_fd() const {
  return loaded_.skel ? bpf_map__fd(loaded_.skel->maps.events) : -1;
}

void FileioProbe::on_record(const void* data, size_t size, EventSink& sink) {
  decode<fileio_event>(
      data, size,
      [&](const fileio_event& e) {
        const bool error = e.hdr.kind == FILEIO_EVENT_ERROR;
        // Failed opens have no inode to be counted by in the kernel: their events are the count.
        if (error && e.op == FILEIO_OP_OPEN)
          kept_.add_failed_open(e.hdr.pid, c_string(e.path, sizeof(e.path)), errno_name(e.err),
                                e.latency_ns);
        if (!sink.streams("fileio")) return;
        auto j = event_json(e.hdr, "fileio", error ? "error" : "slow");
        j["op"] = std::string(fileio_op_name(e.op));
        j["path"] = c_string(e.path, sizeof(e.path));
        j["latency_ns"] = e.latency_ns;
        j["bytes"] = e.bytes;
        if (error) {
          j["errno"] = e.err;
          j["error"] = errno_name(e.err);
        }
        sink.event(std::move(j));
      },
      FILEIO_EVENT_HEAD_SIZE);
}

void FileioProbe::fill(Report& report) {
  if (!loaded_.skel) return;
  std::vector<FileioOpRow> ops;
  const int op_stats_fd = bpf_map__fd(loaded_.skel->maps.op_stats);
  const int hist_fd = bpf_map__fd(loaded_.skel->maps.op_hist);
  for (uint32_t op = 0; op < FILEIO_OP_MAX; ++op)
    ops.push_back({op, sum_op_stats(op_stats_fd, op), read_hist_row(hist_fd, op)});

  std::vector<FileioFileRow> files;
  const int stats_fd = bpf_map__fd(loaded_.skel->maps.file_stats);
  const int info_fd = bpf_map__fd(loaded_.skel->maps.file_info);
  // Every process of a pod opens the same few files: one lookup per file, not per row.
  std::map<std::pair<uint64_t, uint64_t>, std::string> paths;
  auto path_of = [&](const fileio_file_key& key) {
    auto [it, added] = paths.try_emplace({key.dev, key.ino});
    if (!added) return it->second;
    fileio_file_id id{key.dev, key.ino};
    fileio_file_info info{};
    if (bpf_map_lookup_elem(info_fd, &id, &info) == 0)
      it->second = c_string(info.path, sizeof(info.path));
    return it->second;
  };
  // Rows of processes that have exited move to user space (kept_), so the kernel's map holds
  // only live processes' files: a pod of short-lived processes would fill it in seconds and the
  // files of later ones would get no row. Taking a row out is atomic (lookup-and-delete): what
  // a process reusing the pid adds after that starts a fresh row.
  ListedPids listed(proc_root_);
  std::vector<std::pair<fileio_file_key, pt_op_stats>> gone;
  for_each_map_entry<fileio_file_key, pt_op_stats>(
      stats_fd, [&](const fileio_file_key& key, const pt_op_stats& s) {
        if (listed(key.pid))
          files.push_back({key, s, path_of(key)});
        else
          gone.emplace_back(key, s);
      });
  auto row = [&](const fileio_file_key& key, const pt_op_stats& s) {
    return FileioFileRow{key, s, path_of(key)};
  };
  take_map_entries(
      stats_fd, gone, [&](const auto& key, const auto& s) { kept_.add_row(row(key, s)); },
      [&](const auto& key, const auto& s) { files.push_back(row(key, s)); });
  report.set(aggregate_fileio(ops, files, kept_));
}

size_t FileioProbe::kernel_file_rows() const {
  if (!loaded_.skel) return 0;
  size_t n = 0;
  for_each_map_entry<fileio_file_key, pt_op_stats>(
      bpf_map__fd(loaded_.skel->maps.file_stats),
      [&](const fileio_file_key&, const pt_op_stats&) { ++n; });
  return n;
}

LostCounts FileioProbe::lost() const {
  if (!loaded_.skel) return {};
  return read_lost(bpf_map__fd(loaded_.skel->maps.lost));
}

std::span<const unsigned char> FileioProbe::bpf_object() {
  return embedded_object(fileio_bpf__elf_bytes);
}

}  // namespace podtrace::tracer
