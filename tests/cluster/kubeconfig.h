// SPDX-License-Identifier: Apache-2.0
// Writes the kubeconfig that points kubectl and the plugin at the harness.
#pragma once

#include <string>

#include "auth.h"
#include "pki.h"

namespace podtrace::cluster {

// Contexts podtrace-admin (client certificate, current), podtrace-token and
// podtrace-restricted (bearer tokens); the CA is embedded as certificate-authority-data.
// Returns an error message, empty on success.
std::string write_kubeconfig(const std::string& path, const std::string& server_url,
                             const PkiFiles& pki, const Tokens& tokens);

// A random bearer token (hex).
std::string random_token();

}  // namespace podtrace::cluster
