// SPDX-License-Identifier: Apache-2.0
// Parsing of Kubernetes resource quantities (decimal and binary SI suffixes, exponents).
#include "quantity.h"

#include <cmath>
#include <cstdlib>
#include <utility>

namespace podtrace::cluster {

namespace {

std::optional<long double> suffix_scale(const std::string& suffix) {
  static const std::pair<const char*, long double> scales[] = {
      {"", 1.0L},
      {"n", 1e-9L},
      {"u", 1e-6L},
      {"m", 1e-3L},
      {"k", 1e3L},
      {"M", 1e6L},
      {"G", 1e9L},
      {"T", 1e12L},
      {"P", 1e15L},
      {"E", 1e18L},
      {"Ki", 1024.0L},
      {"Mi", 1048576.0L},
      {"Gi", 1073741824.0L},
      {"Ti", 1099511627776.0L},
      {"Pi", 1125899906842624.0L},
      {"Ei", 1152921504606846976.0L},
  };
  for (const auto& [name, scale] : scales)
    if (suffix == name) return scale;
  // Decimal exponent form: "1e3", "5E-2".
  if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    char* end = nullptr;
    long exp = std::strtol(suffix.c_str() + 1, &end, 10);
    if (end && *end == '\0') return std::pow(10.0L, static_cast<long double>(exp));
  }
  return std::nullopt;
}

std::optional<long double> parse_value(const std::string& text) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  size_t digits = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
    ++i;
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  auto scale = suffix_scale(text.substr(i));
  if (!scale) return std::nullopt;
  char* end = nullptr;
  std::string number = text.substr(0, i);
  long double value = std::strtold(number.c_str(), &end);
  if (!end || *end != '\0') return std::nullopt;
  return value * *scale;
}

}  // namespace

std::optional<long long> parse_quantity_milli(const std::string& text) {
  auto value = parse_value(text);
  if (!value) return std::nullopt;
  return static_cast<long long>(std::ceil(*value * 1000.0L - 1e-9L));
}

std::optional<long long> parse_quantity(const std::string& text) {
  auto value = parse_value(text);
  if (!value) return std::nullopt;
  return static_cast<long long>(std::ceil(*value - 1e-9L));
}

}  // namespace podtrace::cluster
