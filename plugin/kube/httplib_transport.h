// SPDX-License-Identifier: Apache-2.0
// HttpTransport over cpp-httplib and OpenSSL, with the TLS settings of a ClientConfig.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kube/transport.h"
#include "result.h"
#include "util/temp_file.h"

namespace httplib {
class ClientImpl;
}

namespace podtrace::plugin::kube {

struct TlsSettings {
  std::string server;  // https://host:port[/prefix]
  std::string ca_pem;  // empty: the system trust store
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem;  // PEM, kept in memory
  std::string client_key_pem;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{30'000};
};

struct ServerAddress {
  bool https = true;
  std::string host;
  int port = 443;
  std::string path_prefix;  // e.g. "/k8s/clusters/c-1" behind Rancher, else ""
};

Result<ServerAddress> parse_server_url(const std::string& url);

class HttplibTransport : public HttpTransport {
 public:
  // Parses certificates and keys once; the factory builds transports that share them.
  static Result<TransportFactory> make_factory(const TlsSettings& settings);

  ~HttplibTransport() override;

  TransportResult send(const HttpRequest& request) override;
  TransportResult stream(const HttpRequest& request, const DataSink& sink) override;
  void cancel() override;

  struct Shared;
  explicit HttplibTransport(std::shared_ptr<const Shared> shared);

 private:
  TransportResult perform(const HttpRequest& request, const DataSink* sink);

  std::shared_ptr<const Shared> shared_;
  std::unique_ptr<httplib::ClientImpl> client_;
  std::atomic<bool> canceled_{false};
  std::mutex client_mutex_;
};

}  // namespace podtrace::plugin::kube
