// SPDX-License-Identifier: Apache-2.0
// Kubernetes REST calls: auth header, retries with backoff, Status errors as messages.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "kube/status.h"
#include "kube/transport.h"
#include "result.h"

namespace podtrace::plugin::kube {

// Supplies the bearer token; `refresh` after a 401 (exec plugins re-run, token files re-read).
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual Result<std::string> token(bool refresh) = 0;
};

struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{8'000};
  std::chrono::milliseconds max_retry_after{30'000};
};

// How a streamed request ended.
struct StreamOutcome {
  enum class Kind { ended, canceled, dropped, failed } kind = Kind::ended;
  std::string message;  // for dropped and failed
};

class RestClient {
 public:
  using Sleeper = std::function<void(std::chrono::milliseconds)>;

  RestClient(TransportFactory factory, std::shared_ptr<TokenSource> tokens, RetryPolicy policy = {},
             Sleeper sleeper = nullptr);

  Result<nlohmann::json> get(const std::string& path, const RequestTarget& target);
  Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body,
                              const RequestTarget& target);
  Result<nlohmann::json> del(const std::string& path, const nlohmann::json& body,
                             const RequestTarget& target);

  // A fresh transport for a long-lived stream; cancel() it from another thread to stop.
  std::unique_ptr<HttpTransport> new_transport() { return factory_(); }

  // One streamed GET (no retry: the caller knows how to resume). 2xx data goes to `sink`.
  StreamOutcome stream(HttpTransport& transport, const std::string& path,
                       const RequestTarget& target, const HttpTransport::DataSink& sink);

  // The backoff before retry number `attempt` (0-based), Retry-After aside.
  std::chrono::milliseconds backoff(int attempt) const;

 private:
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const nlohmann::json* body, const RequestTarget& target);
  Result<HttpRequest> make_request(const std::string& method, const std::string& path,
                                   bool refresh_token);

  TransportFactory factory_;
  std::shared_ptr<TokenSource> tokens_;
  RetryPolicy policy_;
  Sleeper sleeper_;
  std::mutex transport_mutex_;
  std::unique_ptr<HttpTransport> transport_;  // for plain calls, one at a time
};

}  // namespace podtrace::plugin::kube
