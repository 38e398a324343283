// SPDX-License-Identifier: Apache-2.0
// Base64 decoding of kubeconfig *-data fields, with OpenSSL doing the work.
#pragma once

#include <string>
#include <string_view>

#include "result.h"

namespace podtrace::plugin {

// Decodes standard base64 (whitespace allowed). Error on any invalid character.
Result<std::string> base64_decode(std::string_view text);

std::string base64_encode(std::string_view data);

}  // namespace podtrace::plugin
