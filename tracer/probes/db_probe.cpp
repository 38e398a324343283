// SPDX-License-Identifier: Apache-2.0
// db_probe.cpp: loads db.bpf.c, probes the target's database client libraries as they appear,
// turns query records into the database section and its slow/error events.
#include "probes/db_probe.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "clock.h"
#include "db.h"
#include "db.skel.h"
#include "elf_functions.h"
#include "histogram.h"
#include "probes/db_statement.h"
#include "probes/skeleton_loader.h"
#include "proc_memory.h"

namespace podtrace::tracer {

namespace {

// One probed function: its entry program and the return program it shares with its kind
// (none for the connections' close: only its entry matters).
struct Hook {
  const char* function;
  bpf_program* entry;
  bpf_program* ret;
};

std::vector<Hook> hooks_for(db_bpf* s, uint32_t library) {
  auto& p = s->progs;
  if (library == DB_LIB_LIBPQ)
    return {{"PQexec", p.pq_exec_uprobe, p.pq_exec_ret_uprobe},
            {"PQexecParams", p.pq_exec_params_uprobe, p.pq_exec_ret_uprobe},
            {"PQprepare", p.pq_prepare_uprobe, p.pq_exec_ret_uprobe},
            {"PQexecPrepared", p.pq_exec_prepared_uprobe, p.pq_exec_ret_uprobe},
            {"PQsendQuery", p.pq_send_query_uprobe, p.pq_send_ret_uprobe},
            {"PQsendQueryParams", p.pq_send_query_params_uprobe, p.pq_send_ret_uprobe},
            {"PQsendPrepare", p.pq_send_prepare_uprobe, p.pq_send_ret_uprobe},
            {"PQsendQueryPrepared", p.pq_send_query_prepared_uprobe, p.pq_send_ret_uprobe},
            {"PQgetResult", p.pq_get_result_uprobe, p.pq_get_result_ret_uprobe},
            {"PQfinish", p.pq_finish_uprobe, nullptr},
            {"PQreset", p.pq_finish_uprobe, nullptr},
            {"PQresetStart", p.pq_finish_uprobe, nullptr}};
  return {{"mysql_real_query", p.my_real_query_uprobe, p.my_ret_uprobe},
          {"mysql_send_query", p.my_send_query_uprobe, p.my_ret_uprobe},
          {"mysql_read_query_result", p.my_read_result_uprobe, p.my_ret_uprobe},
          {"mysql_stmt_prepare", p.my_stmt_prepare_uprobe, p.my_ret_uprobe},
          {"mysql_stmt_execute", p.my_stmt_execute_uprobe, p.my_ret_uprobe},
          {"mysql_close", p.my_close_uprobe, nullptr},
          {"mysql_stmt_close", p.my_stmt_close_uprobe, nullptr}};
}

int on_ringbuf_record(void* ctx, void* data, size_t size) {
  static_cast<Probe*>(ctx)->receive(data, size);
  return 0;
}

std::string process_comm(const std::filesystem::path& proc_root, int pid) {
  std::ifstream in(proc_root / std::to_string(pid) / "comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

}  // namespace

Result<AttachType> DbProbe::start(const ProbeConfig& config) {
  if (auto f = config.features->probe(AttachType::kUprobe); !f.works)
    return make_error("uprobe: " + f.reason);
  // No ladder: every program is a uprobe, attached per library file as libraries are found.
  LoadPlan<db_bpf> plan{{db_bpf__open, db_bpf__load, db_bpf__destroy}, {}, AttachType::kUprobe};
  plan.activity_map_fd = config.activity_map_fd;
  plan.configure = [](db_bpf* s) {
    bpf_program* prog;
    bpf_object__for_each_program(prog, s->obj) bpf_program__set_autoload(prog, true);
  };
  plan.after_load = [&](db_bpf* s) { write_targets(s, config.cgroup_ids); };
  auto loaded = load_skeleton(plan, *config.features);
  if (!loaded) return loaded.take_error();
  skel_ = std::move(loaded->skel);
  rb_.reset(ring_buffer__new(bpf_map__fd(skel_->maps.events), on_ringbuf_record, this, nullptr));
  if (!rb_) return make_error("cannot open ring buffer: " + libbpf_error(-errno));
  cgroup_paths_ = config.cgroup_paths;
  proc_root_ = config.proc_root;
  slow_threshold_ns_ = config.slow_threshold_ns;
  watch_.emplace(proc_root_, is_db_client_name);
  attach_new_libraries();
  return loaded->attach;
}

void DbProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (skel_) write_targets(skel_.get(), ids);
}

void DbProbe::set_target_cgroups(const std::vector<std::filesystem::path>& paths) {
  cgroup_paths_ = paths;
  attach_new_libraries();
}

bool DbProbe::attach_library(const FoundLibrary& lib, uint32_t library) {
  const auto hooks = hooks_for(skel_.get(), library);
  std::vector<std::string> names;
  for (const auto& h : hooks) names.emplace_back(h.function);
  auto offsets = function_file_offsets(lib.host_path, names);
  if (!offsets) {
    problems_ += fmt::format("{}{}: {}", problems_.empty() ? "" : "; ", lib.path, offsets.error());
    return false;
  }
  size_t attached = 0;
  for (const auto& h : hooks) {
    auto it = offsets->find(h.function);
    if (it == offsets->end()) {
      problems_ += fmt::format("{}{}: no {}", problems_.empty() ? "" : "; ", lib.path, h.function);
      continue;
    }
    // Every process that maps the file hits these (pid -1): the programs filter by cgroup
    // first. The return is attached before the entry, so no call is seen entering without
    // being seen returning (a connection's close has no return to see).
    LIBBPF_OPTS(bpf_uprobe_opts, ret_opts, .bpf_cookie = library, .retprobe = true);
    LIBBPF_OPTS(bpf_uprobe_opts, entry_opts, .bpf_cookie = library);
    LinkPtr ret(h.ret ? bpf_program__attach_uprobe_opts(h.ret, -1, lib.host_path.c_str(),
                                                        it->second, &ret_opts)
                      : nullptr);
    LinkPtr entry(ret || !h.ret ? bpf_program__attach_uprobe_opts(
                                      h.entry, -1, lib.host_path.c_str(), it->second, &entry_opts)
                                : nullptr);
    if ((h.ret && !ret) || !entry) {
      problems_ += fmt::format("{}{} uprobe on {}: {}", problems_.empty() ? "" : "; ", h.function,
                               lib.path, libbpf_error(-errno));
      continue;
    }
    if (ret) links_.push_back(std::move(ret));
    links_.push_back(std::move(entry));
    attached += h.ret != nullptr;  // a library is probed when its queries are
  }
  return attached > 0;
}

void DbProbe::attach_new_libraries() {
  if (!skel_ || !watch_) return;
  for (const auto& lib : watch_->scan(cgroup_paths_)) {
    const std::string base = lib.path.substr(lib.path.rfind('/') + 1);
    const uint32_t library = db_library_kind(base);
    if (!attach_library(lib, library)) continue;
    if (library == DB_LIB_MYSQLCLIENT) mysqlclient_ = true;
    aggregate_.add_library(
        {std::string(db_library_name(library)), lib.path, static_cast<uint32_t>(lib.pid)});
    pt_event_header h{};
    h.family = PT_FAMILY_DB;
    h.ts_ns = monotonic_ns();
    h.pid = h.tid = static_cast<uint32_t>(lib.pid);
    const std::string comm = process_comm(proc_root_, lib.pid);
    std::strncpy(h.comm, comm.c_str(), sizeof(h.comm) - 1);
    auto e = event_json(h, "db", "attached");
    e["library"] = db_library_name(library);
    e["path"] = lib.path;
    announcements_.push_back(std::move(e));
  }
}

void DbProbe::on_record(const void* data, size_t size, EventSink& sink) {
  if (size >= sizeof(pt_event_header) &&
      static_cast<const pt_event_header*>(data)->kind == DB_EVENT_CLOSED) {
    decode<db_closed_event>(data, size, [&](const db_closed_event& e) {
      uint64_t& latest = closed_[{e.hdr.pid, e.conn}];
      latest = std::max<uint64_t>(latest, e.hdr.ts_ns);
    });
    return;
  }
  decode<db_event>(data, size, [&](const db_event& e) {
    const std::string statement = aggregate_.add(e);
    if (!e.q.failed && e.latency_ns < slow_threshold_ns_) return;
    if (!sink.streams("db")) return;
    auto j = event_json(e.hdr, "db", e.q.failed ? "error" : "slow");
    j["system"] = db_system_name(e.q.system);
    j["op"] = db_op_name(e.q.op);
    j["function"] = db_function_name(e.q.fn);
    j["statement"] = statement;
    j["text"] = printable_statement(db_text(e.q), e.q.truncated, DbAggregator::kShownBytes);
    j["latency_ns"] = e.latency_ns;
    if (e.q.failed) j["error"] = db_error_text(e.q);
    sink.event(std::move(j));
  });
}

void DbProbe::flush(EventSink& sink) {
  if (!skel_) return;
  ring_buffer__consume(rb_.get());
  // A process that dlopen()ed a client library since the last tick is probed now.
  attach_new_libraries();
  sweep_ended_entries();
  for (auto& e : announcements_) sink.event(std::move(e));
  announcements_.clear();
}

void DbProbe::sweep_ended_entries() {
  const uint64_t now = monotonic_ns();
  if (now - last_sweep_ns_ < 1'000'000'000ull) return;
  last_sweep_ns_ = now;
  ListedPids listed(proc_root_);  // per tgid: a process holds at most a few connections
  // Keys alone where the process decides (the value is the BPF side's own struct).
  auto sweep_keys = [&](int fd, size_t most) {
    std::vector<db_conn_key> gone;
    db_conn_key key{}, next{};
    // A delete of the key the walk stands on restarts it from the first bucket: bounded.
    size_t steps = 0;
    for (bool first = true;
         steps++ < 2 * most && bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0;
         first = false) {
      key = next;
      if (!listed(key.tgid)) gone.push_back(key);
    }
    for (const auto& gone_key : gone) bpf_map_delete_elem(fd, &gone_key);
  };
  sweep_keys(bpf_map__fd(skel_->maps.pending), DB_MAX_PENDING);
  sweep_keys(bpf_map__fd(skel_->maps.mysql_prepared), DB_MAX_PREPARED);
  sweep_pg_prepared(listed);
}

void DbProbe::sweep_pg_prepared(ListedPids& listed) {
  const int fd = bpf_map__fd(skel_->maps.pg_prepared);
  std::vector<std::pair<db_prepared_key, uint64_t>> gone;  // with the close that ends it, or 0
  for_each_map_entry<db_prepared_key, ::db_text>(
      fd, [&](const db_prepared_key& key, const ::db_text& text) {
        if (!listed(key.tgid)) {
          gone.emplace_back(key, 0);
          return;
        }
        auto closed = closed_.find({key.tgid, key.conn});
        if (closed != closed_.end() && text.saved_ns < closed->second)
          gone.emplace_back(key, closed->second);
      });
  closed_.clear();
  for (const auto& [key, closed_ns] : gone) {
    // The same name prepared again, on a new connection at the freed PGconn's address, since
    // the walk read it: that text is live.
    ::db_text now{};
    if (closed_ns && bpf_map_lookup_elem(fd, &key, &now) == 0 && now.saved_ns >= closed_ns)
      continue;
    bpf_map_delete_elem(fd, &key);
  }
}

void DbProbe::fill(Report& report) {
  if (!skel_) return;
  std::vector<DbSystemRow> rows;
  const int stats_fd = bpf_map__fd(skel_->maps.db_stats);
  const int hist_fd = bpf_map__fd(skel_->maps.db_hist);
  const int dropped_fd = bpf_map__fd(skel_->maps.dropped);
  for (uint32_t system = 0; system < DB_SYSTEMS; ++system)
    rows.push_back({system, sum_op_stats(stats_fd, system), read_hist_row(hist_fd, system),
                    sum_percpu_u64(dropped_fd, system)});
  std::string status = problems_;
  if (links_.empty())
    status =
        "no libpq, libmariadb or libmysqlclient in the target's processes (drivers with "
        "their own protocol code, such as Go's pgx or JDBC, are not seen)" +
        (status.empty() ? "" : "; " + status);
  if (mysqlclient_)
    status += std::string(status.empty() ? "" : "; ") +
              "libmysqlclient errors are counted without their error code";
  report.set(aggregate_.build(rows, status));
}

LostCounts DbProbe::lost() const {
  if (!skel_) return {};
  return read_lost(bpf_map__fd(skel_->maps.lost));
}

}  // namespace podtrace::tracer
