// SPDX-License-Identifier: Apache-2.0
// cri_kubelet.h: the harness kubelet on a real node: every pod is a CRI pod sandbox with its
// containers in containerd (RunPodSandbox with the local pause image, CreateContainer,
// StartContainer), in kubelet's cgroupfs layout /kubepods/<qos>/pod<uid>/<id>, with its own
// network namespace (CNI), a resolv.conf naming the node's DNS, CRI-format logs where the
// pods/log endpoint reads them, limits through the CRI resources, and restartPolicy honoured.
#pragma once

#include <chrono>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cri_client.h"
#include "node_agent.h"
#include "store.h"
#include "time_format.h"

namespace podtrace::cluster {

struct CriKubeletConfig {
  std::string state_dir;   // logs: state_dir/pods/<ns>_<name>_<uid>/<container>/<attempt>.log
  std::string dns_server;  // the pods' nameserver
  std::string node_ip;     // status.hostIP
  std::string cgroup_root = "/sys/fs/cgroup";
};

// The sandbox and container configurations kubelet would send for a pod; pure, unit-tested.
runtime::v1::PodSandboxConfig sandbox_config(const nlohmann::json& pod, const CriKubeletConfig& c);
runtime::v1::ContainerConfig container_config(const nlohmann::json& pod, const nlohmann::json& spec,
                                              uint32_t attempt, const std::string& pod_ip);
// kubelet's cgroupfs parent: /kubepods/pod<uid> (Guaranteed), /kubepods/<qos>/pod<uid>.
std::string cgroupfs_pod_parent(const std::string& qos_class, const std::string& uid);

class CriKubelet : public NodeAgent {
 public:
  CriKubelet(Store& store, CriClient& cri, CriKubeletConfig config);
  ~CriKubelet() override;
  void sync() override;
  void shutdown() override;

 private:
  struct Container {
    std::string name;
    std::string id;  // empty until created
    uint32_t attempt = 0;
    int restarts = 0;
    bool exited = false;
    int exit_code = 0;
    std::string reason;  // Completed, Error, OOMKilled, ErrImagePull...
    std::string message;
    std::string image_ref;
    int64_t started_at = 0, finished_at = 0;  // ns since the epoch
    nlohmann::json last_state = nlohmann::json::object();
  };
  struct PodRuntime {
    std::string ns, name, uid, qos;
    std::string sandbox_id;
    std::string ip;
    runtime::v1::PodSandboxConfig sandbox;
    std::vector<Container> containers;
    bool waiting_for_image = false;
    Clock::time_point next_image_check;  // kubelet's back-off between pull attempts
    bool stopping = false;
    std::future<void> stopped;  // containers stopped (graceful, off the control loop)
  };

  void start_pod(const nlohmann::json& pod);
  bool start_containers(PodRuntime& rt, const nlohmann::json& pod);
  bool start_container(PodRuntime& rt, const nlohmann::json& pod, Container& c);
  void observe(PodRuntime& rt, const nlohmann::json& pod);
  void write_status(PodRuntime& rt, const nlohmann::json& pod);
  void begin_stop(PodRuntime& rt, int64_t grace_s);
  void release(PodRuntime& rt);
  void remove_pod_cgroups(const PodRuntime& rt);
  void remove_cgroup_everywhere(const std::string& relative) const;

  Store& store_;
  CriClient& cri_;
  CriKubeletConfig config_;
  std::map<std::string, PodRuntime> pods_;  // by pod uid
};

}  // namespace podtrace::cluster
