// SPDX-License-Identifier: Apache-2.0
// Retries: 429 (honouring Retry-After) and 5xx and broken connections for idempotent verbs;
// POST only when the server cannot have seen it (no connection, or 429).
#include "kube/rest_client.h"

#include <fmt/format.h>

#include <thread>

#include "terminal_safe.h"

namespace podtrace::plugin::kube {

using json = nlohmann::json;

RestClient::RestClient(TransportFactory factory, std::shared_ptr<TokenSource> tokens,
                       RetryPolicy policy, Sleeper sleeper)
    : factory_(std::move(factory)),
      tokens_(std::move(tokens)),
      policy_(policy),
      sleeper_(std::move(sleeper)) {
  if (!sleeper_) sleeper_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

std::chrono::milliseconds RestClient::backoff(int attempt) const {
  auto d = policy_.initial_backoff;
  for (int i = 0; i < attempt && d < policy_.max_backoff; i++) d *= 2;
  return std::min(d, policy_.max_backoff);
}

Result<HttpRequest> RestClient::make_request(const std::string& method, const std::string& path,
                                             bool refresh_token) {
  HttpRequest req;
  req.method = method;
  req.path = path;
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("User-Agent", "kubectl-podtrace/" PODTRACE_VERSION);
  if (tokens_) {
    auto token = tokens_->token(refresh_token);
    if (!token) return token.take_error();
    if (!token->empty()) req.headers.emplace_back("Authorization", "Bearer " + *token);
  }
  return req;
}

Result<json> RestClient::get(const std::string& path, const RequestTarget& target) {
  return call("GET", path, nullptr, target);
}

Result<json> RestClient::post(const std::string& path, const json& body,
                              const RequestTarget& target) {
  return call("POST", path, &body, target);
}

Result<json> RestClient::del(const std::string& path, const json& body,
                             const RequestTarget& target) {
  return call("DELETE", path, &body, target);
}

Result<json> RestClient::call(const std::string& method, const std::string& path, const json* body,
                              const RequestTarget& target) {
  const bool idempotent = method != "POST";
  bool refreshed = false;
  bool refresh_next = false;
  std::string last_error;
  for (int attempt = 0; attempt < policy_.max_attempts; attempt++) {
    auto req = make_request(method, path, refresh_next);
    refresh_next = false;
    if (!req) return req.take_error();
    if (body) {
      req->body = body->dump();
      req->content_type = "application/json";
    }
    TransportResult tr;
    {
      std::lock_guard<std::mutex> lock(transport_mutex_);
      if (!transport_) transport_ = factory_();
      tr = transport_->send(*req);
    }
    bool last = attempt + 1 == policy_.max_attempts;
    if (tr.failure != TransportFailure::none) {
      bool retry = tr.failure == TransportFailure::connect ||
                   (idempotent && (tr.failure == TransportFailure::io ||
                                   tr.failure == TransportFailure::timeout));
      if (!retry || last) return make_error(tr.message);
      sleeper_(backoff(attempt));
      continue;
    }
    int status = tr.response.status;
    if (status >= 200 && status < 300) {
      if (tr.response.body.empty()) return json::object();
      json doc = json::parse(tr.response.body, nullptr, false);
      if (doc.is_discarded())
        return make_error(fmt::format("{} {}: the API server sent a response that is not JSON",
                                      target.verb, target.resource));
      return doc;
    }
    if (status == 401 && tokens_ && !refreshed) {
      // An exec plugin's token may have been revoked early: ask once for a new one.
      refreshed = true;
      refresh_next = true;
      attempt--;
      continue;
    }
    bool retry = status == 429 || (idempotent && status >= 500);
    if (!retry || last) return make_error(describe_api_error(status, tr.response.body, target));
    auto delay = backoff(attempt);
    std::string retry_after = tr.response.header("Retry-After");
    if (!retry_after.empty() && retry_after.size() < 6 &&
        retry_after.find_first_not_of("0123456789") == std::string::npos)
      delay = std::min<std::chrono::milliseconds>(std::chrono::seconds(std::stoi(retry_after)),
                                                  policy_.max_retry_after);
    sleeper_(delay);
  }
  return make_error(last_error.empty() ? "request failed" : last_error);
}

StreamOutcome RestClient::stream(HttpTransport& transport, const std::string& path,
                                 const RequestTarget& target, const HttpTransport::DataSink& sink) {
  auto req = make_request("GET", path, false);
  if (!req) return {StreamOutcome::Kind::failed, req.error()};
  TransportResult tr = transport.stream(*req, sink);
  switch (tr.failure) {
    case TransportFailure::none:
      break;
    case TransportFailure::canceled:
      return {StreamOutcome::Kind::canceled, {}};
    case TransportFailure::tls:
      return {StreamOutcome::Kind::failed, tr.message};
    default:
      return {StreamOutcome::Kind::dropped, tr.message};
  }
  int status = tr.response.status;
  if (status >= 200 && status < 300) return {StreamOutcome::Kind::ended, {}};
  if (status == 429 || status >= 500)
    return {StreamOutcome::Kind::dropped, describe_api_error(status, tr.response.body, target)};
  return {StreamOutcome::Kind::failed, describe_api_error(status, tr.response.body, target)};
}

}  // namespace podtrace::plugin::kube
