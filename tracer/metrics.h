// SPDX-License-Identifier: Apache-2.0
// metrics.h: the /metrics HTTP endpoint, serving the latest Prometheus rendering of the report.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "result.h"

namespace httplib {
class Server;
}

namespace podtrace::tracer {

// Serves the latest rendering; update() is called on the poll tick, never from the hot path.
class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();
  // addr: "host:port".
  Status start(const std::string& addr);
  void update(std::string exposition);

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::mutex mutex_;
  std::string latest_;
};

}  // namespace podtrace::tracer
