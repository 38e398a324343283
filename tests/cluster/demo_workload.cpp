// SPDX-License-Identifier: Apache-2.0
// podtrace-demo-workload: the demo pod's program (DNS lookups, HTTP calls, fsyncs, CPU
// contention) and the tiny HTTP server it calls. Every count it prints is exact, so tests can
// compare the tracer's report with it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Config {
  std::string mode;
  std::string listen = "127.0.0.1:0";
  std::string dns;  // host:port of the DNS server to ask (never the system resolver)
  std::vector<std::string> names;
  std::string http;     // host:port of the HTTP server
  std::string file;     // file to write and fsync
  std::string trigger;  // wait for this file before the fsync burst
  int fsyncs = 0;       // fsyncs per burst
  int bursts = 1;       // fsync bursts; 0 = one every round
  int cpu_threads = 0;
  double duration = 0;  // seconds; 0 = until killed
};

bool split_host_port(const std::string& s, std::string& host, int& port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  host = s.substr(0, colon);
  port = std::atoi(s.c_str() + colon + 1);
  return port > 0 && port < 65536;
}

// One A query over UDP; returns the answer count or -1 on timeout/error.
int dns_query(const std::string& server, const std::string& name, uint16_t id) {
  std::string host;
  int port = 0;
  if (!split_host_port(server, host, port)) return -1;
  std::string pkt = {
      static_cast<char>(id >> 8), static_cast<char>(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    pkt += static_cast<char>(dot - start);
    pkt += name.substr(start, dot - start);
    start = dot + 1;
  }
  pkt += std::string("\0\0\1\0\1", 5);
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  int answers = -1;
  if (::sendto(fd, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) ==
      static_cast<ssize_t>(pkt.size())) {
    unsigned char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n >= 12 && buf[0] == (id >> 8) && buf[1] == (id & 0xff)) answers = (buf[6] << 8) | buf[7];
  }
  ::close(fd);
  return answers;
}

int serve(const Config& cfg) {
  std::string host;
  int port = 0;
  size_t colon = cfg.listen.rfind(':');
  host = cfg.listen.substr(0, colon);
  port = std::atoi(cfg.listen.c_str() + colon + 1);
  httplib::Server server;
  server.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("hello\n", "text/plain");
  });
  server.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    res.set_content("slow\n", "text/plain");
  });
  int bound =
      port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    std::fprintf(stderr, "demo-workload: cannot listen on %s\n", cfg.listen.c_str());
    return 1;
  }
  std::printf("listening %s:%d\n", host.c_str(), bound);
  std::fflush(stdout);
  server.listen_after_bind();
  return 0;
}

int fsync_burst(const Config& cfg) {
  int fd = ::open(cfg.file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "demo-workload: open %s: %s\n", cfg.file.c_str(), std::strerror(errno));
    return -1;
  }
  std::string block(4096, 'x');
  int done = 0;
  for (int i = 0; i < cfg.fsyncs; ++i) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) break;
    if (::fsync(fd) == 0) ++done;
  }
  ::close(fd);
  return done;
}

int run(const Config& cfg) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> spinners;
  for (int i = 0; i < cfg.cpu_threads; ++i)
    spinners.emplace_back([&stop] {
      volatile unsigned long long x = 0;
      while (!stop.load(std::memory_order_relaxed)) x = x + 1;
    });
  std::string http_host;
  int http_port = 0;
  bool have_http = !cfg.http.empty() && split_host_port(cfg.http, http_host, http_port);
  auto begin = std::chrono::steady_clock::now();
  int dns_ok = 0, dns_failed = 0, http_ok = 0, http_failed = 0, fsyncs = -1;
  int bursts_done = 0;
  long long fsyncs_total = 0;
  uint16_t id = 1;
  while (cfg.duration <= 0 ||
         std::chrono::steady_clock::now() - begin < std::chrono::duration<double>(cfg.duration)) {
    for (const auto& name : cfg.names)
      (dns_query(cfg.dns, name, id++) >= 0 ? dns_ok : dns_failed)++;
    if (have_http) {
      httplib::Client cli(http_host, http_port);
      cli.set_connection_timeout(1);
      auto res = cli.Get(id % 4 == 0 ? "/slow" : "/hello");
      (res && res->status == 200 ? http_ok : http_failed)++;
    }
    bool want_burst = cfg.fsyncs > 0 && (cfg.bursts == 0 || bursts_done < cfg.bursts);
    if (want_burst && (cfg.trigger.empty() || ::access(cfg.trigger.c_str(), F_OK) == 0)) {
      fsyncs = fsync_burst(cfg);
      fsyncs_total += fsyncs;
      ++bursts_done;
      // Only single bursts are announced: a test waits for this line.
      if (cfg.bursts == 1) std::printf("fsyncs=%d path=%s\n", fsyncs, cfg.file.c_str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  stop = true;
  for (auto& t : spinners) t.join();
  std::printf("dns_ok=%d dns_failed=%d http_ok=%d http_failed=%d fsyncs=%lld\n", dns_ok, dns_failed,
              http_ok, http_failed, fsyncs_total);
  return 0;
}

void usage() {
  std::fprintf(
      stderr,
      "usage: podtrace-demo-workload serve --listen HOST:PORT\n"
      "       podtrace-demo-workload run [--dns HOST:PORT --name N]... [--http HOST:PORT]\n"
      "       podtrace-demo-workload resolve --name N... [--trigger FILE]\n"
      "              [--file PATH --fsyncs N [--bursts K] [--trigger PATH]] [--cpu-threads N]\n"
      "              [--duration S]\n");
}

}  // namespace

// One getaddrinfo() per --name through the system resolver (the pod's resolv.conf), after the
// trigger file appears; then idles until killed, so a trace sees exactly these lookups.
int resolve(const Config& cfg) {
  while (!cfg.trigger.empty() && ::access(cfg.trigger.c_str(), F_OK) != 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (const auto& name : cfg.names) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &result);
    char address[INET6_ADDRSTRLEN] = "-";
    if (rc == 0 && result) {
      const void* raw =
          result->ai_family == AF_INET
              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr)
              : static_cast<const void*>(
                    &reinterpret_cast<sockaddr_in6*>(result->ai_addr)->sin6_addr);
      inet_ntop(result->ai_family, raw, address, sizeof(address));
    }
    if (result) freeaddrinfo(result);
    std::printf("resolved name=%s rc=%d address=%s\n", name.c_str(), rc, address);
  }
  while (true) std::this_thread::sleep_for(std::chrono::seconds(60));
}

int main(int argc, char** argv) {
  Config cfg;
  if (argc < 2) {
    usage();
    return 2;
  }
  cfg.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "demo-workload: error: %s needs a value\n", flag.c_str());
      return 2;
    }
    std::string value = argv[++i];
    if (flag == "--listen")
      cfg.listen = value;
    else if (flag == "--dns")
      cfg.dns = value;
    else if (flag == "--name")
      cfg.names.push_back(value);
    else if (flag == "--http")
      cfg.http = value;
    else if (flag == "--file")
      cfg.file = value;
    else if (flag == "--trigger")
      cfg.trigger = value;
    else if (flag == "--fsyncs")
      cfg.fsyncs = std::atoi(value.c_str());
    else if (flag == "--bursts")
      cfg.bursts = std::atoi(value.c_str());
    else if (flag == "--cpu-threads")
      cfg.cpu_threads = std::atoi(value.c_str());
    else if (flag == "--duration")
      cfg.duration = std::atof(value.c_str());
    else {
      std::fprintf(stderr, "demo-workload: error: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (cfg.mode == "serve") return serve(cfg);
  if (cfg.mode == "run") return run(cfg);
  if (cfg.mode == "resolve") return resolve(cfg);
  usage();
  return 2;
}
