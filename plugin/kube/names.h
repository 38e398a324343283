// SPDX-License-Identifier: Apache-2.0
// Validation of user input as Kubernetes names before anything is sent to the API server.
#pragma once

#include <string_view>

#include "result.h"

namespace podtrace::plugin::kube {

// RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters (namespaces, containers).
Status validate_dns1123_label(std::string_view what, std::string_view value);

// RFC 1123 subdomain: dot-separated labels, at most 253 characters (pod names).
Status validate_dns1123_subdomain(std::string_view what, std::string_view value);

// A label selector as kubectl accepts it: comma-separated requirements of the forms
// key, !key, key=value, key==value, key!=value, key in (a,b), key notin (a,b).
Status validate_label_selector(std::string_view selector);

}  // namespace podtrace::plugin::kube
