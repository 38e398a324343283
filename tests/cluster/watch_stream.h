// SPDX-License-Identifier: Apache-2.0
// ?watch=true: a chunked stream of {"type":..,"object":..} lines, one per change.
#pragma once

#include <httplib.h>

#include "discovery.h"
#include "request_info.h"
#include "store.h"
#include "stream_control.h"

namespace podtrace::cluster {

// Sets up res as a streaming watch (or an error reply). Honours resourceVersion ("" and "0":
// start with ADDED for what exists), timeoutSeconds, label/field selectors, sendInitialEvents
// and allowWatchBookmarks.
void serve_watch(Store& store, StreamControl& control, const RequestInfo& info,
                 const ResourceType& type, const httplib::Request& req, httplib::Response& res);

}  // namespace podtrace::cluster
