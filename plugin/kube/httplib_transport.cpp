// SPDX-License-Identifier: Apache-2.0
// cpp-httplib transport: TLS verification on by default, client certificates from memory.
#include "kube/httplib_transport.h"

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "terminal_safe.h"

namespace podtrace::plugin::kube {

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return v;
  }
  return {};
}

struct HttplibTransport::Shared {
  ServerAddress address;
  std::optional<TempFile> ca_file;  // OpenSSL loads only this file: no system CAs mixed in
  bool insecure = false;
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{30'000};

  Shared() = default;
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;
  ~Shared() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

// Counts the certificates in a PEM bundle, so a CA file with garbage is caught before connecting.
Result<int> count_pem_certificates(const std::string& pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  int count = 0;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_free(x);
    count++;
  }
  ERR_clear_error();
  if (count == 0) return make_error("no PEM certificate found");
  return count;
}

}  // namespace

Result<ServerAddress> parse_server_url(const std::string& url) {
  ServerAddress a;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    a.https = false;
    a.port = 80;
    rest = url.substr(7);
  } else {
    return make_error(
        fmt::format("server \"{}\": must start with https://", sanitize_for_terminal(url)));
  }
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos) {
    a.path_prefix = rest.substr(slash);
    while (!a.path_prefix.empty() && a.path_prefix.back() == '/') a.path_prefix.pop_back();
  }
  std::string port_text;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string::npos)
      return make_error(fmt::format("server \"{}\": bad IPv6 address", sanitize_for_terminal(url)));
    a.host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size() && hostport[close + 1] == ':')
      port_text = hostport.substr(close + 2);
  } else {
    auto colon = hostport.rfind(':');
    a.host = hostport.substr(0, colon);
    if (colon != std::string::npos) port_text = hostport.substr(colon + 1);
  }
  if (a.host.empty())
    return make_error(fmt::format("server \"{}\": no host", sanitize_for_terminal(url)));
  if (!port_text.empty()) {
    if (!std::all_of(port_text.begin(), port_text.end(), ::isdigit) || port_text.size() > 5)
      return make_error(fmt::format("server \"{}\": bad port", sanitize_for_terminal(url)));
    a.port = std::stoi(port_text);
    if (a.port <= 0 || a.port > 65535)
      return make_error(fmt::format("server \"{}\": bad port", sanitize_for_terminal(url)));
  }
  return a;
}

Result<TransportFactory> HttplibTransport::make_factory(const TlsSettings& settings) {
  auto address = parse_server_url(settings.server);
  if (!address) return address.take_error();
  auto shared = std::make_shared<Shared>();
  shared->address = *address;
  shared->insecure = settings.insecure_skip_tls_verify;
  shared->connect_timeout = settings.connect_timeout;
  shared->read_timeout = settings.read_timeout;

  if (!settings.ca_pem.empty() && !settings.insecure_skip_tls_verify) {
    auto n = count_pem_certificates(settings.ca_pem);
    if (!n) return make_error("certificate-authority: " + n.error());
    auto file = TempFile::create(settings.ca_pem);
    if (!file) return file.take_error();
    shared->ca_file.emplace(std::move(*file));
  }
  if (!settings.client_cert_pem.empty()) {
    std::unique_ptr<BIO, BioDeleter> cert_bio(BIO_new_mem_buf(
        settings.client_cert_pem.data(), static_cast<int>(settings.client_cert_pem.size())));
    shared->cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
    if (!shared->cert)
      return make_error("client-certificate: not a PEM certificate: " + openssl_error());
    std::unique_ptr<BIO, BioDeleter> key_bio(BIO_new_mem_buf(
        settings.client_key_pem.data(), static_cast<int>(settings.client_key_pem.size())));
    shared->key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
    if (!shared->key) return make_error("client-key: not a PEM private key: " + openssl_error());
    if (X509_check_private_key(shared->cert, shared->key) != 1) {
      ERR_clear_error();
      return make_error("client-key does not match client-certificate");
    }
  }
  std::shared_ptr<const Shared> frozen = shared;
  return TransportFactory([frozen]() -> std::unique_ptr<HttpTransport> {
    return std::make_unique<HttplibTransport>(frozen);
  });
}

HttplibTransport::HttplibTransport(std::shared_ptr<const Shared> shared)
    : shared_(std::move(shared)) {
  const auto& a = shared_->address;
  if (!a.https) {
    client_ = std::make_unique<httplib::ClientImpl>(a.host, a.port);
  } else {
    std::unique_ptr<httplib::SSLClient> ssl;
    if (shared_->cert)
      ssl = std::make_unique<httplib::SSLClient>(a.host, a.port, shared_->cert, shared_->key);
    else
      ssl = std::make_unique<httplib::SSLClient>(a.host, a.port);
    ssl->enable_server_certificate_verification(!shared_->insecure);
    if (shared_->ca_file) ssl->set_ca_cert_path(shared_->ca_file->path());
    client_ = std::move(ssl);
  }
  client_->set_connection_timeout(shared_->connect_timeout);
  client_->set_read_timeout(shared_->read_timeout);
  client_->set_write_timeout(shared_->read_timeout);
  client_->set_keep_alive(false);
  client_->set_follow_location(false);
  // Paths and queries are encoded by the REST client; encoding twice would corrupt them.
  client_->set_url_encode(false);
}

HttplibTransport::~HttplibTransport() = default;

TransportResult HttplibTransport::send(const HttpRequest& request) {
  return perform(request, nullptr);
}

TransportResult HttplibTransport::stream(const HttpRequest& request, const DataSink& sink) {
  return perform(request, &sink);
}

void HttplibTransport::cancel() {
  canceled_ = true;
  client_->stop();
}

TransportResult HttplibTransport::perform(const HttpRequest& request, const DataSink* sink) {
  TransportResult result;
  if (canceled_) {
    result.failure = TransportFailure::canceled;
    result.message = "canceled";
    return result;
  }
  std::lock_guard<std::mutex> lock(client_mutex_);
  httplib::Request req;
  req.method = request.method;
  req.path = shared_->address.path_prefix + request.path;
  for (const auto& [k, v] : request.headers) req.headers.emplace(k, v);
  req.headers.emplace("Accept-Encoding", "identity");
  if (!request.body.empty() || request.method == "POST") {
    req.body = request.body;
    req.headers.emplace("Content-Type",
                        request.content_type.empty() ? "application/json" : request.content_type);
  }
  int status = 0;
  std::string error_body;
  bool sink_stopped = false;
  if (sink) {
    req.response_handler = [&](const httplib::Response& res) {
      status = res.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
      if (canceled_) return false;
      if (status < 200 || status >= 300) {
        if (error_body.size() < (1 << 20)) error_body.append(data, len);
        return true;
      }
      if (!(*sink)(std::string_view(data, len))) {
        sink_stopped = true;
        return false;
      }
      return true;
    };
  }

  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  bool ok = client_->send(req, res, err);
  if (canceled_ || sink_stopped) {
    result.failure = TransportFailure::canceled;
    result.message = "canceled";
    return result;
  }
  if (!ok) {
    switch (err) {
      case httplib::Error::Connection:
      case httplib::Error::BindIPAddress:
      case httplib::Error::ConnectionTimeout:
        result.failure = TransportFailure::connect;
        result.message = fmt::format(
            "cannot connect to {}:{}: {}", shared_->address.host, shared_->address.port,
            err == httplib::Error::ConnectionTimeout ? "timed out"
            : err == httplib::Error::BindIPAddress   ? "cannot bind the local address"
                                                     : "connection refused or unreachable");
        break;
      case httplib::Error::SSLServerVerification: {
        result.failure = TransportFailure::tls;
        auto* ssl = dynamic_cast<httplib::SSLClient*>(client_.get());
        long v = ssl ? ssl->get_openssl_verify_result() : 0;
        result.message = fmt::format("TLS: cannot verify the server certificate of {}: {}",
                                     shared_->address.host,
                                     v != X509_V_OK ? X509_verify_cert_error_string(v)
                                                    : "host name does not match the certificate");
        break;
      }
      case httplib::Error::SSLConnection:
      case httplib::Error::SSLLoadingCerts:
        result.failure = TransportFailure::tls;
        result.message = fmt::format("TLS handshake with {}:{} failed ({})", shared_->address.host,
                                     shared_->address.port, httplib::to_string(err));
        break;
      case httplib::Error::Canceled:
        result.failure = TransportFailure::canceled;
        result.message = "canceled";
        break;
      default:
        result.failure = TransportFailure::io;
        result.message = fmt::format(
            "connection to {}:{} broke while {} (closed, reset or timed out)",
            shared_->address.host, shared_->address.port,
            err == httplib::Error::Write ? "sending the request" : "reading the response");
        break;
    }
    return result;
  }
  result.response.status = res.status;
  result.response.body = sink ? std::move(error_body) : std::move(res.body);
  for (const auto& [k, v] : res.headers) result.response.headers.emplace_back(k, v);
  return result;
}

}  // namespace podtrace::plugin::kube
