// SPDX-License-Identifier: Apache-2.0
// Random session ids for Job names and labels.
#pragma once

#include <string>

namespace podtrace::plugin {

// `length` lowercase alphanumerics from OpenSSL's CSPRNG: valid in names and label values.
std::string random_id(size_t length = 8);

}  // namespace podtrace::plugin
