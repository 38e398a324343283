// SPDX-License-Identifier: Apache-2.0
// Discovery documents (/version, /api, /apis, /api/v1, /apis/GROUP[/v1]) and the resource
// catalogue.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace podtrace::cluster {

// A served resource: what its objects are called and where they live.
struct ResourceType {
  std::string group;  // "", "batch" or "authorization.k8s.io"
  std::string version;
  std::string resource;  // plural: "pods"
  std::string kind;      // "Pod"
  bool namespaced = true;
};

// nullopt when the harness does not serve group/version/resource.
std::optional<ResourceType> find_resource(const std::string& group, const std::string& version,
                                          const std::string& resource);

// Body for a discovery path, or nullopt when the path is not a discovery document (404).
// server_address is "127.0.0.1:PORT" for /api's serverAddressByClientCIDRs.
std::optional<nlohmann::json> discovery_document(const std::string& path,
                                                 const std::string& server_address);

}  // namespace podtrace::cluster
