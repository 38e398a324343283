// SPDX-License-Identifier: Apache-2.0
// Wires the harness together: state dir, PKI, store, API server, controllers, shutdown.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "api_server.h"
#include "cgroups.h"
#include "containerd_node.h"
#include "cri_client.h"
#include "node_agent.h"
#include "options.h"
#include "resource_api.h"
#include "store.h"

namespace podtrace::cluster {

class Cluster {
 public:
  explicit Cluster(Options options) : options_(std::move(options)) {}
  ~Cluster();

  // Sets everything up and writes DIR/ready; returns an error message, empty on success.
  std::string start();
  // Kills every pod process, removes the cgroups, stops serving.
  void stop();

 private:
  std::string create_from_manifest(const std::string& file);
  void control_loop();

  Options options_;
  Store store_;
  std::unique_ptr<CgroupTree> cgroups_;
  std::unique_ptr<ContainerdNode> node_;  // --runtime cri
  std::unique_ptr<CriClient> cri_;
  std::unique_ptr<NodeAgent> kubelet_;
  std::unique_ptr<ApiServer> server_;
  std::atomic<bool> stopping_{false};
  std::thread controllers_;
  bool stopped_ = false;
};

}  // namespace podtrace::cluster
