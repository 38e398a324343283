// SPDX-License-Identifier: Apache-2.0
// sections/process.h: the process section: exec, fork, exit codes, signals, OOM kills.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "section.h"

namespace podtrace {

struct ProcessExit {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  std::string comm;
  int exit_code = 0;
  int signal = 0;
  bool core_dumped = false;
  bool oom_killed = false;
  // This exit and the later ones of the same program and outcome that are not listed: past
  // the first few of a kind, the tracer counts exits instead of listing them.
  uint64_t count = 1;
  bool operator==(const ProcessExit&) const = default;
};

struct ProcessReport {
  static constexpr std::string_view kKey = "process";
  static constexpr std::string_view kTitle = "Processes";
  uint64_t execs = 0;
  uint64_t forks = 0;
  uint64_t threads = 0;
  uint64_t exits = 0;
  uint64_t oom_kills = 0;
  std::vector<ProcessExit> exited;  // from streamed events (bounded)
  bool operator==(const ProcessReport&) const = default;
};

// A non-zero exit code, a killing signal (a core dump comes with one) or an OOM kill.
bool exit_failed(const ProcessExit& x);

void to_json(nlohmann::json& j, const ProcessExit& x);
void from_json(const nlohmann::json& j, ProcessExit& x);
void to_json(nlohmann::json& j, const ProcessReport& p);
void from_json(const nlohmann::json& j, ProcessReport& p);
void render_section(TextWriter& out, const ProcessReport& p);
void write_section_metrics(MetricsWriter& out, const ProcessReport& p);
void diagnose_section(const ProcessReport& p, const DiagnoseThresholds& t,
                      std::vector<Finding>& out);
// Nothing of the pod seen: the text report folds the section into one line.
bool section_quiet(const ProcessReport& p);

}  // namespace podtrace
