// SPDX-License-Identifier: Apache-2.0
// render_prometheus.h: the report as Prometheus text exposition, for the tracer's /metrics.
#pragma once

#include <string>

#include "metrics_writer.h"
#include "report.h"

namespace podtrace {

// `constant` labels (namespace, pod, container of the traced pod) go on every sample.
std::string render_prometheus(const Report& report, const Labels& constant = {});

}  // namespace podtrace
