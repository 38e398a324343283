// SPDX-License-Identifier: Apache-2.0
// render_prometheus.h: the report as Prometheus text exposition, for the tracer's /metrics.
#pragma once

#include <string>

#include "report.h"

namespace podtrace {

std::string render_prometheus(const Report& report);

}  // namespace podtrace
