// SPDX-License-Identifier: Apache-2.0
// net_fixtures.h: network namespaces, servers and injected faults for the network kernel tests.
// Everything a fixture creates (netns, veth, iptables rules, processes) is removed by its
// destructor, so every exit path of a test cleans up.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace podtrace::tracer::testing {

// A background process; SIGKILLed and reaped on destruction.
class Background {
 public:
  Background() = default;
  explicit Background(const std::vector<std::string>& argv, bool wait_ready_line = false);
  ~Background();
  Background(Background&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  Background& operator=(Background&& o) noexcept;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Two fresh network namespaces joined by a veth pair: client 10.213.N.1, server 10.213.N.2.
// Nothing touches the host's namespace.
class NetnsPair {
 public:
  NetnsPair();
  ~NetnsPair();
  NetnsPair(const NetnsPair&) = delete;
  NetnsPair& operator=(const NetnsPair&) = delete;

  const std::string& client_ns() const { return client_; }
  const std::string& server_ns() const { return server_; }
  const std::string& client_ip() const { return client_ip_; }
  const std::string& server_ip() const { return server_ip_; }
  // setns() the calling process (a forked workload) into one side.
  void enter_client() const;
  void enter_server() const;
  // Runs a command inside the server namespace; throws when it fails.
  void server_exec(const std::vector<std::string>& argv) const;

 private:
  std::string client_, server_, client_ip_, server_ip_;
};

// A TCP echo server in the server namespace, outside every test cgroup.
class EchoServer {
 public:
  EchoServer(const NetnsPair& net, uint16_t port);
  ~EchoServer();

 private:
  pid_t pid_ = -1;
};

// Holds every packet that matches `match` (iptables OUTPUT rule arguments, in the server
// namespace) for `delay_ms` before releasing it: a delay line without netem.
class DelayLine {
 public:
  DelayLine(const NetnsPair& net, const std::vector<std::string>& match, int delay_ms);
  ~DelayLine();

 private:
  const NetnsPair& net_;
  std::vector<std::string> rule_;
  Background helper_;
};

// TCP client helpers used by workloads; return 0 on success, a small error code otherwise.
// n connections, each with `round_trips` request/echo exchanges of `size` bytes.
int tcp_echo_client(const std::string& ip, uint16_t port, int connections, int round_trips,
                    size_t size);
// Ends `linger0` connections with SO_LINGER {on, 0} and `unread` more with an echo left unread
// in the receive queue: each close sends the server a reset. 0, else the step that failed.
int tcp_resetting_closes(const std::string& ip, uint16_t port, int linger0, int unread);
// n connects expected to fail; returns 0 when each failed with `expected_errno`.
int tcp_failing_connects(const std::string& ip, uint16_t port, int n, int expected_errno);

std::string helper_path(const char* env, const char* fallback);

}  // namespace podtrace::tracer::testing
