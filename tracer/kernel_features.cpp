// SPDX-License-Identifier: Apache-2.0
// kernel_features.cpp: probes attach types by loading and attaching empty programs.
#include "kernel_features.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "features.skel.h"
#include "libbpf_util.h"
#include "probes/uprobe_multi.h"

// A user-space function for the uprobe probe to attach to.
extern "C" __attribute__((noinline, used)) int podtrace_uprobe_probe_target(int x) {
  asm volatile("" ::: "memory");
  return x + 1;
}

namespace podtrace::tracer {

std::string_view attach_type_name(AttachType type) {
  switch (type) {
    case AttachType::kFentry:
      return "fentry";
    case AttachType::kKprobe:
      return "kprobe";
    case AttachType::kTpBtf:
      return "tp_btf";
    case AttachType::kRawTp:
      return "raw_tracepoint";
    case AttachType::kTracepoint:
      return "tracepoint";
    case AttachType::kUprobe:
      return "uprobe";
    case AttachType::kCgroupSockops:
      return "cgroup_sockops";
    case AttachType::kCgroupSkb:
      return "cgroup_skb";
    case AttachType::kRingbuf:
      return "ringbuf";
    case AttachType::kPerfEvent:
      return "perf_event";
    case AttachType::kUprobeMulti:
      return "uprobe_multi";
    case AttachType::kHashOnDemand:
      return "hash_on_demand";
    case AttachType::kTaskStorage:
      return "task_storage";
    case AttachType::kTaskCast:
      return "task_cast";
  }
  return "unknown";
}

std::optional<AttachType> attach_type_from_name(std::string_view name) {
  if (name == "raw_tp") return AttachType::kRawTp;
  for (AttachType type : kAllAttachTypes)
    if (attach_type_name(type) == name) return type;
  return std::nullopt;
}

FeatureResult LiveKernelFeatures::probe(AttachType type) const {
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(type);
    if (it != cache_.end()) return it->second;
  }
  // Two threads asking for the same type both try it; the answers are the same.
  FeatureResult r = try_attach(type);
  std::lock_guard lock(mutex_);
  return cache_.try_emplace(type, std::move(r)).first->second;
}

void LiveKernelFeatures::seed(const std::map<AttachType, FeatureResult>& known) const {
  std::lock_guard lock(mutex_);
  for (const auto& [type, result] : known) cache_.insert_or_assign(type, result);
}

std::map<AttachType, FeatureResult> LiveKernelFeatures::known() const {
  std::lock_guard lock(mutex_);
  return cache_;
}

void LiveKernelFeatures::settle() const {
  std::lock_guard lock(mutex_);
  closing_.wait();
}

void LiveKernelFeatures::probe_all() const {
  // try_attach silences libbpf by swapping its global print function; done once here, the
  // threads' swaps all save and restore the same silence.
  auto old_print = libbpf_set_print(nullptr);
  std::vector<std::thread> threads;
  for (AttachType type : kAllAttachTypes) threads.emplace_back([this, type] { (void)probe(type); });
  for (auto& t : threads) t.join();
  libbpf_set_print(old_print);
}

namespace {

bpf_program* program_for(features_bpf* skel, AttachType type) {
  switch (type) {
    case AttachType::kFentry:
      return skel->progs.probe_fentry;
    case AttachType::kKprobe:
      return skel->progs.probe_kprobe;
    case AttachType::kTpBtf:
      return skel->progs.probe_tp_btf;
    case AttachType::kRawTp:
      return skel->progs.probe_raw_tp;
    case AttachType::kTracepoint:
      return skel->progs.probe_tracepoint;
    case AttachType::kUprobe:
      return skel->progs.probe_uprobe;
    case AttachType::kCgroupSockops:
      return skel->progs.probe_sockops;
    case AttachType::kCgroupSkb:
      return skel->progs.probe_cgroup_skb;
    case AttachType::kRingbuf:
      return skel->progs.probe_ringbuf_output;
    case AttachType::kPerfEvent:
      return skel->progs.probe_perf_event;
    case AttachType::kUprobeMulti:
      return skel->progs.probe_uprobe_multi;
    case AttachType::kHashOnDemand:
      return skel->progs.probe_hash_on_demand;
    case AttachType::kTaskStorage:
      return skel->progs.probe_task_storage;
    case AttachType::kTaskCast:
      return skel->progs.probe_task_cast;
  }
  return nullptr;
}

// Our own v2 cgroup, when /proc/self/cgroup names it under `v2`: attaching there touches
// nothing else on the node. Inside a container with its own cgroup namespace the name is
// relative to that namespace and is not found under the host's hierarchy.
std::filesystem::path own_v2_cgroup(const std::filesystem::path& v2) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) != 0) continue;
    std::filesystem::path p = v2 / std::filesystem::path(line.substr(3)).relative_path();
    if (access((p / "cgroup.procs").c_str(), F_OK) == 0) return p;
  }
  return {};
}

// An empty cgroup of our own, for the attach probe when our cgroup cannot be found: attaching
// to it touches no process. Removed when the probe ends.
class ScratchCgroup {
 public:
  explicit ScratchCgroup(const std::filesystem::path& v2)
      : path_(v2 / ("podtrace-probe-" + std::to_string(getpid()))) {
    if (mkdir(path_.c_str(), 0700) != 0) path_.clear();
  }
  ~ScratchCgroup() {
    if (!path_.empty()) rmdir(path_.c_str());
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// As libbpf 1.3 probes it, without making a link: a uprobe_multi link on "/" (not a regular
// file) fails with EBADF where the link type exists; with pid -1 as well, kernels whose pid
// filter selects processes (6.9+; before, it matched only the thread with that id, so a
// process's other threads went unseen) refuse the pid first, with EINVAL.
FeatureResult uprobe_multi_answer(int prog_fd) {
  const std::vector<uint64_t> offsets = {0};
  int err = attach_uprobe_multi(prog_fd, "/", offsets, false, 0);
  if (err >= 0) close(err);
  if (err != -EBADF)
    return {false,
            err >= 0 ? "link_create accepted a directory" : "link_create: " + libbpf_error(err)};
  err = attach_uprobe_multi(prog_fd, "/", offsets, false, -1);
  if (err >= 0) close(err);
  if (err != -EINVAL)
    return {false, "its pid filter matches a thread, not a process (before Linux 6.9)"};
  return {true, ""};
}

}  // namespace

FeatureResult LiveKernelFeatures::try_attach(AttachType type) const {
  // libbpf prints verifier and attach failures to stderr; a probe failure is an answer here.
  auto old_print = libbpf_set_print(nullptr);
  SkeletonPtr<features_bpf> skel(features_bpf__open(), features_bpf__destroy);
  FeatureResult result;
  auto finish = [&](FeatureResult r) {
    libbpf_set_print(old_print);
    return r;
  };
  if (!skel) return finish({false, "cannot open BPF object"});
  bpf_object* obj = skel->obj;
  bpf_program* wanted = program_for(skel.get(), type);
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) bpf_program__set_autoload(prog, prog == wanted);
  if (type != AttachType::kRingbuf) bpf_map__set_autocreate(skel->maps.probe_ringbuf, false);
  if (type != AttachType::kHashOnDemand) bpf_map__set_autocreate(skel->maps.probe_hash, false);
  if (type != AttachType::kTaskStorage) bpf_map__set_autocreate(skel->maps.probe_task_slots, false);
  // libbpf 1.1 has no section name for it; the kernel wants the type at load.
  if (type == AttachType::kUprobeMulti)
    bpf_program__set_expected_attach_type(wanted,
                                          static_cast<bpf_attach_type>(kBpfTraceUprobeMulti));

  int err = features_bpf__load(skel.get());
  if (err) return finish({false, "load: " + libbpf_error(err)});

  if (type == AttachType::kUprobeMulti) return finish(uprobe_multi_answer(bpf_program__fd(wanted)));
  // The verifier's answer is the whole answer: the map's rule (and the helper's) is checked at
  // load.
  if (type == AttachType::kHashOnDemand || type == AttachType::kTaskStorage ||
      type == AttachType::kTaskCast)
    return finish({true, ""});

  LinkPtr link;
  if (type == AttachType::kUprobe) {
    LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "podtrace_uprobe_probe_target");
    link.reset(bpf_program__attach_uprobe_opts(wanted, 0, "/proc/self/exe", 0, &opts));
  } else if (type == AttachType::kCgroupSockops || type == AttachType::kCgroupSkb) {
    if (cgroups_.layout() == CgroupLayout::kLegacy)
      return finish({false, "no cgroup v2 hierarchy under " + cgroups_.roots().cgroup.string()});
    const std::filesystem::path v2 = cgroups_.v2_root();
    std::filesystem::path cg = own_v2_cgroup(v2);
    std::optional<ScratchCgroup> scratch;
    if (cg.empty()) cg = scratch.emplace(v2).path();
    int fd = cg.empty() ? -1 : open(cg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return finish({false, "no cgroup v2 directory to attach to under " + v2.string()});
    link.reset(bpf_program__attach_cgroup(wanted, fd));
    close(fd);
    // The link must go before the scratch cgroup can be removed.
    if (link) {
      link.reset();
      return finish({true, ""});
    }
  } else if (type == AttachType::kPerfEvent) {
    // A CPU clock on one CPU with a period so long it never fires: opening it answers
    // perf_event_paranoid and CAP_PERFMON, attaching answers the BPF side.
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.sample_period = 1ull << 62;
    const int pfd =
        static_cast<int>(syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC));
    if (pfd < 0) return finish({false, "perf_event_open: " + libbpf_error(-errno)});
    link.reset(bpf_program__attach_perf_event(wanted, pfd));
    if (!link) {
      const int err = -errno;
      close(pfd);
      return finish({false, "attach: " + libbpf_error(err)});
    }
  } else {
    link.reset(bpf_program__attach(wanted));
  }
  if (!link) return finish({false, "attach: " + libbpf_error(-errno)});
  // The link keeps its program loaded after the skeleton is gone.
  std::vector<OwnedLink> done;
  done.emplace_back(std::move(link));
  std::lock_guard lock(mutex_);
  closing_.retire(std::move(done));
  return finish({true, ""});
}

}  // namespace podtrace::tracer
