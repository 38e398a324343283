// SPDX-License-Identifier: Apache-2.0
// feature_cache.h: the attach-type probes' answers, kept for the rest of the boot in a root-only
// file, so a tracer started again on the same node skips the probes (tens to hundreds of ms of
// start-up under load; docs/performance.md). The file is only a hint: one written for another
// boot, build, capability set or cgroup root, or that is damaged, not root's, writable by others
// or a link, is ignored and rewritten from fresh probes.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "cgroup.h"
#include "kernel_features.h"
#include "result.h"

namespace podtrace::tracer {

// What the answers depend on besides the kernel's own code.
struct FeatureCacheKey {
  std::string boot_id;       // /proc/sys/kernel/random/boot_id: a new boot, a new kernel
  std::string version;       // the tracer's
  std::string object;        // hash of features.bpf.c's object: what the probes load
  std::string capabilities;  // CapEff: --privileged=false Jobs have fewer answers
  std::string cgroup_root;   // where the cgroup attach probes look
  std::string tracefs;       // whether tracefs is mounted: the tracepoint probe needs it
  bool operator==(const FeatureCacheKey&) const = default;
};

// The key for this process now; nullopt when the boot id cannot be read (no cache then).
std::optional<FeatureCacheKey> current_feature_cache_key(const HostRoots& roots);

// Where the cache lives: $PODTRACE_FEATURE_CACHE when set (empty: no cache), else
// /run/podtrace/kernel-features (a tmpfs: gone at the next boot anyway).
std::filesystem::path feature_cache_path();

// Every attach type's answer, when `file` holds a well-formed cache for `key` that only this
// user can have written; nullopt otherwise.
std::optional<std::map<AttachType, FeatureResult>> read_feature_cache(
    const std::filesystem::path& file, const FeatureCacheKey& key);

// Replaces `file` atomically (its directory is created 0700 when missing). Refuses a directory
// that is not this user's or that others can write, and an incomplete set of answers.
Status write_feature_cache(const std::filesystem::path& file, const FeatureCacheKey& key,
                           const std::map<AttachType, FeatureResult>& answers);

// The tracer's start: seeds `live` from the cache when it answers for `key`, else probes every
// type and rewrites the cache. `fresh` (--check) always probes. True when the cache answered.
bool probe_features_cached(const LiveKernelFeatures& live, const std::filesystem::path& file,
                           const std::optional<FeatureCacheKey>& key, bool fresh);

}  // namespace podtrace::tracer
