// SPDX-License-Identifier: Apache-2.0
// containerd_node.cpp: start and stop the harness's containerd, CNI bridge and node DNS.
#include "containerd_node.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cri_client.h"

namespace podtrace::cluster {

namespace fs = std::filesystem;

namespace {

// fork + exec with stdout and stderr to `log` (or to a pipe when `pipe_out` is given).
pid_t spawn(const std::vector<std::string>& argv, const std::string& log, int* pipe_out = nullptr) {
  int fds[2] = {-1, -1};
  if (pipe_out && pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    setsid();
    int out = pipe_out ? fds[1] : open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  if (pipe_out) {
    close(fds[1]);
    *pipe_out = fds[0];
  }
  return pid;
}

void terminate(pid_t& pid, std::chrono::seconds grace) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (waitpid(pid, nullptr, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid = -1;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

int run_command(const std::vector<std::string>& argv, std::string* output) {
  int fd = -1;
  pid_t pid = spawn(argv, "", &fd);
  if (pid < 0) return -1;
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ContainerdNode::write_configs() {
  std::error_code ec;
  for (const char* sub : {"root", "state", "cni/conf", "cni/ipam"})
    fs::create_directories(fs::path(root_) / sub, ec);
  if (ec) return "cannot create " + root_ + ": " + ec.message();
  // cgroupfs driver (SystemdCgroup = false): pods go to /kubepods/<qos>/pod<uid>/<id>, as
  // kubelet's cgroupfs driver places them. CNI from Debian's containernetworking-plugins.
  const std::string toml = fmt::format(R"(version = 2
root = "{0}/root"
state = "{0}/state"
disabled_plugins = ["io.containerd.grpc.v1.introspection"]
[grpc]
  address = "{0}/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{1}"
  enable_selinux = false
  # kubelet asks -998 for sandboxes; this machine refuses a negative oom_score_adj, so
  # containerd clamps it to its own (what it does for rootless and nested setups).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "{2}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{0}/cni/conf"
    max_conf_num = 1
)",
                                       root_, config_.pause_image, config_.runc);
  const std::string cni = fmt::format(R"({{
  "cniVersion": "0.4.0",
  "name": "podtrace",
  "plugins": [
    {{"type": "bridge", "bridge": "{0}", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {{"type": "host-local", "dataDir": "{1}/cni/ipam",
              "ranges": [[{{"subnet": "{2}.0/24", "rangeStart": "{2}.10", "gateway": "{2}.1"}}]],
              "routes": [{{"dst": "0.0.0.0/0"}}]}}}},
    {{"type": "portmap", "capabilities": {{"portMappings": true}}}}
  ]
}}
)",
                                      config_.bridge, root_, config_.subnet);
  if (!write_file(root_ + "/config.toml", toml) ||
      !write_file(root_ + "/cni/conf/10-podtrace.conflist", cni))
    return "cannot write the containerd and CNI configuration under " + root_;
  return "";
}

std::string ContainerdNode::start_bridge() {
  // A bridge left by a run that was killed is taken over, not an error.
  run_command({"ip", "link", "del", config_.bridge});
  std::string out;
  if (run_command({"ip", "link", "add", config_.bridge, "type", "bridge"}, &out) != 0)
    return "ip link add " + config_.bridge + ": " + out;
  bridge_created_ = true;
  if (run_command({"ip", "addr", "add", dns_server() + "/24", "dev", config_.bridge}, &out) != 0 ||
      run_command({"ip", "link", "set", config_.bridge, "up"}, &out) != 0)
    return "cannot configure " + config_.bridge + ": " + out;
  // The node's DNS: what the pods' resolv.conf names. Cluster names answer from here only.
  std::vector<std::string> argv = {"dnsmasq",           "--keep-in-foreground",
                                   "--no-resolv",       "--no-hosts",
                                   "--bind-interfaces", "--listen-address=" + dns_server(),
                                   "--port=53",         "--conf-file=/dev/null",
                                   "--pid-file",        "--local=/cluster.local/",
                                   "--log-queries",     "--log-facility=" + root_ + "/dnsmasq.log"};
  for (const auto& r : config_.dns_records) argv.push_back("--host-record=" + r);
  dnsmasq_ = spawn(argv, root_ + "/dnsmasq.out");
  if (dnsmasq_ < 0) return "cannot start dnsmasq";
  // A DNS server that cannot bind (another one on the address) exits at once: say so.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  if (waitpid(dnsmasq_, nullptr, WNOHANG) == dnsmasq_) {
    dnsmasq_ = -1;
    std::ifstream log(root_ + "/dnsmasq.out");
    std::string why((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return "the node DNS (dnsmasq on " + dns_server() + ") did not start: " + why;
  }
  return "";
}

std::string ContainerdNode::import_images() {
  for (const auto& archive : config_.images) {
    std::string out;
    if (run_command({"ctr", "-a", socket(), "-n", "k8s.io", "images", "import", archive}, &out) !=
        0)
      return "ctr images import " + archive + ": " + out;
  }
  for (const auto& alias : config_.image_aliases) {
    const auto eq = alias.find('=');
    std::string out;
    if (eq == std::string::npos ||
        run_command({"ctr", "-a", socket(), "-n", "k8s.io", "images", "tag", "--force",
                     alias.substr(0, eq), alias.substr(eq + 1)},
                    &out) != 0)
      return "ctr images tag " + alias + ": " + out;
  }
  return "";
}

std::string ContainerdNode::start(const ContainerdNodeConfig& config) {
  config_ = config;
  root_ = config.dir + "/node";
  std::string error = write_configs();
  if (error.empty()) error = start_bridge();
  if (error.empty()) {
    containerd_ =
        spawn({"containerd", "--config", root_ + "/config.toml"}, root_ + "/containerd.log");
    if (containerd_ < 0) error = "cannot start containerd";
  }
  if (error.empty()) {
    CriClient cri(socket());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!fs::exists(socket()) || !cri.version()) {
      if (waitpid(containerd_, nullptr, WNOHANG) != 0) {
        containerd_ = -1;
        error = "containerd exited at start; see " + root_ + "/containerd.log";
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        error = "containerd's CRI did not answer within 30 s; see " + root_ + "/containerd.log";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (error.empty()) error = import_images();
  if (!error.empty()) stop();
  return error;
}

void ContainerdNode::stop() {
  if (containerd_ > 0) {
    // Shims outlive containerd by design: end the ones of this node's socket first.
    std::string out;
    run_command({"pkill", "-KILL", "-f", "containerd-shim-runc-v2 .*-address " + socket()}, &out);
    terminate(containerd_, std::chrono::seconds(10));
  }
  terminate(dnsmasq_, std::chrono::seconds(5));
  if (bridge_created_) {
    run_command({"ip", "link", "del", config_.bridge});
    bridge_created_ = false;
  }
  if (root_.empty()) return;
  // Snapshot, shm and rootfs mounts under our root, deepest first.
  std::ifstream mounts("/proc/self/mounts");
  std::vector<std::string> ours;
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string source, target;
    fields >> source >> target;
    if (target.rfind(root_ + "/", 0) == 0) ours.push_back(target);
  }
  std::sort(ours.rbegin(), ours.rend());
  for (const auto& target : ours) umount2(target.c_str(), MNT_DETACH);
}

}  // namespace podtrace::cluster
