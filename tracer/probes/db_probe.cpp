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
  LoadPlan<db_bpf> plan{
      {db_bpf__open_opts, db_bpf__load, db_bpf__destroy}, {}, AttachType::kUprobe};
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
  // Queries in flight: keys alone (the value is the BPF side's own struct).
  const int pending_fd = bpf_map__fd(skel_->maps.pending);
  std::vector<db_conn_key> gone;
  db_conn_key key{}, next{};
  // A delete of the key the walk stands on restarts it from the first bucket: bounded.
  size_t steps = 0;
  for (bool first = true; steps++ < 2 * DB_MAX_PENDING &&
                          bpf_map_get_next_key(pending_fd, first ? nullptr : &key, &next) == 0;
       first = false) {
    key = next;
    if (!listed(key.tgid)) gone.push_back(key);
  }
  for (const auto& gone_key : gone) bpf_map_delete_elem(pending_fd, &gone_key);

  const uint64_t kExited = UINT64_MAX;
  sweep_statement_texts<db_conn_key>(
      DB_SYSTEM_MYSQL, bpf_map__fd(skel_->maps.mysql_prepared),
      [&](const db_conn_key& k, const ::db_text&) { return listed(k.tgid) ? 0 : kExited; });
  sweep_statement_texts<db_prepared_key>(
      DB_SYSTEM_POSTGRES, bpf_map__fd(skel_->maps.pg_prepared),
      [&](const db_prepared_key& k, const ::db_text& text) {
        if (!listed(k.tgid)) return kExited;
        auto closed = closed_.find({k.tgid, k.conn});
        return closed != closed_.end() && text.saved_ns < closed->second ? closed->second : 0;
      });
  closed_.clear();
}

template <typename Key, typename EndOf>
void DbProbe::sweep_statement_texts(uint32_t system, int fd, EndOf&& end_of) {
  std::vector<std::pair<Key, uint64_t>> gone;  // with what ended it
  std::vector<std::pair<uint64_t, Key>> kept;  // by last use
  for_each_map_entry<Key, ::db_text>(fd, [&](const Key& key, const ::db_text& text) {
    if (const uint64_t end = end_of(key, text))
      gone.emplace_back(key, end);
    else
      kept.emplace_back(text.used_ns, key);
  });
  for (const auto& [key, end] : gone) {
    // After a connection's close, the same name prepared again on a new connection at the freed
    // PGconn's address since the walk read it: that text is live.
    ::db_text now{};
    if (bpf_map_lookup_elem(fd, &key, &now) == 0 && now.saved_ns >= end) continue;
    bpf_map_delete_elem(fd, &key);
  }
  if (kept.size() <= DB_TEXTS_EVICT_ABOVE) return;
  const size_t evict = kept.size() - DB_TEXTS_KEPT_AFTER_EVICTION;
  // Oldest first: at every moment of the deletes, what the map holds is the newest texts.
  std::partial_sort(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(evict), kept.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t evicted = 0;
  for (size_t i = 0; i < evict; ++i) evicted += bpf_map_delete_elem(fd, &kept[i].second) == 0;
  texts_evicted_ += evicted;
  // Once the deletes are done: the stream says when the statements of older texts lost them.
  pt_event_header h{};
  h.family = PT_FAMILY_DB;
  h.ts_ns = monotonic_ns();
  auto e = event_json(h, "db", "texts_evicted");
  e["system"] = db_system_name(system);
  e["evicted"] = evicted;
  e["kept"] = kept.size() - evicted;  // what the walk saw, less what the deletes removed
  announcements_.push_back(std::move(e));
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
  if (texts_evicted_)
    status += fmt::format(
        "{}{} prepared statement texts evicted, least recently used first (ends the probes do "
        "not see, such as SQL's DEALLOCATE, filled the map)",
        status.empty() ? "" : "; ", texts_evicted_);
  report.set(aggregate_.build(rows, status));
}

LostCounts DbProbe::lost() const {
  if (!skel_) return {};
  return read_lost(bpf_map__fd(skel_->maps.lost));
}

std::span<const unsigned char> DbProbe::bpf_object() { return embedded_object(db_bpf__elf_bytes); }

}  // namespace podtrace::tracer
