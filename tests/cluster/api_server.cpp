// SPDX-License-Identifier: Apache-2.0
// Request routing mirrors the API server's handler chain: authenticate → authorize → serve.
#include "api_server.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <cstdlib>

#include "access_review.h"
#include "controller_clock.h"
#include "discovery.h"
#include "log_stream.h"
#include "openapi.h"
#include "request_info.h"
#include "watch_stream.h"

namespace podtrace::cluster {

using nlohmann::json;

namespace {

// Client certificates are optional (token users have none) but must chain to our CA.
bool setup_tls(SSL_CTX& ctx, const PkiFiles& pki) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(&ctx, pki.server_cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(&ctx, pki.server_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_load_verify_locations(&ctx, pki.ca_cert.c_str(), nullptr) != 1)
    return false;
  SSL_CTX_set_client_CA_list(&ctx, SSL_load_client_CA_file(pki.ca_cert.c_str()));
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, nullptr);
  return true;
}

// The quoted-string of a Warning header (net.NewWarningHeader): '"' and '\\' are escaped.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The drop-responses fault: a chunked body whose provider fails at once, so the client gets
// the headers and then a closed connection, the way a connection that drops mid-answer looks.
void drop_body(httplib::Response& res) {
  res.set_chunked_content_provider("application/json",
                                   [](size_t, httplib::DataSink&) { return false; });
}

bool anonymous_path(const std::string& path) {
  return path == "/healthz" || path == "/livez" || path == "/readyz" || path == "/version";
}

}  // namespace

ApiServer::ApiServer(Store& store, const PkiFiles& pki, Tokens tokens, std::string state_dir)
    : store_(store),
      authenticator_(std::move(tokens)),
      state_dir_(std::move(state_dir)),
      resources_(store) {
  server_ =
      std::make_unique<httplib::SSLServer>([pki](SSL_CTX& ctx) { return setup_tls(ctx, pki); });
  // Every watch and followed log holds a worker thread for its whole life.
  server_->new_task_queue = [] { return new httplib::ThreadPool(128); };
  server_->set_keep_alive_max_count(1000);
  server_->set_keep_alive_timeout(30);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    try {
      route(req, res);
      // Streams have their own fault (drop-log-streams).
      if (req.path.rfind("/harness/", 0) != 0 && !res.content_provider_ &&
          control_.take_dropped_response(req.get_header_value("User-Agent")))
        drop_body(res);
    } catch (const std::exception& e) {
      // A harness bug must show up as a readable 500, not an empty reply.
      send(res,
           status_failure(
               500, "InternalError",
               std::string("an error on the server has prevented the request from succeeding: ") +
                   e.what(),
               json::object()));
    }
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
}

ApiServer::~ApiServer() { stop(); }

int ApiServer::listen(int port, std::string& error) {
  if (!server_->is_valid()) {
    error = "TLS setup failed (certificates in " + state_dir_ + ")";
    return -1;
  }
  int bound = port == 0 ? server_->bind_to_any_port("127.0.0.1")
                        : (server_->bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound < 0) {
    error = "cannot listen on 127.0.0.1:" + std::to_string(port);
    return -1;
  }
  address_ = "127.0.0.1:" + std::to_string(bound);
  return bound;
}

void ApiServer::start() {
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

void ApiServer::stop() {
  control_.stopping.store(true);
  store_.wake_all();
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void ApiServer::send(httplib::Response& res, const ApiReply& reply) {
  res.status = reply.code;
  if (!reply.warning.empty()) res.set_header("Warning", "299 - " + quoted(reply.warning));
  res.set_content(reply.body.dump(), "application/json");
}

void ApiServer::route(const httplib::Request& req, httplib::Response& res) {
  const std::string& path = req.path;
  if (path == "/healthz" || path == "/livez" || path == "/readyz") {
    res.set_content("ok", "text/plain");
    return;
  }
  auto user = authenticator_.authenticate(req.ssl, req.get_header_value("Authorization"));
  if (!user && !anonymous_path(path)) return send(res, unauthorized());
  if (path.rfind("/harness/", 0) == 0) return serve_harness(*user, req, res);

  std::string watch = req.get_param_value("watch");
  RequestInfo info = parse_request_info(req.method, path, watch == "true" || watch == "1");
  if (user) {
    if (auto denied = authorize(*user, info, path)) return send(res, *denied);
  }
  if (!info.is_resource) {
    if (req.method == "GET") {
      if (auto doc = discovery_document(path, address_)) return send(res, {200, *doc, ""});
      if (auto doc = openapi_v3_document(path)) return send(res, {200, *doc, ""});
      if (path == "/openapi/v2") {
        // kubectl <= 1.27 only reads OpenAPI v2 (protobuf). A document without
        // definitions makes its validator skip every kind instead of failing.
        res.set_content(openapi_v2_protobuf(),
                        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
        return;
      }
    }
    return send(res,
                status_failure(404, "NotFound", "the server could not find the requested resource",
                               json::object()));
  }
  auto type = find_resource(info.group, info.version, info.resource);
  if (!type || (type->namespaced == info.ns.empty() && info.verb != "list" && info.verb != "watch"))
    return send(res,
                status_failure(404, "NotFound", "the server could not find the requested resource",
                               json::object()));
  if (!type->namespaced && !info.ns.empty())
    return send(res,
                status_failure(404, "NotFound", "the server could not find the requested resource",
                               json::object()));
  if (type->resource == "selfsubjectaccessreviews") {
    if (info.verb != "create" || !info.name.empty() || !user)
      return send(res, method_not_supported(
                           "the server does not allow this method on the requested resource"));
    return send(res, review_access(*user, req.body));
  }
  if (info.subresource == "log" && type->resource == "pods" && info.verb == "get")
    return serve_pod_log(store_, control_, state_dir_, info, req, res);
  if (info.verb == "watch") return serve_watch(store_, control_, info, *type, req, res);
  send(res, resources_.handle(info, *type, req));
}

void ApiServer::serve_harness(const User& user, const httplib::Request& req,
                              httplib::Response& res) {
  bool master = false;
  for (const auto& g : user.groups) master = master || g == "system:masters";
  if (!master)
    return send(res,
                status_failure(403, "Forbidden", "harness endpoints are for system:masters only",
                               json::object()));
  if (req.method == "POST" && req.path == "/harness/v1/faults/drop-log-streams") {
    int active = control_.active.load();
    ++control_.generation;
    return send(res, {200, {{"dropped", active}}, ""});
  }
  if (req.method == "POST" && req.path == "/harness/v1/faults/drop-responses") {
    int count = std::max(1, std::atoi(req.get_param_value("count").c_str()));
    control_.drop_responses(count, req.get_param_value("agent"));
    return send(res, {200, {{"dropping", count}}, ""});
  }
  if (req.method == "POST" && req.path == "/harness/v1/clock/advance") {
    long long seconds = std::atoll(req.get_param_value("seconds").c_str());
    if (seconds <= 0)
      return send(res, status_failure(400, "BadRequest", "seconds must be a positive integer",
                                      json::object()));
    advance_controller_clock(std::chrono::seconds(seconds));
    return send(res, {200, {{"advanced", seconds}}, ""});
  }
  send(res, status_failure(404, "NotFound", "the server could not find the requested resource",
                           json::object()));
}

}  // namespace podtrace::cluster
