// SPDX-License-Identifier: Apache-2.0
// One live event (--follow) as one terminal line.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "render/style.h"

namespace podtrace {

// "12:00:01.234 web-1 fileio slow fsync /data/wal 48.2ms app[4242]". `pod` may be empty.
std::string format_event(const nlohmann::json &event, const std::string &pod, const Style &style);

} // namespace podtrace
