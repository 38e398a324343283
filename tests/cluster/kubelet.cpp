// SPDX-License-Identifier: Apache-2.0
// Pod lifecycle on the simulated nodes: start, observe exits, graceful deletion, cleanup.
#include "kubelet.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "pod_status.h"
#include "process_launcher.h"
#include "qos.h"
#include "quantity.h"

namespace podtrace::cluster {

using nlohmann::json;

namespace {

const char* default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string random_container_id() {
  thread_local std::mt19937_64 gen(std::random_device{}());
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:016x}", gen());
  return id;
}

std::string basename_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string rewrite_host_paths(const std::string& arg,
                               const std::vector<std::pair<std::string, std::string>>& mounts) {
  // Also "--flag=/mount/path/...".
  size_t eq = arg.find('=');
  size_t start = (arg.rfind("--", 0) == 0 && eq != std::string::npos) ? eq + 1 : 0;
  std::string value = arg.substr(start);
  for (const auto& [mount, host] : mounts) {
    if (mount.empty()) continue;
    if (value == mount || value.rfind(mount + "/", 0) == 0) {
      std::string rest = value.substr(mount.size());
      std::string mapped = host == "/" ? (rest.empty() ? "/" : rest) : host + rest;
      return arg.substr(0, start) + mapped;
    }
  }
  return arg;
}

std::string container_log_path(const std::string& state_dir, const json& pod,
                               const std::string& container) {
  const json& meta = pod["metadata"];
  return fmt::format("{}/pods/{}_{}_{}/{}/0.log", state_dir, meta.value("namespace", ""),
                     meta["name"].get<std::string>(), meta["uid"].get<std::string>(), container);
}

std::string expand_env_refs(const std::string& text,
                            const std::map<std::string, std::string>& env) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '(') {
      size_t close = text.find(')', i + 2);
      if (close != std::string::npos) {
        auto it = env.find(text.substr(i + 2, close - i - 2));
        if (it != env.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out += text[i];
  }
  return out;
}

Kubelet::Kubelet(Store& store, CgroupTree& cgroups, KubeletConfig config)
    : store_(store), cgroups_(cgroups), config_(std::move(config)) {}

Kubelet::~Kubelet() { shutdown(); }

void Kubelet::reap() {
  // The harness is a child subreaper: orphaned grandchildren end up here too and are
  // reaped without being looked up.
  while (true) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    for (auto& [uid, rt] : pods_)
      for (auto& c : rt.containers) {
        if (c.pid != pid || c.exited) continue;
        c.exited = true;
        c.finished_at = Clock::now();
        if (WIFEXITED(status)) {
          c.exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
          c.signal = WTERMSIG(status);
          c.exit_code = 128 + c.signal;
        }
        // The container ends with its main process, as with a PID namespace.
        for (int other : cgroups_.pids(c.cgroup)) ::kill(other, SIGKILL);
      }
  }
}

json Kubelet::start_container(PodRuntime& rt, const json& pod, const json& spec) {
  Container c;
  c.name = spec["name"];
  c.id = random_container_id();
  c.started_at = Clock::now();
  std::string qos = pod["status"].value("qosClass", "BestEffort");
  c.cgroup = pod_cgroup_path(qos, rt.uid) + "/cri-containerd-" + c.id + ".scope";

  const ContainerResources resources = container_resources(spec);
  CgroupLimits limits;
  limits.cpu_millis = resources.cpu_limit_milli.value_or(0);
  limits.memory_bytes = resources.memory_limit_bytes.value_or(0);

  std::string log_path = container_log_path(config_.state_dir, pod, c.name);
  std::filesystem::create_directories(std::filesystem::path(log_path).parent_path());
  std::ofstream(log_path, std::ios::app).close();

  // Environment: runtime defaults, then the container's env with downward-API field refs.
  std::map<std::string, std::string> env = {
      {"PATH", default_path},
      {"HOSTNAME", pod["metadata"]["name"]},
      {"KUBERNETES_SERVICE_HOST", config_.api_host},
      {"KUBERNETES_SERVICE_PORT", std::to_string(config_.api_port)},
  };
  std::vector<std::string> order = {"PATH", "HOSTNAME", "KUBERNETES_SERVICE_HOST",
                                    "KUBERNETES_SERVICE_PORT"};
  for (const auto& e : spec.value("env", json::array())) {
    std::string name = e.value("name", "");
    std::string value;
    if (e.contains("value"))
      value = expand_env_refs(e["value"].get<std::string>(), env);
    else if (e.contains("valueFrom") && e["valueFrom"].contains("fieldRef"))
      value = field_ref(pod, e["valueFrom"]["fieldRef"].value("fieldPath", ""), "127.0.0.1",
                        "127.0.0.1");
    if (!env.count(name)) order.push_back(name);
    env[name] = value;
  }
  std::vector<std::pair<std::string, std::string>> mounts;
  for (const auto& m : host_mounts(pod, spec)) {
    // Processes here see the host's files: a directory that cannot be created shows up as the
    // workload's own error, as a missing file would.
    std::string unused;
    (void)prepare_host_path(m, unused);
    mounts.emplace_back(m.mount_path, m.host_path);
  }
  std::vector<std::string> argv;
  for (const char* part : {"command", "args"})
    for (const auto& a : spec.value(part, json::array()))
      argv.push_back(rewrite_host_paths(expand_env_refs(a.get<std::string>(), env), mounts));
  if (argv.empty()) argv = {"sleep", "infinity"};  // no image entrypoints here: an idle container

  std::string executable;
  if (basename_of(argv[0]) == "podtrace-tracer" && !config_.tracer_bin.empty())
    executable = config_.tracer_bin;
  else
    executable = resolve_executable(argv[0], env["PATH"]);

  LaunchRequest req;
  req.argv = argv;
  for (const auto& name : order) req.env.push_back(name + "=" + env[name]);
  req.working_dir = spec.value("workingDir", "/");
  std::string error;
  if (executable.empty())
    error = fmt::format("exec: \"{}\": executable file not found in $PATH", argv[0]);
  else {
    req.executable = executable;
    req.cgroup_procs = cgroups_.create(c.cgroup, limits, error);
  }
  if (error.empty()) {
    auto launched = launch_process(req);
    if (auto* p = std::get_if<LaunchedProcess>(&launched)) {
      c.pid = p->pid;
      c.pump = std::make_unique<LogPump>(p->output_fd, log_path);
    } else {
      error = std::get<std::string>(launched);
    }
  }

  json status = {{"name", c.name},
                 {"image", spec.value("image", "")},
                 {"imageID", spec.value("image", "")},
                 {"containerID", "containerd://" + c.id},
                 {"restartCount", 0},
                 {"lastState", json::object()}};
  if (error.empty()) {
    status["state"] = {{"running", {{"startedAt", rfc3339(c.started_at)}}}};
    status["ready"] = true;
    status["started"] = true;
  } else {
    c.exited = true;
    c.exit_code = 128;
    c.start_error = "failed to create containerd task: " + error;
    c.finished_at = c.started_at;
    status["state"] = json::object();
    status["ready"] = false;
    status["started"] = false;
  }
  rt.containers.push_back(std::move(c));
  return status;
}

void Kubelet::start_pod(const json& pod) {
  PodRuntime rt;
  rt.ns = pod["metadata"].value("namespace", "");
  rt.name = pod["metadata"]["name"];
  rt.uid = pod["metadata"]["uid"];
  json statuses = json::array();
  for (const auto& spec : pod["spec"]["containers"])
    statuses.push_back(start_container(rt, pod, spec));
  std::string now = rfc3339(Clock::now());
  store_.update("pods", rt.ns, rt.name, [&](json& p) {
    json& s = p["status"];
    s["phase"] = "Running";
    s["hostIP"] = "127.0.0.1";
    s["hostIPs"] = {{{"ip", "127.0.0.1"}}};
    s["podIP"] = "127.0.0.1";
    s["podIPs"] = {{{"ip", "127.0.0.1"}}};
    s["startTime"] = now;
    s["containerStatuses"] = statuses;
    set_condition(s, condition("PodReadyToStartContainers", true, now));
    set_condition(s, condition("Initialized", true, now));
    set_condition(s, condition("Ready", true, now));
    set_condition(s, condition("ContainersReady", true, now));
    set_condition(s, condition("PodScheduled", true, now));
    return true;
  });
  pods_.emplace(rt.uid, std::move(rt));
}

void Kubelet::report_exits(PodRuntime& rt, const json& pod) {
  bool changed = false;
  for (auto& c : rt.containers)
    if (c.finished() && !c.reported) {
      c.reported = true;
      changed = true;
    }
  if (!changed) return;
  std::string now = rfc3339(Clock::now());
  bool all_done = all_finished(rt);
  bool all_ok = true;
  for (const auto& c : rt.containers) all_ok = all_ok && c.exited && c.exit_code == 0;
  std::string policy = pod["spec"].value("restartPolicy", "Always");
  store_.update("pods", rt.ns, rt.name, [&](json& p) {
    json& s = p["status"];
    for (auto& cs : s["containerStatuses"]) {
      for (const auto& c : rt.containers) {
        if (cs["name"] != c.name || !c.reported) continue;
        json t = {{"exitCode", c.exit_code},
                  {"startedAt", rfc3339(c.started_at)},
                  {"finishedAt", rfc3339(c.finished_at)},
                  {"containerID", "containerd://" + c.id}};
        if (!c.start_error.empty()) {
          t["reason"] = "StartError";
          t["message"] = c.start_error;
        } else {
          t["reason"] = c.exit_code == 0 ? "Completed" : "Error";
        }
        if (c.signal) t["signal"] = c.signal;
        cs["state"] = {{"terminated", t}};
        cs["ready"] = false;
        cs["started"] = false;
      }
    }
    set_condition(s, condition("Ready", false, now, "ContainersNotReady"));
    set_condition(s, condition("ContainersReady", false, now, "ContainersNotReady"));
    // Without restarts, Never and OnFailure pods end when all containers have ended;
    // Always pods stay Running with terminated containers (no CrashLoopBackOff here).
    if (all_done && policy != "Always") {
      s["phase"] = all_ok ? "Succeeded" : "Failed";
      set_condition(s, condition("PodReadyToStartContainers", false, now));
    }
    return true;
  });
}

bool Kubelet::all_finished(const PodRuntime& rt) const {
  for (const auto& c : rt.containers)
    if (!c.finished()) return false;
  return true;
}

void Kubelet::signal_pod(PodRuntime& rt, int sig) {
  for (auto& c : rt.containers) {
    if (c.exited) continue;
    ::kill(-c.pid, sig);
    for (int pid : cgroups_.pids(c.cgroup)) ::kill(pid, sig);
  }
}

void Kubelet::release(PodRuntime& rt) {
  if (rt.cgroups_removed) return;
  for (auto& c : rt.containers) {
    c.pump.reset();  // finished already: joins at once
    cgroups_.remove(c.cgroup);
  }
  rt.cgroups_removed = true;
}

void Kubelet::sync() {
  reap();
  std::set<std::string> nodes;
  for (const auto& n : store_.list("nodes", ""))
    nodes.insert(n["metadata"]["name"].get<std::string>());
  std::set<std::string> present;
  auto now = Clock::now();
  for (const auto& pod : store_.list("pods", "")) {
    const json& meta = pod["metadata"];
    std::string uid = meta["uid"];
    present.insert(uid);
    bool deleting = meta.contains("deletionTimestamp");
    auto it = pods_.find(uid);
    if (it == pods_.end()) {
      if (deleting) {
        store_.remove("pods", meta.value("namespace", ""), meta["name"]);
        continue;
      }
      const json& status = pod["status"];
      std::string node = pod["spec"].value("nodeName", "");
      if (status.value("phase", "") == "Pending" && !status.contains("startTime") &&
          nodes.count(node))
        start_pod(pod);
      continue;
    }
    PodRuntime& rt = it->second;
    if (deleting) {
      if (!rt.term_sent) {
        signal_pod(rt, SIGTERM);
        rt.term_sent = true;
        rt.kill_deadline = now + std::chrono::seconds(meta.value("deletionGracePeriodSeconds", 30));
      } else if (!rt.kill_sent && now >= rt.kill_deadline) {
        signal_pod(rt, SIGKILL);
        rt.kill_sent = true;
      }
    }
    report_exits(rt, pod);
    if (all_finished(rt)) {
      release(rt);
      if (deleting) {
        store_.remove("pods", rt.ns, rt.name);
        pods_.erase(it);
      }
    }
  }
  // Pods removed from the API without a grace period (force delete, namespace deletion).
  for (auto it = pods_.begin(); it != pods_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    if (!it->second.kill_sent) {
      signal_pod(it->second, SIGKILL);
      it->second.kill_sent = true;
    }
    if (all_finished(it->second)) {
      release(it->second);
      it = pods_.erase(it);
    } else {
      ++it;
    }
  }
}

void Kubelet::shutdown() {
  for (auto& [uid, rt] : pods_) signal_pod(rt, SIGKILL);
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    reap();
    bool done = true;
    for (auto& [uid, rt] : pods_) done = done && all_finished(rt);
    if (done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& [uid, rt] : pods_) release(rt);
  pods_.clear();
}

}  // namespace podtrace::cluster
