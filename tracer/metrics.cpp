// SPDX-License-Identifier: Apache-2.0
// metrics.cpp: the /metrics endpoint; the exposition itself is report/render_prometheus.
#include "metrics.h"

#include <httplib.h>

namespace podtrace::tracer {

MetricsServer::MetricsServer() : server_(std::make_unique<httplib::Server>()) {}

MetricsServer::~MetricsServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

Status MetricsServer::start(const std::string& addr) {
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos)
    return make_error("invalid --metrics-addr " + addr + ": want HOST:PORT");
  const std::string host = addr.substr(0, colon).empty() ? "0.0.0.0" : addr.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(addr.substr(colon + 1));
  } catch (...) {
    return make_error("invalid --metrics-addr " + addr + ": bad port");
  }
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    res.set_content(latest_, "text/plain; version=0.0.4");
  });
  if (!server_->bind_to_port(host, port)) return make_error("cannot listen on " + addr);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Ok{};
}

void MetricsServer::update(std::string exposition) {
  std::lock_guard lock(mutex_);
  latest_ = std::move(exposition);
}

}  // namespace podtrace::tracer
