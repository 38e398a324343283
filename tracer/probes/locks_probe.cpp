// SPDX-License-Identifier: Apache-2.0
// locks_probe.cpp: loads locks.bpf.c (futex syscalls on the family's ladder, kernel lock
// tracepoints and pthread uprobes beside it), attaches the uprobes per target process, and builds
// the locks section.
#include "probes/locks_probe.h"

#include <fmt/format.h>
#include <time.h>

#include <array>
#include <cstring>
#include <set>

#include "clock.h"
#include "locks.h"
#include "locks.skel.h"
#include "probes/locks_aggregate.h"
#include "probes/uprobe_multi.h"
#include "text.h"

namespace podtrace::tracer {

namespace {

// A pthread call that did not sleep in a futex wait counts as a wait from this long (spinning,
// preempted); the report states it.
constexpr uint64_t kMinWaitNs = 1'000'000;
// New processes of the target get their pthread probes within this long.
constexpr uint64_t kRescanNs = 1'000'000'000;

// False only when tracefs is mounted and lacks the event: without tracefs, attaching decides.
bool tracepoint_missing(std::string_view category, std::string_view event) {
  for (const char* root : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    const std::filesystem::path events = std::filesystem::path(root) / "events";
    std::error_code ec;
    if (!std::filesystem::exists(events / "syscalls", ec)) continue;
    return !std::filesystem::exists(events / category / event, ec);
  }
  return false;
}

struct PthreadFunction {
  const char* name;
  uint32_t kind;  // LOCKS_KIND_*: which entry program
};

// The waiting pthread lock calls. Variants a libc lacks (clocklock before glibc 2.30, musl) are
// skipped; pthread_mutex_lock, the first, must be there.
constexpr std::array kPthreadFunctions = {
    PthreadFunction{"pthread_mutex_lock", LOCKS_KIND_MUTEX},
    PthreadFunction{"pthread_mutex_timedlock", LOCKS_KIND_MUTEX},
    PthreadFunction{"pthread_mutex_clocklock", LOCKS_KIND_MUTEX},
    PthreadFunction{"pthread_rwlock_rdlock", LOCKS_KIND_RWLOCK_READ},
    PthreadFunction{"pthread_rwlock_timedrdlock", LOCKS_KIND_RWLOCK_READ},
    PthreadFunction{"pthread_rwlock_clockrdlock", LOCKS_KIND_RWLOCK_READ},
    PthreadFunction{"pthread_rwlock_wrlock", LOCKS_KIND_RWLOCK_WRITE},
    PthreadFunction{"pthread_rwlock_timedwrlock", LOCKS_KIND_RWLOCK_WRITE},
    PthreadFunction{"pthread_rwlock_clockwrlock", LOCKS_KIND_RWLOCK_WRITE},
};

bpf_program* entry_program(locks_bpf* s, uint32_t kind, bool multi) {
  if (kind == LOCKS_KIND_RWLOCK_READ)
    return multi ? s->progs.rdlock_enter_umulti : s->progs.rdlock_enter_uprobe;
  if (kind == LOCKS_KIND_RWLOCK_WRITE)
    return multi ? s->progs.wrlock_enter_umulti : s->progs.wrlock_enter_uprobe;
  return multi ? s->progs.mutex_enter_umulti : s->progs.mutex_enter_uprobe;
}

}  // namespace

void LocksProbe::choose_klock_hook(const KernelFeatures& features) {
  // Each hook needs the lock tracepoints (Linux 5.19); tp_btf also needs them in the BTF.
  if (features.has(AttachType::kTpBtf) &&
      libbpf_find_vmlinux_btf_id("contention_begin", BPF_TRACE_RAW_TP) > 0)
    klock_hook_ = KlockHook::kTpBtf;
  else if (features.has(AttachType::kRawTp))
    klock_hook_ = KlockHook::kRawTp;
  else if (features.has(AttachType::kTracepoint))
    klock_hook_ = KlockHook::kTracepoint;
  else
    kernel_status_ = "off: neither tp_btf, raw_tracepoint nor tracepoint works here";
}

void LocksProbe::configure(locks_bpf* s) {
  // The futex programs follow the ladder; the per-syscall tracepoints or functions of syscalls
  // this kernel lacks (futex_waitv before 5.16, futex_wait before 6.7) would fail the whole rung.
  if (bpf_program__autoload(s->progs.futex_enter_tp)) {
    const bool waitv = !tracepoint_missing("syscalls", "sys_enter_futex_waitv");
    const bool wait2 = !tracepoint_missing("syscalls", "sys_enter_futex_wait");
    bpf_program__set_autoload(s->progs.futex_waitv_enter_tp, waitv);
    bpf_program__set_autoload(s->progs.futex_waitv_exit_tp, waitv);
    bpf_program__set_autoload(s->progs.futex2_wait_enter_tp, wait2);
    bpf_program__set_autoload(s->progs.futex2_wait_exit_tp, wait2);
  }
  if (bpf_program__autoload(s->progs.futex_enter_fentry)) {
    const bool waitv = libbpf_find_vmlinux_btf_id("__x64_sys_futex_waitv", BPF_TRACE_FENTRY) > 0;
    const bool wait2 = libbpf_find_vmlinux_btf_id("__x64_sys_futex_wait", BPF_TRACE_FENTRY) > 0;
    bpf_program__set_autoload(s->progs.futex_waitv_enter_fentry, waitv);
    bpf_program__set_autoload(s->progs.futex_waitv_exit_fentry, waitv);
    bpf_program__set_autoload(s->progs.futex2_wait_enter_fentry, wait2);
    bpf_program__set_autoload(s->progs.futex2_wait_exit_fentry, wait2);
  }
  bpf_program__set_autoload(s->progs.klock_begin_kbtf, klock_hook_ == KlockHook::kTpBtf);
  bpf_program__set_autoload(s->progs.klock_end_kbtf, klock_hook_ == KlockHook::kTpBtf);
  bpf_program__set_autoload(s->progs.klock_begin_kraw, klock_hook_ == KlockHook::kRawTp);
  bpf_program__set_autoload(s->progs.klock_end_kraw, klock_hook_ == KlockHook::kRawTp);
  bpf_program__set_autoload(s->progs.klock_begin_ktp, klock_hook_ == KlockHook::kTracepoint);
  bpf_program__set_autoload(s->progs.klock_end_ktp, klock_hook_ == KlockHook::kTracepoint);
  // One set of pthread programs, chosen by the uprobe_multi probe: each set costs ~60 ms of
  // verification at start-up.
  for (bpf_program* p : {s->progs.mutex_enter_uprobe, s->progs.rdlock_enter_uprobe,
                         s->progs.wrlock_enter_uprobe, s->progs.lock_exit_uprobe})
    bpf_program__set_autoload(p, uprobes_ && multi_ == Multi::kNo);
  for (bpf_program* p : {s->progs.mutex_enter_umulti, s->progs.rdlock_enter_umulti,
                         s->progs.wrlock_enter_umulti, s->progs.lock_exit_umulti}) {
    bpf_program__set_autoload(p, uprobes_ && multi_ == Multi::kYes);
    bpf_program__set_expected_attach_type(p, static_cast<bpf_attach_type>(kBpfTraceUprobeMulti));
  }
}

void LocksProbe::attach_kernel_locks(locks_bpf* s) {
  klock_links_.clear();
  if (klock_hook_ == KlockHook::kNone) return;
  const bool btf = klock_hook_ == KlockHook::kTpBtf, raw = klock_hook_ == KlockHook::kRawTp;
  bpf_program* begin = btf   ? s->progs.klock_begin_kbtf
                       : raw ? s->progs.klock_begin_kraw
                             : s->progs.klock_begin_ktp;
  bpf_program* end = btf   ? s->progs.klock_end_kbtf
                     : raw ? s->progs.klock_end_kraw
                           : s->progs.klock_end_ktp;
  const char* hook = btf ? "tp_btf" : raw ? "raw_tracepoint" : "tracepoint";
  for (bpf_program* p : {begin, end}) {
    LinkPtr link(bpf_program__attach(p));
    if (!link) {
      kernel_status_ =
          fmt::format("off: {} lock/{}: {}", hook, bpf_program__name(p), libbpf_error(-errno));
      klock_links_.clear();
      return;
    }
    klock_links_.push_back(std::move(link));
  }
  kernel_status_ = fmt::format("active: {}", hook);
}

Result<AttachType> LocksProbe::start(const ProbeConfig& config) {
  started_ns_ = monotonic_ns();
  uprobes_ = config.features->has(AttachType::kUprobe);
  if (!uprobes_) uprobe_reason_ = config.features->probe(AttachType::kUprobe).reason;
  multi_ = config.features->has(AttachType::kUprobeMulti) ? Multi::kYes : Multi::kNo;
  // A way to run the per-function uprobes of kernels before 6.6 on a newer one (tests; the
  // tracer's --no-attach uprobe_multi does the same).
  if (const char* m = std::getenv("PODTRACE_UPROBE_MULTI"); m && std::string_view(m) == "off")
    multi_ = Multi::kNo;
  choose_klock_hook(*config.features);
  LoadPlan<locks_bpf> plan{{locks_bpf__open_opts, locks_bpf__load, locks_bpf__destroy},
                           // The futex hooks follow fileio's choice (syscall_hooks.h).
                           syscall_hook_ladder(config.syscall_hooks),
                           std::nullopt};
  plan.activity_map_fd = config.activity_map_fd;
  plan.configure = [&](locks_bpf* s) {
    configure(s);
    s->rodata->slow_threshold_ns = config.slow_threshold_ns;
    s->rodata->mutex_min_wait_ns = kMinWaitNs;
  };
  plan.after_load = [&](locks_bpf* s) { write_targets(s, config.cgroup_ids); };
  plan.attach_extra = [&](locks_bpf* s) -> Status {
    // Outside the ladder and never fatal: futex waits are worth having without the rest.
    attach_kernel_locks(s);
    return ok_status();
  };
  auto loaded = load_skeleton(plan, *config.features);
  if (!loaded) return loaded.take_error();
  loaded_ = std::move(*loaded);
  futex_status_ = fmt::format("active: {}", attach_type_name(loaded_.attach));
  if (!bpf_program__autoload(loaded_.skel->progs.futex_waitv_enter_tp) &&
      !bpf_program__autoload(loaded_.skel->progs.futex_waitv_enter_fentry) &&
      !bpf_program__autoload(loaded_.skel->progs.futex_sys_enter_btf) &&
      !bpf_program__autoload(loaded_.skel->progs.futex_sys_enter_raw))
    futex_status_ += " (this kernel has no futex_waitv)";
  cgroup_paths_ = config.cgroup_paths;
  proc_root_ = config.proc_root;
  symbolizer_.emplace(proc_root_);
  attach_processes();
  return loaded_.attach;
}

void LocksProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (loaded_.skel) write_targets(loaded_.skel.get(), ids);
}

void LocksProbe::set_target_cgroups(const std::vector<std::filesystem::path>& paths) {
  cgroup_paths_ = paths;
  attach_processes();
}

const std::map<std::string, uint64_t>* LocksProbe::pthread_offsets(
    const std::filesystem::path& path, const std::string& lib) {
  FileId id;
  if (!file_id(path, id)) {
    uprobe_reason_ = fmt::format("cannot open {}", lib);
    return nullptr;
  }
  auto it = offsets_.find(id);
  if (it == offsets_.end()) {
    std::vector<std::string> names;
    for (const auto& fn : kPthreadFunctions) names.emplace_back(fn.name);
    auto found = function_offsets(path, names);
    if (!found) {
      uprobe_reason_ = found.error();
      return nullptr;
    }
    it = offsets_.emplace(id, std::move(*found)).first;
  }
  if (!it->second.count(kPthreadFunctions.front().name)) {
    uprobe_reason_ = fmt::format("no {} in {}", kPthreadFunctions.front().name, lib);
    return nullptr;
  }
  return &it->second;
}

int LocksProbe::attach_multi(int pid, const std::filesystem::path& path,
                             const std::map<std::string, uint64_t>& offsets,
                             std::vector<OwnedLink>& links) {
  // One link for every return, then one per entry program with its functions. The return link
  // first: an entry seen without its return would leave a call in flight.
  std::vector<uint64_t> all;
  std::map<uint32_t, std::vector<uint64_t>> by_kind;
  for (const auto& fn : kPthreadFunctions)
    if (auto it = offsets.find(fn.name); it != offsets.end()) {
      all.push_back(it->second);
      by_kind[fn.kind].push_back(it->second);
    }
  const int ret_fd = attach_uprobe_multi(bpf_program__fd(loaded_.skel->progs.lock_exit_umulti),
                                         path, all, true, pid);
  if (ret_fd < 0) return ret_fd;
  links.push_back(OwnedLink::from_fd(ret_fd));
  for (const auto& [kind, kind_offsets] : by_kind) {
    const int fd =
        attach_uprobe_multi(bpf_program__fd(entry_program(loaded_.skel.get(), kind, true)), path,
                            kind_offsets, false, pid);
    if (fd < 0) return fd;
    links.push_back(OwnedLink::from_fd(fd));
  }
  return 0;
}

bool LocksProbe::attach_per_function(int pid, const std::filesystem::path& path,
                                     const std::string& lib,
                                     const std::map<std::string, uint64_t>& offsets,
                                     std::vector<OwnedLink>& links) {
  for (const auto& fn : kPthreadFunctions) {
    auto offset = offsets.find(fn.name);
    if (offset == offsets.end()) continue;
    // The return probe first: an entry seen without its return would leave a call in flight.
    LIBBPF_OPTS(bpf_uprobe_opts, exit, .retprobe = true);
    LinkPtr ret(bpf_program__attach_uprobe_opts(loaded_.skel->progs.lock_exit_uprobe, pid,
                                                path.c_str(), offset->second, &exit));
    LinkPtr entry(
        ret ? bpf_program__attach_uprobe_opts(entry_program(loaded_.skel.get(), fn.kind, false),
                                              pid, path.c_str(), offset->second, nullptr)
            : nullptr);
    if (!ret || !entry) {
      uprobe_reason_ =
          fmt::format("uprobe {} in {} (pid {}): {}", fn.name, lib, pid, libbpf_error(-errno));
      return false;
    }
    links.emplace_back(std::move(ret));
    links.emplace_back(std::move(entry));
  }
  return true;
}

void LocksProbe::attach_process(const TargetProcess& process) {
  ProbedProcess& probed = processes_[process.pid];
  if (probed.attached) return;
  // glibc before 2.34 has the real pthread functions in libpthread (libc's are forwarders);
  // glibc 2.34+ and musl have them in libc.
  auto libs = library_paths(process.maps, is_libpthread_name);
  if (libs.empty()) libs = library_paths(process.maps, is_libc_name);
  if (libs.empty()) return;
  const auto path = host_path(proc_root_, process.pid, libs.front());
  // Offsets found once per file; a function the library lacks (clocklock before glibc 2.30,
  // musl) is skipped. Per process, not per file: only the target's own processes take the
  // breakpoints, so a pod sharing the libc file (the same image layer) pays nothing.
  const auto* offsets = pthread_offsets(path, libs.front());
  if (!offsets) return;
  std::vector<OwnedLink> links;
  if (multi_ == Multi::kYes) {
    if (const int err = attach_multi(process.pid, path, *offsets, links); err != 0) {
      uprobe_reason_ = fmt::format("uprobe_multi in {} (pid {}): {}", libs.front(), process.pid,
                                   libbpf_error(err));
      return;
    }
  }
  if (multi_ == Multi::kNo &&
      !attach_per_function(process.pid, path, libs.front(), *offsets, links))
    return;
  probed.links = std::move(links);
  probed.attached = true;
}

void LocksProbe::attach_processes() {
  if (!loaded_.skel) return;
  last_scan_ns_ = monotonic_ns();
  std::set<int> alive;
  for (const auto& process : read_target_processes(proc_root_, cgroup_paths_)) {
    alive.insert(process.pid);
    if (uprobes_) attach_process(process);
  }
  // A process that exited needs no probes.
  for (auto& [pid, p] : processes_)
    if (!alive.count(pid) && !p.links.empty()) reaper_.retire(std::move(p.links));
}

LocksProbe::~LocksProbe() {
  std::vector<OwnedLink> links;
  for (auto& l : klock_links_) links.emplace_back(std::move(l));
  for (auto& l : loaded_.links) links.emplace_back(std::move(l));
  for (auto& [pid, p] : processes_)
    for (auto& l : p.links) links.push_back(std::move(l));
  destroy_links_in_parallel(std::move(links));
}

int LocksProbe::ringbuf_fd() const {
  return loaded_.skel ? bpf_map__fd(loaded_.skel->maps.events) : -1;
}

std::string LocksProbe::describe_caller(uint32_t pid, uint64_t addr) {
  const ProfileFrame frame = symbolizer_ && symbolizer_->known(pid)
                                 ? symbolizer_->resolve(pid, addr)
                                 : ProfileFrame{"[unknown]", "", false};
  // Without a symbol: the address, and the file it is in when known.
  if (frame.name.starts_with('['))
    return frame.module.empty() ? fmt::format("{:#x}", addr)
                                : fmt::format("{:#x} ({})", addr, frame.module);
  return fmt::format("{} ({})", frame.name, frame.module);
}

void LocksProbe::on_record(const void* data, size_t size, EventSink& sink) {
  decode<locks_event>(data, size, [&](const locks_event& e) {
    if (e.hdr.kind == LOCKS_EVENT_NEW_LOCK) {
      // Read the binaries of a process once it has a contended lock, while it runs: they
      // still name its callers after it exits. Not before: reading every process's binaries
      // at start would cost processes that never contend.
      if (symbolizer_ && !symbolizer_->known(e.hdr.pid)) symbolizer_->snapshot(e.hdr.pid);
    } else if (!sink.streams("locks")) {
      return;
    } else if (e.hdr.kind == LOCKS_EVENT_SLOW_USER) {
      auto j = event_json(e.hdr, "locks", "slow_lock");
      j["lock"] = std::string(lock_kind_name(e.kind));
      j["addr"] = fmt::format("{:#x}", e.addr);
      j["wait_ns"] = e.wait_ns;
      j["caller"] = describe_caller(e.hdr.pid, e.caller);
      if (e.ret) j["error"] = errno_name(e.ret);
      sink.event(std::move(j));
    } else if (e.hdr.kind == LOCKS_EVENT_SLOW_KERNEL) {
      auto j = event_json(e.hdr, "locks", "slow_kernel_lock");
      j["type"] = kernel_lock_type(e.flags);
      j["flags"] = kernel_lock_flags_text(e.flags);
      j["addr"] = fmt::format("{:#x}", e.addr);
      j["name"] = std::string(kernel_lock_class_name(e.kclass));
      j["wait_ns"] = e.wait_ns;
      sink.event(std::move(j));
    }
  });
}

void LocksProbe::flush(EventSink&) {
  if (!loaded_.skel) return;
  // Processes that start later (or exec) need their own probes.
  if (monotonic_ns() - last_scan_ns_ > kRescanNs) attach_processes();
}

std::string LocksProbe::mutex_status() const {
  if (!uprobes_) return "off: uprobes unavailable: " + uprobe_reason_;
  size_t probed = 0;
  for (const auto& [pid, p] : processes_) probed += p.attached;
  if (probed)
    return fmt::format("active: {} in {} process{}",
                       multi_ == Multi::kYes ? "uprobe_multi" : "uprobes", probed,
                       probed == 1 ? "" : "es");
  if (!uprobe_reason_.empty()) return "off: " + uprobe_reason_;
  return "off: no target process maps a libc with pthread_mutex_lock (static binary?)";
}

void LocksProbe::fill(Report& report) {
  if (!loaded_.skel) return;
  const auto& maps = loaded_.skel->maps;
  if (symbolizer_) symbolizer_->new_round();
  LocksAggregator agg;
  agg.set_window(monotonic_ns() - started_ns_);
  agg.set_status(futex_status_, mutex_status(), kernel_status_);
  agg.set_min_wait(kMinWaitNs);
  const int kind_fd = bpf_map__fd(maps.kind_stats);
  for (uint32_t kind = 0; kind < LOCKS_KIND_MAX; ++kind) {
    locks_kind_stats total{};
    for (const auto& s : lookup_percpu<locks_kind_stats>(kind_fd, kind)) {
      total.calls += s.calls;
      total.waits += s.waits;
      total.not_blocked += s.not_blocked;
      total.total_ns += s.total_ns;
      total.max_ns = std::max(total.max_ns, s.max_ns);
    }
    agg.add_kind(kind, total, read_hist_row(bpf_map__fd(maps.kind_hist), kind));
  }
  for_each_map_entry<locks_lock_key, locks_lock_stats>(
      bpf_map__fd(maps.lock_stats), [&](const auto& key, const auto& s) {
        agg.add_lock(key, s,
                     key.kind == LOCKS_KIND_FUTEX ? "" : describe_caller(key.tgid, s.caller));
      });
  for_each_map_entry<locks_waiter_key, locks_waiter_stats>(
      bpf_map__fd(maps.waiter_stats),
      [&](const auto& key, const auto& s) { agg.add_waiter(key, s); });
  for_each_map_entry<locks_hist_key, uint64_t>(
      bpf_map__fd(maps.lock_hist), [&](const auto& key, uint64_t n) { agg.add_hist(key, n); });
  for_each_map_entry<locks_klock_key, locks_klock_stats>(
      bpf_map__fd(maps.klock_stats),
      [&](const auto& key, const auto& s) { agg.add_kernel_lock(key, s); });
  for_each_map_entry<uint32_t, pt_op_stats>(
      bpf_map__fd(maps.klock_type_stats),
      [&](uint32_t flags, const pt_op_stats& s) { agg.add_kernel_type(flags, s); });
  for_each_map_entry<uint32_t, uint64_t>(
      bpf_map__fd(maps.klock_hist), [&](uint32_t key, uint64_t n) { agg.add_kernel_hist(key, n); });
  report.set(agg.build());
}

LostCounts LocksProbe::lost() const {
  if (!loaded_.skel) return {};
  return read_lost(bpf_map__fd(loaded_.skel->maps.lost));
}

std::span<const unsigned char> LocksProbe::bpf_object() {
  return embedded_object(locks_bpf__elf_bytes);
}

}  // namespace podtrace::tracer
