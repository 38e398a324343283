// SPDX-License-Identifier: Apache-2.0
// Runs the containers of pods bound to the simulated nodes as real processes and reports status.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cgroups.h"
#include "log_pump.h"
#include "node_agent.h"
#include "store.h"
#include "time_format.h"

namespace podtrace::cluster {

struct KubeletConfig {
  std::string state_dir;   // container logs go to state_dir/pods/...
  std::string tracer_bin;  // replaces any command whose basename is podtrace-tracer
  std::string api_host;    // KUBERNETES_SERVICE_HOST for containers
  int api_port = 0;
};

// Where a container's CRI log lives (kubelet layout: pods/<ns>_<name>_<uid>/<container>/0.log).
std::string container_log_path(const std::string& state_dir, const nlohmann::json& pod,
                               const std::string& container);

// Expands $(VAR) references in a command argument like the kubelet ($$ escapes a dollar).
std::string expand_env_refs(const std::string& text, const std::map<std::string, std::string>& env);

// Processes share the host's mount namespace, so a hostPath volume is simulated by rewriting
// arguments under its mountPath ("/host/proc/1" with /host/proc ← /proc becomes "/proc/1").
std::string rewrite_host_paths(const std::string& arg,
                               const std::vector<std::pair<std::string, std::string>>& mounts);

class Kubelet : public NodeAgent {
 public:
  Kubelet(Store& store, CgroupTree& cgroups, KubeletConfig config);
  ~Kubelet() override;

  // One reconciliation pass: reap exits, start bound pods, carry out deletions.
  void sync() override;
  // SIGKILLs every container process, waits for them and removes their cgroups.
  void shutdown() override;

 private:
  struct Container {
    std::string name;
    std::string id;
    std::string cgroup;  // relative to the kubepods root
    pid_t pid = -1;
    std::unique_ptr<LogPump> pump;
    bool exited = false;
    bool reported = false;
    int exit_code = 0;
    int signal = 0;
    std::string start_error;
    Clock::time_point started_at;
    Clock::time_point finished_at;
    bool finished() const { return exited && (!pump || pump->finished()); }
  };
  struct PodRuntime {
    std::string ns, name, uid;
    std::vector<Container> containers;
    bool term_sent = false;
    bool kill_sent = false;
    bool cgroups_removed = false;
    Clock::time_point kill_deadline;
  };

  void reap();
  void start_pod(const nlohmann::json& pod);
  nlohmann::json start_container(PodRuntime& rt, const nlohmann::json& pod,
                                 const nlohmann::json& spec);
  void report_exits(PodRuntime& rt, const nlohmann::json& pod);
  void signal_pod(PodRuntime& rt, int sig);
  void release(PodRuntime& rt);
  bool all_finished(const PodRuntime& rt) const;

  Store& store_;
  CgroupTree& cgroups_;
  KubeletConfig config_;
  std::map<std::string, PodRuntime> pods_;  // by pod uid
};

}  // namespace podtrace::cluster
