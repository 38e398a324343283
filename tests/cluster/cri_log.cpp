// SPDX-License-Identifier: Apache-2.0
// CRI log format as written by containerd and parsed by the kubelet (pkg/kubelet/kuberuntime/logs).
#include "cri_log.h"

#include <algorithm>
#include <fstream>

namespace podtrace::cluster {

CriLogWriter::CriLogWriter(const std::string& path) : file_(std::fopen(path.c_str(), "a")) {}

CriLogWriter::~CriLogWriter() {
  if (file_) std::fclose(file_);
}

void CriLogWriter::emit(std::string_view content, bool partial, Clock::time_point now) {
  std::string line = rfc3339_nano(now) + " stdout " + (partial ? "P " : "F ");
  line.append(content);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), file_);
}

void CriLogWriter::write(std::string_view data, Clock::time_point now) {
  if (!file_) return;
  pending_.append(data);
  size_t start = 0;
  for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1)
    emit(std::string_view(pending_).substr(start, nl - start), false, now);
  pending_.erase(0, start);
  // Output without a newline yet is logged at once as a partial record, so followers see
  // progress output immediately and the bytes read back are exactly those written.
  if (!pending_.empty()) emit(pending_, true, now);
  pending_.clear();
  std::fflush(file_);
}

void CriLogWriter::finish(Clock::time_point now) {
  if (!file_) return;
  if (!pending_.empty()) emit(pending_, true, now);
  pending_.clear();
  std::fflush(file_);
}

std::optional<LogRecord> parse_cri_line(const std::string& line) {
  size_t a = line.find(' ');
  if (a == std::string::npos) return std::nullopt;
  size_t b = line.find(' ', a + 1);
  if (b == std::string::npos || b + 2 > line.size()) return std::nullopt;
  LogRecord rec;
  if (!parse_rfc3339(line.substr(0, a), rec.time)) return std::nullopt;
  rec.stream = line.substr(a + 1, b - a - 1);
  char tag = line[b + 1];
  if (tag != 'F' && tag != 'P') return std::nullopt;
  rec.partial = tag == 'P';
  rec.content = b + 3 <= line.size() ? line.substr(b + 3) : "";
  return rec;
}

std::string render_records(const std::vector<LogRecord>& records, const LogOptions& options) {
  size_t first = 0;
  if (options.tail_lines) {
    // A line is a run of partial records closed by a full one; output still open at the
    // end counts as the last line, as the kubelet's tail does.
    std::vector<size_t> starts;
    for (size_t i = 0; i < records.size(); ++i)
      if (i == 0 || !records[i - 1].partial) starts.push_back(i);
    size_t want = static_cast<size_t>(std::max(0LL, *options.tail_lines));
    first = want == 0 ? records.size() : want >= starts.size() ? 0 : starts[starts.size() - want];
  }
  std::string out;
  for (size_t i = first; i < records.size(); ++i) {
    const auto& rec = records[i];
    if (options.since_time && rec.time < *options.since_time) continue;
    if (options.timestamps) out += rfc3339_nano(rec.time) + " ";
    out += rec.content;
    if (!rec.partial) out += '\n';
  }
  return out;
}

std::vector<LogRecord> read_records(const std::string& path, long long& offset) {
  std::vector<LogRecord> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;
  in.seekg(offset);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline yet: the writer is mid-record
    offset += static_cast<long long>(line.size()) + 1;
    if (auto rec = parse_cri_line(line)) out.push_back(std::move(*rec));
  }
  return out;
}

}  // namespace podtrace::cluster
