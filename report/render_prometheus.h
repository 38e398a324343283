// SPDX-License-Identifier: Apache-2.0
// render_prometheus.h: the report as Prometheus text exposition, for the tracer's /metrics.
#pragma once

#include <string>

#include "metrics_writer.h"
#include "report.h"

namespace podtrace {

// `constant` labels (namespace, pod, container of the traced pod) go on every sample; `top`
// bounds the label values of every family labelled by endpoint, name, path, statement or lock.
std::string render_prometheus(const Report& report, const Labels& constant = {},
                              size_t top = kDefaultMetricsTop);

}  // namespace podtrace
