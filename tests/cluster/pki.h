// SPDX-License-Identifier: Apache-2.0
// The harness's own certificate authority: CA, serving certificate and client certificates.
#pragma once

#include <string>

namespace podtrace::cluster {

// PEM files written into the state directory at start-up.
struct PkiFiles {
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
  std::string admin_cert;
  std::string admin_key;
};

// Generates a fresh P-256 CA, a server certificate for 127.0.0.1/localhost and the admin
// client certificate (CN=podtrace-admin, O=system:masters) under dir. Returns an error
// message, empty on success.
std::string generate_pki(const std::string& dir, PkiFiles& files);

}  // namespace podtrace::cluster
