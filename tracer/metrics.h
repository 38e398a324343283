// SPDX-License-Identifier: Apache-2.0
// metrics.h: the /metrics HTTP endpoint, serving the latest Prometheus rendering of the report.
// It runs privileged on a node, so it is defensive: loopback unless an address is given,
// rate-limited, small bounded requests, a few worker threads that only see complete request
// headers (http_guard.h: slow clients cannot hold them), and security headers on every answer.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "rate_limiter.h"
#include "result.h"

namespace podtrace::tracer {

class GuardedHttpServer;

struct MetricsLimits {
  double requests_per_second = 10;  // beyond a burst, 429 with Retry-After
  double burst = 20;
  size_t max_uri_bytes = 1024;   // 414 beyond
  size_t max_body_bytes = 1024;  // 413 beyond (a scrape has no body)
  size_t workers = 4;            // concurrent connections being served
  std::chrono::seconds io_timeout{2};
};

// "PORT" or ":PORT" → 127.0.0.1:PORT; "HOST:PORT"; "[V6]:PORT".
struct ListenAddress {
  std::string host;
  int port = 0;
};
Result<ListenAddress> parse_listen_address(const std::string& addr);

// Serves the latest rendering; update() is called on the poll tick, never from the hot path.
class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();
  Status start(const std::string& addr, MetricsLimits limits = {});
  void update(std::string exposition);

 private:
  std::unique_ptr<GuardedHttpServer> server_;
  std::unique_ptr<RateLimiter> limiter_;
  std::thread thread_;
  std::mutex mutex_;
  std::string latest_;
};

}  // namespace podtrace::tracer
