// SPDX-License-Identifier: Apache-2.0
// Container log files in the CRI format ("<RFC3339Nano> stdout F <line>") and reading them back.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "time_format.h"

namespace podtrace::cluster {

struct LogRecord {
  Clock::time_point time;
  std::string stream;  // stdout / stderr
  bool partial = false;
  std::string content;  // without the newline that a full (F) record implies
};

// Appends output to a CRI log file, one record per line. Output that does not end in a newline
// becomes a partial (P) record, so reading the log back yields exactly the bytes written.
class CriLogWriter {
 public:
  explicit CriLogWriter(const std::string& path);
  ~CriLogWriter();
  CriLogWriter(const CriLogWriter&) = delete;
  CriLogWriter& operator=(const CriLogWriter&) = delete;

  bool ok() const { return file_ != nullptr; }
  void write(std::string_view data, Clock::time_point now);
  void finish(Clock::time_point now);

 private:
  void emit(std::string_view content, bool partial, Clock::time_point now);

  FILE* file_ = nullptr;
  std::string pending_;
};

std::optional<LogRecord> parse_cri_line(const std::string& line);

// Options of GET pods/NAME/log that shape the output.
struct LogOptions {
  bool timestamps = false;
  std::optional<Clock::time_point> since_time;
  std::optional<long long> tail_lines;
  std::optional<long long> limit_bytes;
};

// The text kubectl shows for records (filtering by since_time, tail_lines; limit applied by
// caller).
std::string render_records(const std::vector<LogRecord>& records, const LogOptions& options);

// Reads every complete record from path starting at byte offset; advances offset past them.
std::vector<LogRecord> read_records(const std::string& path, long long& offset);

}  // namespace podtrace::cluster
