// SPDX-License-Identifier: Apache-2.0
// Builds a RestClient from a ClientConfig: TLS settings, client certificate and token source.
#pragma once

#include <memory>

#include "kube/client_config.h"
#include "kube/rest_client.h"
#include "result.h"

namespace podtrace::plugin::kube {

struct ClientTimeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds read{30'000};
};

// Runs the exec plugin once up front when there is one: its answer may be a client certificate,
// which the TLS layer needs before the first connection.
Result<std::shared_ptr<RestClient>> make_rest_client(const ClientConfig& config,
                                                     const ClientTimeouts& timeouts,
                                                     bool stdin_is_terminal,
                                                     RetryPolicy policy = {});

}  // namespace podtrace::plugin::kube
