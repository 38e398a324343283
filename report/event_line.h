// SPDX-License-Identifier: Apache-2.0
// event_line.h: one live event (--follow) as one terminal line.
#pragma once

#include <string>

#include "event.h"
#include "style.h"

namespace podtrace {

// "12:00:01.234 web-1 fileio slow fsync /data/wal 48.2ms app[4242]". `pod` may be empty.
std::string format_event(const Event& event, const std::string& pod, const Style& style);

}  // namespace podtrace
