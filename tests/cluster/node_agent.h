// SPDX-License-Identifier: Apache-2.0
// node_agent.h: what runs the pods bound to the harness's nodes: the process kubelet (pods as
// host processes in kubelet-style cgroups) or the CRI kubelet (pods as containerd containers).
#pragma once

namespace podtrace::cluster {

class NodeAgent {
 public:
  virtual ~NodeAgent() = default;
  // One reconciliation pass: start bound pods, observe exits, carry out deletions.
  virtual void sync() = 0;
  // Ends every pod and removes what was created for it.
  virtual void shutdown() = 0;
};

}  // namespace podtrace::cluster
