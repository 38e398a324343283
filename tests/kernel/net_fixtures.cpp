// SPDX-License-Identifier: Apache-2.0
// net_fixtures.cpp: netns pairs, an echo server, the NFQUEUE delay line and TCP client loops.
#include "net_fixtures.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "kernel_test_util.h"

namespace podtrace::tracer::testing {

namespace {

void must(const std::vector<std::string>& argv) {
  auto r = run_command(argv);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    throw std::runtime_error("command failed: " + cmd + ": " + r.err);
  }
}

void enter_ns(const std::string& name) {
  const std::string path = "/run/netns/" + name;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("setns " + path);
  close(fd);
}

bool write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool read_all(int fd, char* p, size_t n) {
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

int connect_to(const std::string& ip, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    const int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

}  // namespace

std::string helper_path(const char* env, const char* fallback) {
  const char* p = std::getenv(env);
  return p ? p : fallback;
}

Background::Background(const std::vector<std::string>& argv, bool wait_ready_line) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  if (wait_ready_line) {
    // The helper prints one line once it is ready; EOF means it died.
    char c;
    std::string line;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    if (line != "ready") {
      close(out[0]);
      throw std::runtime_error("helper " + argv[0] + " did not start");
    }
  }
  close(out[0]);
}

Background& Background::operator=(Background&& o) noexcept {
  std::swap(pid_, o.pid_);
  return *this;
}

Background::~Background() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

NetnsPair::NetnsPair() {
  const int n = getpid() % 250 + 1;
  const std::string tag = std::to_string(getpid());
  client_ = "ptc-" + tag;
  server_ = "pts-" + tag;
  client_ip_ = "10.213." + std::to_string(n) + ".1";
  server_ip_ = "10.213." + std::to_string(n) + ".2";
  const std::string vc = "ptvc" + tag, vs = "ptvs" + tag;
  try {
    must({"ip", "netns", "add", client_});
    must({"ip", "netns", "add", server_});
    must({"ip", "-n", client_, "link", "add", vc, "type", "veth", "peer", "name", vs, "netns",
          server_});
    must({"ip", "-n", client_, "addr", "add", client_ip_ + "/24", "dev", vc});
    must({"ip", "-n", server_, "addr", "add", server_ip_ + "/24", "dev", vs});
    must({"ip", "-n", client_, "link", "set", vc, "up"});
    must({"ip", "-n", server_, "link", "set", vs, "up"});
    must({"ip", "-n", client_, "link", "set", "lo", "up"});
    must({"ip", "-n", server_, "link", "set", "lo", "up"});
  } catch (...) {
    run_command({"ip", "netns", "del", client_});
    run_command({"ip", "netns", "del", server_});
    throw;
  }
}

NetnsPair::~NetnsPair() {
  // Deleting a namespace deletes its veth end (and so the pair) and its iptables rules.
  run_command({"ip", "netns", "del", client_});
  run_command({"ip", "netns", "del", server_});
}

void NetnsPair::enter_client() const { enter_ns(client_); }
void NetnsPair::enter_server() const { enter_ns(server_); }

void NetnsPair::server_exec(const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", server_};
  full.insert(full.end(), argv.begin(), argv.end());
  must(full);
}

EchoServer::EchoServer(const NetnsPair& net, uint16_t port) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_ = fork();
  if (pid_ == 0) {
    close(ready[0]);
    net.enter_server();
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(ls, 1024) != 0)
      _exit(1);
    if (write(ready[1], "r", 1) != 1) _exit(1);
    close(ready[1]);
    for (;;) {
      int c = accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::thread([c] {
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        char buf[65536];
        ssize_t n;
        while ((n = read(c, buf, sizeof(buf))) > 0)
          if (!write_all(c, buf, static_cast<size_t>(n))) break;
        close(c);
      }).detach();
    }
  }
  close(ready[1]);
  char c;
  const bool ok = read(ready[0], &c, 1) == 1;
  close(ready[0]);
  if (!ok) throw std::runtime_error("echo server did not start");
}

EchoServer::~EchoServer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

DelayLine::DelayLine(const NetnsPair& net, const std::vector<std::string>& match, int delay_ms)
    : net_(net) {
  static int next_queue = 7;
  const std::string queue = std::to_string(next_queue++);
  helper_ =
      Background({"ip", "netns", "exec", net.server_ns(),
                  helper_path("PODTRACE_NFQ_DELAY", "nfq_delay"), queue, std::to_string(delay_ms)},
                 true);
  rule_ = {"OUTPUT"};
  rule_.insert(rule_.end(), match.begin(), match.end());
  for (const std::string a : {"-j", "NFQUEUE", "--queue-num"}) rule_.push_back(a);
  rule_.push_back(queue);
  rule_.push_back("--queue-bypass");
  std::vector<std::string> add = {"iptables", "-A"};
  add.insert(add.end(), rule_.begin(), rule_.end());
  net.server_exec(add);
}

DelayLine::~DelayLine() {
  std::vector<std::string> del = {"ip", "netns", "exec", net_.server_ns(), "iptables", "-D"};
  del.insert(del.end(), rule_.begin(), rule_.end());
  run_command(del);
}

int tcp_echo_client(const std::string& ip, uint16_t port, int connections, int round_trips,
                    size_t size) {
  std::string out(size, 'x'), in(size, 0);
  for (int i = 0; i < connections; ++i) {
    int fd = connect_to(ip, port);
    if (fd < 0) return 10;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    for (int r = 0; r < round_trips; ++r) {
      if (!write_all(fd, out.data(), size)) return 11;
      if (!read_all(fd, in.data(), size)) return 12;
    }
    close(fd);
  }
  return 0;
}

int tcp_resetting_closes(const std::string& ip, uint16_t port, int linger0, int unread) {
  for (int i = 0; i < linger0 + unread; ++i) {
    int fd = connect_to(ip, port);
    if (fd < 0) return 30;
    if (i < linger0) {
      const linger abort_on_close{1, 0};
      if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close)) != 0)
        return 31;
    } else {
      // The echo arrives and stays unread: close() then resets (RFC 2525, 2.17).
      pollfd p{fd, POLLIN, 0};
      if (!write_all(fd, "x", 1) || poll(&p, 1, 5000) != 1) return 32;
    }
    close(fd);
  }
  return 0;
}

int tcp_failing_connects(const std::string& ip, uint16_t port, int n, int expected_errno) {
  for (int i = 0; i < n; ++i) {
    int fd = connect_to(ip, port);
    if (fd >= 0) return 20;
    if (errno != expected_errno) return 21;
  }
  return 0;
}

}  // namespace podtrace::tracer::testing
