// SPDX-License-Identifier: Apache-2.0
// process_probe.cpp: loads process.bpf.c and turns life-cycle records into events and counts.
#include "probes/process_probe.h"

#include <cstring>

#include "process.h"
#include "process.skel.h"
#include "text.h"

namespace podtrace::tracer {

Result<AttachType> ProcessProbe::start(const ProbeConfig& config) {
  const SkeletonOps<process_bpf> ops{process_bpf__open_opts, process_bpf__load,
                                     process_bpf__destroy};
  auto loaded = load_first_working<process_bpf>(
      ops, config, {AttachType::kTpBtf, AttachType::kRawTp}, [](process_bpf*) {},
      [&](process_bpf* s) { write_targets(s, config.cgroup_ids); });
  if (!loaded) return make_error(loaded.error());
  loaded_ = std::move(*loaded);
  return loaded_.attach;
}

void ProcessProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (loaded_.skel) write_targets(loaded_.skel.get(), ids);
}

int ProcessProbe::ringbuf_fd() const {
  return loaded_.skel ? bpf_map__fd(loaded_.skel->maps.events) : -1;
}

void ProcessProbe::on_record(const void* data, size_t size, EventSink& sink) {
  decode<process_event>(
      data, size,
      [&](const process_event& e) {
        switch (e.hdr.kind) {
          case PROCESS_EVENT_EXEC: {
            auto j = event_json(e.hdr, "process", "exec");
            j["ppid"] = e.ppid;
            j["argv"] = split_argv(e.argv, std::min<size_t>(e.argv_len, sizeof(e.argv)));
            sink.event(std::move(j));
            break;
          }
          case PROCESS_EVENT_FORK: {
            auto j = event_json(e.hdr, "process", "fork");
            j["child_pid"] = e.child_pid;
            sink.event(std::move(j));
            break;
          }
          case PROCESS_EVENT_EXIT: {
            ProcessExit x{e.hdr.pid,
                          e.ppid,
                          c_string(e.hdr.comm, sizeof(e.hdr.comm)),
                          e.exit_code,
                          static_cast<int>(e.signal),
                          e.core_dumped != 0,
                          e.oom_killed != 0};
            auto j = event_json(e.hdr, "process", "exit");
            j["ppid"] = x.ppid;
            j["exit_code"] = x.exit_code;
            j["signal"] = x.signal;
            j["core_dumped"] = x.core_dumped;
            j["oom_killed"] = x.oom_killed;
            const bool clean = !exit_failed(x);
            Listed& kind =
                listed_[std::tuple(x.comm, x.exit_code, x.signal, x.core_dumped, x.oom_killed)];
            if (kind.rows >= kListedPerOutcome) {
              ++exited_[kind.last].count;
            } else if (exited_.size() < kMaxExits &&
                       (!clean || clean_exits_kept_ < kMaxCleanExits)) {
              clean_exits_kept_ += clean;
              ++kind.rows;
              kind.last = exited_.size();
              exited_.push_back(std::move(x));
            }
            sink.event(std::move(j));
            break;
          }
        }
      },
      PROCESS_EVENT_HEAD_SIZE);
}

void ProcessProbe::fill(Report& report) {
  if (!loaded_.skel) return;
  const int fd = bpf_map__fd(loaded_.skel->maps.counters);
  ProcessReport p;
  p.execs = sum_percpu_u64(fd, PROCESS_COUNT_EXEC);
  p.forks = sum_percpu_u64(fd, PROCESS_COUNT_FORK);
  p.threads = sum_percpu_u64(fd, PROCESS_COUNT_THREAD);
  p.exits = sum_percpu_u64(fd, PROCESS_COUNT_EXIT);
  p.oom_kills = sum_percpu_u64(fd, PROCESS_COUNT_OOM_KILL);
  p.exited = exited_;
  report.set(std::move(p));
}

LostCounts ProcessProbe::lost() const {
  if (!loaded_.skel) return {};
  return read_lost(bpf_map__fd(loaded_.skel->maps.lost));
}

std::span<const unsigned char> ProcessProbe::bpf_object() {
  return embedded_object(process_bpf__elf_bytes);
}

}  // namespace podtrace::tracer
