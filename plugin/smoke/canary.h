// SPDX-License-Identifier: Apache-2.0
// canary.h: the smoke check's canary pod. It runs podtrace-canary from the tracer image (one
// image to mirror), does a known workload once the tracer is attached, and prints one `done`
// line that says what it did.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kube/rest_client.h"
#include "result.h"

namespace podtrace::plugin {

struct CanaryWorkload {
  std::string file = "/tmp/podtrace-canary.dat";
  int writes = 20;  // each one 4096-byte write, then fsync
  int lookups = 3;  // getaddrinfo(dns_name), IPv4 only: one A query each
  std::string dns_name = "kubernetes.default.svc.cluster.local.";
  static constexpr int kBlockBytes = 4096;
};

struct CanarySpec {
  std::string name;
  std::string namespace_;
  std::string image;
  CanaryWorkload workload;
};

// What the canary's `done` line says it did.
struct CanaryDone {
  bool traced = false;  // it saw the tracer's uprobe before starting
  int writes = 0;
  int lookups = 0;
  int resolved = 0;  // lookups that returned an address
};

// A pod that passes the `restricted` Pod Security Standard: non-root, no privilege escalation,
// no capabilities, RuntimeDefault seccomp. It deletes itself from the node after 10 minutes
// (activeDeadlineSeconds) should the plugin die before cleaning up.
nlohmann::json canary_pod_manifest(const CanarySpec& spec);

// Parses the canary's log; nullopt until the `done` line is there.
std::optional<CanaryDone> parse_canary_log(const std::string& log);

// Waits until the canary runs; the error names the reason (image pull, scheduling…).
Result<std::string> wait_for_canary(kube::RestClient& client, const CanarySpec& spec,
                                    std::chrono::milliseconds timeout,
                                    const std::function<bool()>& should_stop);

// The canary container's log so far.
Result<std::string> read_canary_log(kube::RestClient& client, const CanarySpec& spec);

}  // namespace podtrace::plugin
