// SPDX-License-Identifier: Apache-2.0
// URL → RequestInfo, following apiserver's request_info.go.
#include "request_info.h"

#include <cctype>
#include <vector>

namespace podtrace::cluster {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace

RequestInfo parse_request_info(const std::string& method, const std::string& path, bool watch) {
  RequestInfo info;
  // Non-resource requests are authorized by the lower-cased HTTP method ("get", "post").
  for (char c : method) info.verb += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto parts = split_path(path);
  size_t i = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    info.version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  } else {
    return info;
  }
  if (i >= parts.size()) return info;  // /api/v1 itself is discovery
  info.is_resource = true;

  std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
  // namespaces/NS/RESOURCE/...; "namespaces/NS" alone and namespaces/NS/{status,finalize}
  // address the namespace object itself.
  if (rest[0] == "namespaces" && rest.size() >= 2) {
    if (rest.size() == 2 || rest[2] == "status" || rest[2] == "finalize") {
      info.resource = "namespaces";
      info.name = rest[1];
      if (rest.size() >= 3) info.subresource = rest[2];
    } else {
      info.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
      info.resource = rest[0];
      if (rest.size() >= 2) info.name = rest[1];
      if (rest.size() >= 3) info.subresource = rest[2];
    }
  } else {
    info.resource = rest[0];
    if (rest.size() >= 2) info.name = rest[1];
    if (rest.size() >= 3) info.subresource = rest[2];
  }

  if (method == "GET" || method == "HEAD")
    info.verb = watch ? "watch" : (info.name.empty() ? "list" : "get");
  else if (method == "POST")
    info.verb = "create";
  else if (method == "PUT")
    info.verb = "update";
  else if (method == "PATCH")
    info.verb = "patch";
  else if (method == "DELETE")
    info.verb = info.name.empty() ? "deletecollection" : "delete";
  else
    info.verb = "unknown";
  return info;
}

}  // namespace podtrace::cluster
