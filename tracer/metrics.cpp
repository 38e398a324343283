// SPDX-License-Identifier: Apache-2.0
// metrics.cpp: the /metrics endpoint; the exposition itself is report/render_prometheus.
#include "metrics.h"

#include <httplib.h>

#include "http_guard.h"

#include <charconv>

namespace podtrace::tracer {

Result<ListenAddress> parse_listen_address(const std::string& addr) {
  ListenAddress out;
  std::string port_text = addr;
  if (!addr.empty() && addr.front() == '[') {
    const auto close = addr.find("]:");
    if (close == std::string::npos) return make_error("invalid --metrics-addr " + addr);
    out.host = addr.substr(1, close - 1);
    port_text = addr.substr(close + 2);
  } else if (const auto colon = addr.rfind(':'); colon != std::string::npos) {
    out.host = addr.substr(0, colon);
    port_text = addr.substr(colon + 1);
  }
  // Exposing the node's view of a pod beyond the node is a choice the user makes explicitly.
  if (out.host.empty()) out.host = "127.0.0.1";
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), out.port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || out.port < 1 ||
      out.port > 65535)
    return make_error("invalid --metrics-addr " + addr + ": want [HOST]:PORT, port 1-65535");
  return out;
}

namespace {

// Headers every answer carries: the body is data, never a page to render or embed.
void add_security_headers(httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cache-Control", "no-store");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cross-Origin-Resource-Policy", "same-origin");
}

}  // namespace

MetricsServer::MetricsServer() = default;

MetricsServer::~MetricsServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

Status MetricsServer::start(const std::string& addr, MetricsLimits limits) {
  auto where = parse_listen_address(addr);
  if (!where) return where.take_error();
  limiter_ = std::make_unique<RateLimiter>(limits.requests_per_second, limits.burst);

  // Workers only see requests whose headers are in: slow clients cannot hold them.
  server_ = std::make_unique<GuardedHttpServer>(HttpGuardLimits{
      .deadline = limits.io_timeout, .max_pending = 256, .max_header_bytes = 8192,
      .workers = limits.workers});
  const auto t = static_cast<time_t>(limits.io_timeout.count());
  server_->set_read_timeout(t, 0);
  server_->set_write_timeout(t, 0);
  server_->set_keep_alive_timeout(t);
  server_->set_keep_alive_max_count(10);
  server_->set_payload_max_length(limits.max_body_bytes);
  server_->set_pre_routing_handler(
      [this, limits](const httplib::Request& req, httplib::Response& res) {
        add_security_headers(res);
        if (req.target.size() > limits.max_uri_bytes) {
          res.status = 414;
          return httplib::Server::HandlerResponse::Handled;
        }
        if (!limiter_->allow()) {
          res.status = 429;
          res.set_header("Retry-After", "1");
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    res.set_content(latest_, "text/plain; version=0.0.4; charset=utf-8");
  });
  if (!server_->bind_to_port(where->host, where->port))
    return make_error("cannot listen on " + where->host + ":" + std::to_string(where->port));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Ok{};
}

void MetricsServer::update(std::string exposition) {
  std::lock_guard lock(mutex_);
  latest_ = std::move(exposition);
}

}  // namespace podtrace::tracer
