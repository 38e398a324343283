// SPDX-License-Identifier: Apache-2.0
// What an API request addresses: verb, group/version, namespace, resource, name, subresource.
#pragma once

#include <string>

namespace podtrace::cluster {

struct RequestInfo {
  bool is_resource = false;  // false: discovery and other non-resource paths
  std::string verb;          // get list watch create update patch delete deletecollection; for
                             // non-resource requests the lower-cased method (get, post)
  std::string group;         // "" for the core group
  std::string version;
  std::string ns;
  std::string resource;
  std::string name;
  std::string subresource;
};

// Mirrors k8s.io/apiserver RequestInfoFactory for /api/v1/... and /apis/GROUP/VERSION/...
// watch is true when the query asks for watch=true|1.
RequestInfo parse_request_info(const std::string& method, const std::string& path, bool watch);

}  // namespace podtrace::cluster
