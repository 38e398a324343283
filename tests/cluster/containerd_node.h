// SPDX-License-Identifier: Apache-2.0
// containerd_node.h: the real node under the harness: a containerd of its own (own config,
// root, state and socket), its CRI plugin wired to CNI (Debian's bridge and host-local plugins
// on a bridge the harness creates), a node-local dnsmasq on the bridge address for the pods'
// resolv.conf, and the images of `make image` imported into the k8s.io namespace. stop() leaves
// nothing behind: no daemon, shim, bridge or mount.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace podtrace::cluster {

struct ContainerdNodeConfig {
  std::string dir;                  // everything lives under dir/node
  std::vector<std::string> images;  // OCI archives to import
  std::string pause_image = "docker.io/podtrace/podtrace-pause:0.1.0";
  std::string bridge = "ptcni0";
  std::string subnet = "10.88.77";         // /24; .1 is the bridge, the gateway and the DNS
  std::vector<std::string> dns_records;    // dnsmasq --host-record values: "name,ip"
  std::vector<std::string> image_aliases;  // "existing=alias": `ctr images tag` after import
  std::string runc = "runc";               // the OCI runtime binary (a wrapper, to debug it)
};

class ContainerdNode {
 public:
  ContainerdNode() = default;
  ContainerdNode(const ContainerdNode&) = delete;
  ContainerdNode& operator=(const ContainerdNode&) = delete;
  ~ContainerdNode() { stop(); }

  // "" on success, else why the node could not start (and what was started is stopped).
  std::string start(const ContainerdNodeConfig& config);
  void stop();

  std::string socket() const { return root_ + "/containerd.sock"; }
  std::string dns_server() const { return config_.subnet + ".1"; }
  std::string node_ip() const { return config_.subnet + ".1"; }

 private:
  std::string write_configs();
  std::string start_bridge();
  std::string import_images();

  ContainerdNodeConfig config_;
  std::string root_;  // dir/node
  pid_t containerd_ = -1;
  pid_t dnsmasq_ = -1;
  bool bridge_created_ = false;
};

// Runs argv to completion; returns its exit status (-1 if it could not run) and its output.
int run_command(const std::vector<std::string>& argv, std::string* output = nullptr);

}  // namespace podtrace::cluster
