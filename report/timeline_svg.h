// SPDX-License-Identifier: Apache-2.0
// timeline_svg.h: the timeline as an inline SVG chart for the HTML report: one lane of bars per
// series, bursts in red, and one lane per process from its start to its end. No script.
#pragma once

#include <string>

#include "sections/timeline.h"

namespace podtrace {

// Empty when the timeline has no points. Each series is a <g class="series"> whose data-total
// is the series' total and whose bars carry their point's value (data-value) and a <title>.
std::string timeline_svg(const TimelineReport& t);

}  // namespace podtrace
