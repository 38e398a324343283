// SPDX-License-Identifier: Apache-2.0
// RFC 3339 timestamps and kubectl-style human durations.
#include "time_format.h"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>

namespace podtrace::cluster {

namespace {

std::string utc_prefix(Clock::time_point t) {
  std::time_t secs = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

}  // namespace

std::string rfc3339(Clock::time_point t) { return utc_prefix(t) + "Z"; }

std::string rfc3339_nano(Clock::time_point t) {
  auto since = t.time_since_epoch();
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since).count() % 1000000000;
  if (nanos < 0) nanos += 1000000000;
  return fmt::format("{}.{:09d}Z", utc_prefix(t), nanos);
}

bool parse_rfc3339(const std::string& text, Clock::time_point& out) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  long long nanos = 0;
  size_t pos = static_cast<size_t>(consumed);
  if (pos < text.size() && text[pos] == '.') {
    long long scale = 100000000;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      nanos += (text[pos] - '0') * scale;
      scale /= 10;
    }
  }
  long offset_s = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int hh = 0, mm = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &hh, &mm) != 2) return false;
    offset_s = (hh * 3600 + mm * 60) * (text[pos] == '+' ? 1 : -1);
  } else if (pos >= text.size() || (text[pos] != 'Z' && text[pos] != 'z')) {
    return false;
  }
  std::time_t secs = timegm(&tm) - offset_s;
  out = Clock::from_time_t(secs) +
        std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(nanos));
  return true;
}

std::string human_duration(std::chrono::seconds d) {
  long long s = d.count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 60 * 2) return fmt::format("{}s", s);
  long long m = s / 60;
  if (m < 10) return s % 60 == 0 ? fmt::format("{}m", m) : fmt::format("{}m{}s", m, s % 60);
  if (m < 60 * 3) return fmt::format("{}m", m);
  long long h = m / 60;
  if (h < 8) return m % 60 == 0 ? fmt::format("{}h", h) : fmt::format("{}h{}m", h, m % 60);
  if (h < 48) return fmt::format("{}h", h);
  if (h < 24 * 8)
    return h % 24 == 0 ? fmt::format("{}d", h / 24) : fmt::format("{}d{}h", h / 24, h % 24);
  if (h < 24 * 365 * 2) return fmt::format("{}d", h / 24);
  return fmt::format("{}y", h / 24 / 365);
}

}  // namespace podtrace::cluster
