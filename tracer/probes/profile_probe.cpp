// SPDX-License-Identifier: Apache-2.0
// profile_probe.cpp: loads profile.bpf.c onto per-CPU perf events, reads its maps, resolves
// stacks and builds the CPU profile section.
#include "probes/profile_probe.h"

#include <fmt/format.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "proc_memory.h"
#include "profile.h"
#include "profile.skel.h"
#include "text.h"

namespace podtrace::tracer {

namespace {

std::string read_first_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool stored(uint64_t stack_id) { return stack_id >= PROFILE_STACK_STORED_MIN; }

// bpf/profile.bpf.c's warm_stack_store on every online CPU, before any sample (why: there).
// Best effort: where the kernel cannot run it (before 5.10), a first sample may lose a stack,
// and that loss is counted.
void warm_stack_store(bpf_program* warm, const std::vector<int>& cpus) {
  const int fd = bpf_program__fd(warm);
  for (int cpu : cpus) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_RUN_ON_CPU,
                .cpu = static_cast<__u32>(cpu));
    (void)bpf_prog_test_run_opts(fd, &opts);
  }
}

StackLoss read_loss(int fd, uint32_t kind) {
  auto at = [&](uint32_t err) { return sum_percpu_u64(fd, kind * PROFILE_ERR_MAX + err); };
  return {at(PROFILE_ERR_EFAULT), at(PROFILE_ERR_EEXIST), at(PROFILE_ERR_ENOMEM),
          at(PROFILE_ERR_OTHER)};
}

}  // namespace

std::optional<std::vector<int>> parse_cpu_list(std::string_view text) {
  std::vector<int> cpus;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    const size_t dash = part.find('-');
    int first = 0, last = 0;
    const std::string_view a = part.substr(0, dash);
    if (std::from_chars(a.data(), a.data() + a.size(), first).ptr != a.data() + a.size() ||
        a.empty())
      return std::nullopt;
    last = first;
    if (dash != std::string_view::npos) {
      const std::string_view b = part.substr(dash + 1);
      if (b.empty() ||
          std::from_chars(b.data(), b.data() + b.size(), last).ptr != b.data() + b.size() ||
          last < first)
        return std::nullopt;
    }
    for (int c = first; c <= last; ++c) cpus.push_back(c);
  }
  return cpus;
}

Result<AttachType> ProfileProbe::start(const ProbeConfig& config) {
  if (auto f = config.features->probe(AttachType::kPerfEvent); !f.works)
    return make_error("perf_event: " + f.reason);
  // No ladder: the one program runs on perf events this probe opens itself.
  LoadPlan<profile_bpf> plan{{profile_bpf__open_opts, profile_bpf__load, profile_bpf__destroy},
                             {},
                             AttachType::kPerfEvent};
  plan.configure = [](profile_bpf* s) {
    bpf_program__set_autoload(s->progs.profile_sample_perf, true);
    bpf_program__set_autoload(s->progs.warm_stack_store, true);
  };
  plan.after_load = [&](profile_bpf* s) { write_targets(s, config.cgroup_ids); };
  plan.attach_extra = [&](profile_bpf* s) { return open_perf_events(s); };
  proc_root_ = config.proc_root;
  auto loaded = load_skeleton(plan, *config.features);
  if (!loaded) {
    perf_links_.clear();
    return loaded.take_error();
  }
  skel_ = std::move(loaded->skel);
  symbolizer_.emplace(proc_root_);
  return loaded->attach;
}

Status ProfileProbe::open_perf_events(profile_bpf* skel) {
  perf_links_.clear();
  const auto online_path = std::filesystem::path("/sys/devices/system/cpu/online");
  const auto cpus = parse_cpu_list(read_first_line(online_path));
  if (!cpus) return make_error("cannot read the online CPUs from " + online_path.string());
  warm_stack_store(skel->progs.warm_stack_store, *cpus);
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.freq = 1;
  attr.sample_freq = PROFILE_SAMPLE_HZ;
  for (int cpu : *cpus) {
    // pid -1, one CPU: every task that runs there is sampled, and the program keeps the
    // target's samples only.
    const int fd =
        static_cast<int>(syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
    if (fd < 0) {
      const int err = errno;
      if (err == ENODEV) continue;  // went offline since the list was read
      perf_links_.clear();
      std::string why =
          fmt::format("perf_event_open(cpu-clock, CPU {}): {}", cpu, libbpf_error(-err));
      if (err == EACCES || err == EPERM)
        why += fmt::format(" (kernel.perf_event_paranoid={}; the tracer needs CAP_PERFMON)",
                           read_first_line(proc_root_ / "sys/kernel/perf_event_paranoid"));
      return make_error(why);
    }
    LinkPtr link(bpf_program__attach_perf_event(skel->progs.profile_sample_perf, fd));
    if (!link) {
      const int err = -errno;
      close(fd);
      perf_links_.clear();
      return make_error(
          fmt::format("attach to the perf event of CPU {}: {}", cpu, libbpf_error(err)));
    }
    // The link owns the fd from here: destroying it disables and closes the event.
    perf_links_.push_back(std::move(link));
  }
  if (perf_links_.empty()) return make_error("no online CPU to sample");
  return ok_status();
}

void ProfileProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (skel_) write_targets(skel_.get(), ids);
}

void ProfileProbe::discover_processes() {
  std::vector<std::pair<uint32_t, std::string>> fresh;
  for_each_map_entry<uint32_t, profile_proc>(
      bpf_map__fd(skel_->maps.procs), [&](const uint32_t& pid, const profile_proc& p) {
        if (!discovered_.count(pid)) fresh.emplace_back(pid, c_string(p.comm, sizeof(p.comm)));
      });
  for (auto& [pid, comm] : fresh) {
    discovered_.insert(pid);
    comms_[pid] = std::move(comm);
    renaming_[pid] = kRenameTicks;
    // A process gone already (shorter than one tick) keeps unresolved user frames.
    (void)symbolizer_->snapshot(pid);
  }
}

// The kernel saw the name at the first sample, which may be inside exec() or before the program
// named itself (prctl(PR_SET_NAME)); a live process's name now is the one it runs under, and one
// that exited keeps the last name seen. `all`: every process (for a report), else only those
// that appeared in the last second (each tick).
void ProfileProbe::refresh_names(bool all) {
  auto refresh = [&](uint32_t pid) {
    const std::string now = read_first_line(proc_root_ / std::to_string(pid) / "comm");
    if (!now.empty()) comms_[pid] = now;
  };
  if (all) {
    for (const auto& [pid, comm] : comms_) refresh(pid);
    return;
  }
  for (auto it = renaming_.begin(); it != renaming_.end();) {
    refresh(it->first);
    it = --it->second ? std::next(it) : renaming_.erase(it);
  }
}

void ProfileProbe::flush(EventSink&) {
  if (!skel_) return;
  discover_processes();
  // Each tick, so a name set right after exec() is caught even if the process exits soon.
  refresh_names(false);
}

const std::vector<uint64_t>* ProfileProbe::stack(uint64_t id) {
  auto it = stacks_.find(id);
  if (it != stacks_.end()) return &it->second;
  std::vector<uint64_t> ips(PROFILE_STACK_DEPTH);
  // Missing: released (release_stacks) after a sample that took the id before it was; not
  // cached, as the next sample of the same stack stores it again under the same id.
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.stacks), &id, ips.data()) != 0) return nullptr;
  // The walk ends at the first zero.
  for (size_t i = 0; i < ips.size(); ++i)
    if (ips[i] == 0) {
      ips.resize(i);
      break;
    }
  return &(stacks_[id] = std::move(ips));
}

// Every frame but the first is a return address: the call is the instruction before it, and
// after a call to a noreturn function the return address is already in the next function.
std::vector<ProfileFrame> ProfileProbe::user_frames(uint32_t pid,
                                                    const std::vector<uint64_t>& ips) {
  std::vector<ProfileFrame> frames;
  for (size_t i = 0; i < ips.size(); ++i) {
    const uint64_t addr = i == 0 ? ips[i] : ips[i] - 1;
    const auto key = std::pair{pid, addr};
    if (auto it = user_cache_.find(key); it != user_cache_.end()) {
      frames.push_back(it->second);
      continue;
    }
    ProfileFrame frame = symbolizer_->resolve(pid, addr);
    // A placeholder may resolve in a later report (a library loaded since the snapshot).
    if (frame.name.front() != '[') user_cache_.emplace(key, frame);
    frames.push_back(std::move(frame));
  }
  return frames;
}

std::vector<ProfileFrame> ProfileProbe::kernel_frames(const std::vector<uint64_t>& ips) {
  if (!kallsyms_) kallsyms_ = KernelSymbols::load(proc_root_ / "kallsyms");
  std::vector<ProfileFrame> frames;
  for (size_t i = 0; i < ips.size(); ++i) {
    const uint64_t addr = i == 0 ? ips[i] : ips[i] - 1;
    auto it = kernel_cache_.find(addr);
    if (it == kernel_cache_.end()) {
      auto f = kallsyms_->function_at(addr);
      ProfileFrame frame{f.name.empty() ? "[kernel]" : f.name,
                         f.module.empty() ? "kernel" : f.module, true};
      it = kernel_cache_.emplace(addr, std::move(frame)).first;
    }
    frames.push_back(it->second);
  }
  return frames;
}

ProfileStack ProfileProbe::resolve(const profile_key& key, uint64_t samples, Released& missing) {
  ProfileStack s;
  s.pid = key.pid;
  s.comm = comms_[key.pid];
  s.samples = samples;
  s.without_maps = !symbolizer_->known(key.pid);
  if (stored(key.user_stack_id)) {
    if (const auto* ips = stack(key.user_stack_id)) {
      s.user_depth = ips->size();
      s.user = user_frames(key.pid, *ips);
    } else {
      missing.user += samples;
    }
  }
  if (s.user.empty()) s.user.push_back({"[user stack lost]", "", false});
  const auto* kernel = stored(key.kernel_stack_id) ? stack(key.kernel_stack_id) : nullptr;
  if (kernel) {
    s.kernel = kernel_frames(*kernel);
  } else if (key.kernel_stack_id != PROFILE_STACK_NONE) {
    if (stored(key.kernel_stack_id)) missing.kernel += samples;
    s.kernel.push_back({"[kernel stack lost]", "kernel", true});
  }
  return s;
}

void ProfileProbe::release_stacks(const std::vector<std::pair<profile_key, uint64_t>>& gone,
                                  const std::set<uint64_t>& live) {
  const int fd = bpf_map__fd(skel_->maps.stacks);
  for (const auto& [key, samples] : gone)
    for (uint64_t id : {key.user_stack_id, key.kernel_stack_id}) {
      if (!stored(id) || live.count(id)) continue;
      bpf_map_delete_elem(fd, &id);
      stacks_.erase(id);
    }
  // Kernel frames are a function of the address alone: cheap to look up again, so the cache is
  // emptied rather than grown past a bound (a shell loop's processes reach new kernel paths).
  if (kernel_cache_.size() > kKernelFramesKept) kernel_cache_.clear();
}

void ProfileProbe::forget(uint32_t pid) {
  bpf_map_delete_elem(bpf_map__fd(skel_->maps.procs), &pid);
  discovered_.erase(pid);
  comms_.erase(pid);
  renaming_.erase(pid);
  user_cache_.erase(user_cache_.lower_bound({pid, 0}), user_cache_.lower_bound({pid + 1, 0}));
  symbolizer_->forget(pid);
}

void ProfileProbe::fill(Report& report) {
  if (!skel_) return;
  discover_processes();
  refresh_names(true);
  symbolizer_->new_round();
  ProfileTables tables = exited_;
  const int counts_fd = bpf_map__fd(skel_->maps.counts);
  ListedPids listed(proc_root_);
  std::vector<std::pair<profile_key, uint64_t>> gone;
  std::set<uint64_t> live_stacks;  // stack ids of the keys that stay in the kernel's map
  Released missing = exited_missing_;
  auto keep = [&](const profile_key& key, uint64_t samples) {
    live_stacks.insert(key.user_stack_id);
    live_stacks.insert(key.kernel_stack_id);
    tables.add(resolve(key, samples, missing));
  };
  for_each_map_entry<profile_key, uint64_t>(counts_fd,
                                            [&](const profile_key& key, const uint64_t& samples) {
                                              if (listed(key.pid))
                                                keep(key, samples);
                                              else
                                                gone.emplace_back(key, samples);
                                            });
  // A process that has exited takes no more samples: its stacks are final. They leave the
  // kernel's map (which holds PROFILE_MAX_KEYS) for exited_, and its names and mappings go.
  std::set<uint32_t> gone_pids;
  take_map_entries(
      counts_fd, gone,
      [&](const profile_key& key, uint64_t samples) {
        Released lost;
        const ProfileStack s = resolve(key, samples, lost);
        exited_missing_.user += lost.user;
        exited_missing_.kernel += lost.kernel;
        missing.user += lost.user;
        missing.kernel += lost.kernel;
        exited_.add(s);
        tables.add(s);
        gone_pids.insert(key.pid);
      },
      keep);
  for (uint32_t pid : gone_pids) forget(pid);
  // The stacks only exited processes' entries named leave the kernel's stack store and the cache:
  // the store holds PROFILE_MAX_STACKS and frees nothing itself, so a long trace of short-lived
  // processes would fill it (every later stack lost) and the cache with it.
  release_stacks(gone, live_stacks);
  exited_.bound(kExitedProcessesKept, kExitedLinesKept);

  ProfileTotals totals;
  totals.frequency_hz = PROFILE_SAMPLE_HZ;
  totals.samples = sum_percpu_u64(bpf_map__fd(skel_->maps.totals), PROFILE_TOTAL_SAMPLES);
  const int errors_fd = bpf_map__fd(skel_->maps.stack_errors);
  totals.user_lost = read_loss(errors_fd, PROFILE_STACK_USER);
  totals.kernel_lost = read_loss(errors_fd, PROFILE_STACK_KERNEL);
  totals.user_lost.other += missing.user;
  totals.kernel_lost.other += missing.kernel;
  if (kallsyms_) totals.kernel_symbols = kallsyms_->status();
  report.set(std::move(tables).report(totals));
}

std::map<uint32_t, uint64_t> ProfileProbe::kernel_samples_by_pid() const {
  std::map<uint32_t, uint64_t> out;
  for_each_map_entry<profile_key, uint64_t>(
      bpf_map__fd(skel_->maps.counts),
      [&](const profile_key& key, const uint64_t& samples) { out[key.pid] += samples; });
  return out;
}

size_t ProfileProbe::kernel_stacks() const {
  const int fd = bpf_map__fd(skel_->maps.stacks);
  size_t n = 0;
  uint64_t key = 0;  // the kernel reads the previous key before it writes the next one
  for (uint64_t* prev = nullptr; bpf_map_get_next_key(fd, prev, &key) == 0; prev = &key) ++n;
  return n;
}

LostCounts ProfileProbe::lost() const {
  if (!skel_) return {};
  return read_lost(bpf_map__fd(skel_->maps.lost));
}

std::span<const unsigned char> ProfileProbe::bpf_object() {
  return embedded_object(profile_bpf__elf_bytes);
}

}  // namespace podtrace::tracer
