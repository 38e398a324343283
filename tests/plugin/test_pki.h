// SPDX-License-Identifier: Apache-2.0
// Test PKI generated in-process with OpenSSL: a CA, a server cert for 127.0.0.1, client certs.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>

namespace podtrace::testing {

struct KeyPair {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  std::string cert_pem;
  std::string key_pem;

  KeyPair() = default;
  KeyPair(const KeyPair&) = delete;
  KeyPair& operator=(const KeyPair&) = delete;
  KeyPair(KeyPair&& o) noexcept;
  ~KeyPair();
};

// Self-signed CA named `cn`.
KeyPair make_ca(const std::string& cn);

// Leaf signed by `ca`. `ip_san` (e.g. "127.0.0.1") makes it a server certificate.
KeyPair make_leaf(const KeyPair& ca, const std::string& cn, const std::string& ip_san = {});

// A new X509_STORE holding `ca` (for SSLServer client verification).
X509_STORE* store_with(const KeyPair& ca);

}  // namespace podtrace::testing
