// SPDX-License-Identifier: Apache-2.0
// section_util.h: the table shapes and cell formats that several sections share, so that a
// latency row or an error count looks the same in every section.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "latency.h"
#include "text_writer.h"

namespace podtrace {

// Columns: name (left), count, the extra columns, p50, p90, p99, max, and the distribution.
Table latency_table(std::string name_header, std::string count_header,
                    std::vector<std::string> extra_headers);
std::vector<Cell> latency_row(std::string name, uint64_t count, const LatencySummary& latency,
                              std::vector<Cell> extra);

// A count, red when non-zero, with an optional note ("3 ENOENT").
Cell error_cell(uint64_t errors, const std::string& note = {});

// "a x3, b x1" for the n largest counts.
std::string top_counts(const std::map<std::string, uint64_t>& counts, size_t n);

// "10.0.0.1:80", "[::1]:53".
std::string endpoint_text(std::string_view address, uint16_t port);

}  // namespace podtrace
