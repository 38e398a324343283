// SPDX-License-Identifier: Apache-2.0
// kernel_features.h: which attach types work on this kernel, learned by trying them once.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "cgroup.h"
#include "probes/link_reaper.h"

namespace podtrace::tracer {

enum class AttachType {
  kFentry,
  kKprobe,
  kTpBtf,
  kRawTp,
  kTracepoint,
  kUprobe,
  kCgroupSockops,
  kCgroupSkb,
  kRingbuf,
  kPerfEvent,  // a BPF program on a perf event (the profile family's CPU clock)
  // One link for many uprobes of a file (Linux 6.6), with process (not thread) filtering by pid
  // (fixed in 6.9): the locks family's pthread probes.
  kUprobeMulti,
  // Not an attach type but a rule of the same probing: tracing programs (perf_event ones too)
  // may use hash maps that allocate their elements on update (BPF_F_NO_PREALLOC; Linux 6.1).
  // Where they may, the families' hash maps cost the node only the entries they hold.
  kHashOnDemand,
  // Also a rule: tracing programs may keep per-thread state in task storage (Linux 5.12). Where
  // they may, each thread's call in flight lives in its task (bpf/thread_slots.bpf.h), not in a
  // preallocated LRU hash keyed by tid.
  kTaskStorage,
  // Also a rule: tracing programs may cast a kernel pointer to an untrusted one for reading
  // with bpf_rdonly_cast() (Linux 6.2). Where they may, they read the current task through it
  // (bpf/task_reads.bpf.h): the same direct loads, without the verifier's searches of the
  // kernel's BTF for every pointer loaded from a trusted one.
  kTaskCast,
};

inline constexpr std::array kAllAttachTypes = {
    AttachType::kFentry,        AttachType::kKprobe,      AttachType::kTpBtf,
    AttachType::kRawTp,         AttachType::kTracepoint,  AttachType::kUprobe,
    AttachType::kCgroupSockops, AttachType::kCgroupSkb,   AttachType::kRingbuf,
    AttachType::kPerfEvent,     AttachType::kUprobeMulti, AttachType::kHashOnDemand,
    AttachType::kTaskStorage,   AttachType::kTaskCast};

std::string_view attach_type_name(AttachType type);
// The type named by attach_type_name() (or "raw_tp"); nullopt for other names.
std::optional<AttachType> attach_type_from_name(std::string_view name);

struct FeatureResult {
  bool works = false;
  std::string reason;  // why not, when it does not work
};

// Replaceable in tests to drive the fallback paths.
class KernelFeatures {
 public:
  virtual ~KernelFeatures() = default;
  virtual FeatureResult probe(AttachType type) const = 0;
  bool has(AttachType type) const { return probe(type).works; }
};

// Loads and attaches an empty program of each type from features.bpf.c; caches the answer.
class LiveKernelFeatures : public KernelFeatures {
 public:
  // `cgroups`: the host's cgroup mounts (in the tracer's container: under --cgroup-root); the
  // cgroup attach probes need a v2 directory there.
  explicit LiveKernelFeatures(CgroupFs cgroups = CgroupFs(HostRoots{}))
      : cgroups_(std::move(cgroups)) {}
  FeatureResult probe(AttachType type) const override;
  // Every type at once, one thread each: their loads and attaches overlap. Safe to call from
  // several threads, as probe() is.
  void probe_all() const;
  // Waits until the probes' links, closed in the background, are gone: for whoever counts the
  // process's fds or the system's BPF links.
  void settle() const;
  // Answers learned elsewhere (the per-boot cache, tracer/feature_cache.h): probe() returns
  // them without trying.
  void seed(const std::map<AttachType, FeatureResult>& known) const;
  // Every answer so far.
  std::map<AttachType, FeatureResult> known() const;

 private:
  FeatureResult try_attach(AttachType type) const;
  CgroupFs cgroups_;
  mutable std::mutex mutex_;  // guards cache_ and closing_
  mutable std::map<AttachType, FeatureResult> cache_;
  // A probe's link closes in the background: detaching a tracepoint or uprobe waits for RCU
  // grace periods (~100 ms each here), which nothing at start-up needs to wait for.
  mutable LinkReaper closing_;
};

// Another KernelFeatures with some types reported unavailable (--no-attach): every family then
// takes the next rung of its ladder, so the kernel matrix runs each rung on kernels that have
// the better ones.
class MaskedKernelFeatures : public KernelFeatures {
 public:
  MaskedKernelFeatures(const KernelFeatures& inner, std::set<AttachType> masked)
      : inner_(inner), masked_(std::move(masked)) {}
  FeatureResult probe(AttachType type) const override {
    if (masked_.count(type)) return {false, "disabled by --no-attach"};
    return inner_.probe(type);
  }

 private:
  const KernelFeatures& inner_;
  std::set<AttachType> masked_;
};

// A fixed answer per type, for tests.
class FixedKernelFeatures : public KernelFeatures {
 public:
  explicit FixedKernelFeatures(std::map<AttachType, bool> works) : works_(std::move(works)) {}
  FeatureResult probe(AttachType type) const override {
    auto it = works_.find(type);
    bool ok = it != works_.end() && it->second;
    return {ok, ok ? "" : "disabled by test"};
  }

 private:
  std::map<AttachType, bool> works_;
};

}  // namespace podtrace::tracer
