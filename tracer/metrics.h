// SPDX-License-Identifier: Apache-2.0
// metrics.h: Prometheus exposition of the report, and the /metrics HTTP endpoint.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "report.h"
#include "result.h"

namespace httplib {
class Server;
}

namespace podtrace {

std::string render_prometheus(const Report& report);

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

}  // namespace podtrace
