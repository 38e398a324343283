// SPDX-License-Identifier: Apache-2.0
// The HTTP transport seam: RestClient speaks to this interface, tests can replace it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace podtrace::plugin::kube {

struct HttpRequest {
  std::string method;  // GET, POST, DELETE
  std::string path;    // path and query, already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  std::string header(std::string_view name) const;
};

enum class TransportFailure {
  none,
  connect,   // no connection was made: nothing was sent, any request may be retried
  io,        // the connection broke after the request may have been sent
  tls,       // TLS handshake or certificate verification failed: never retried
  timeout,   // no data within the read timeout
  canceled,  // cancel() or the data callback asked to stop
};

struct TransportResult {
  TransportFailure failure = TransportFailure::none;
  std::string message;  // why, when failure != none
  HttpResponse response;
};

class HttpTransport {
 public:
  // Data callback for streamed 2xx bodies; return false to stop reading.
  using DataSink = std::function<bool(std::string_view chunk)>;

  virtual ~HttpTransport() = default;

  virtual TransportResult send(const HttpRequest& request) = 0;

  // Like send, but a 2xx body goes to `sink` as it arrives instead of into response.body.
  virtual TransportResult stream(const HttpRequest& request, const DataSink& sink) = 0;

  // Thread-safe: makes a blocked send/stream return soon with TransportFailure::canceled.
  virtual void cancel() = 0;
};

// Each long-lived stream needs its own connection: a transport serves one request at a time.
using TransportFactory = std::function<std::unique_ptr<HttpTransport>()>;

}  // namespace podtrace::plugin::kube
