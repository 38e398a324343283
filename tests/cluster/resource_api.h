// SPDX-License-Identifier: Apache-2.0
// get/list/create/update/patch/delete of namespaces, nodes, pods, events and batch/v1 jobs.
#pragma once

#include <httplib.h>

#include "api_status.h"
#include "discovery.h"
#include "request_info.h"
#include "selectors.h"
#include "store.h"

namespace podtrace::cluster {

// Selectors of a list/watch request, or the 400 reply when they do not parse.
struct ListFilter {
  std::string resource;  // whose selectable fields the field selector names
  Selector labels;
  Selector fields;
  bool matches(const nlohmann::json& obj) const;
};
std::variant<ListFilter, ApiReply> parse_list_filter(const std::string& resource,
                                                     const httplib::Request& req);

class ResourceApi {
 public:
  explicit ResourceApi(Store& store) : store_(store) {}

  // Every verb but watch (see watch_stream.h) and the pods/log subresource (log_stream.h).
  ApiReply handle(const RequestInfo& info, const ResourceType& type, const httplib::Request& req);

 private:
  ApiReply get(const RequestInfo& info, const ResourceType& type, const httplib::Request& req);
  ApiReply list(const RequestInfo& info, const ResourceType& type, const httplib::Request& req);
  ApiReply create(const RequestInfo& info, const ResourceType& type, const httplib::Request& req);
  ApiReply update(const RequestInfo& info, const ResourceType& type, const httplib::Request& req);
  ApiReply patch(const RequestInfo& info, const ResourceType& type, const httplib::Request& req);
  ApiReply remove(const RequestInfo& info, const ResourceType& type, const httplib::Request& req);

  Store& store_;
};

// Whether the client asked for meta.k8s.io Table output (kubectl get).
bool wants_table(const httplib::Request& req);

}  // namespace podtrace::cluster
