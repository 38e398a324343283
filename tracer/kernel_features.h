// SPDX-License-Identifier: Apache-2.0
// kernel_features.h: which attach types work on this kernel, learned by trying them once.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cgroup.h"

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
};

inline constexpr std::array kAllAttachTypes = {
    AttachType::kFentry,        AttachType::kKprobe,     AttachType::kTpBtf,
    AttachType::kRawTp,         AttachType::kTracepoint, AttachType::kUprobe,
    AttachType::kCgroupSockops, AttachType::kCgroupSkb,  AttachType::kRingbuf,
    AttachType::kPerfEvent};

std::string_view attach_type_name(AttachType type);

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

 private:
  FeatureResult try_attach(AttachType type) const;
  CgroupFs cgroups_;
  mutable std::map<AttachType, FeatureResult> cache_;
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
