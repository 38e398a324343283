// SPDX-License-Identifier: Apache-2.0
// GET pods/NAME/log: container output, optionally followed until the container ends.
#pragma once

#include <httplib.h>

#include <string>

#include "request_info.h"
#include "store.h"
#include "stream_control.h"

namespace podtrace::cluster {

// Query: container, follow, timestamps, sinceTime, sinceSeconds, tailLines, limitBytes.
void serve_pod_log(Store& store, StreamControl& control, const std::string& state_dir,
                   const RequestInfo& info, const httplib::Request& req, httplib::Response& res);

}  // namespace podtrace::cluster
