// SPDX-License-Identifier: Apache-2.0
// Kubernetes name and selector validation: the same rules as apimachinery's validation package.
#include "kube/names.h"

#include <fmt/format.h>

#include <regex>
#include <string>
#include <vector>

#include "terminal_safe.h"

namespace podtrace::plugin::kube {
namespace {

bool is_label(std::string_view v) {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return !v.empty() && v.size() <= 63 && std::regex_match(v.begin(), v.end(), re);
}

bool is_subdomain(std::string_view v) {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return !v.empty() && v.size() <= 253 && std::regex_match(v.begin(), v.end(), re);
}

// Label key: optional DNS subdomain prefix + '/' + name of at most 63 [A-Za-z0-9_.-].
bool is_label_key(std::string_view key) {
  static const std::regex name_re("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  std::string_view name = key;
  auto slash = key.find('/');
  if (slash != std::string_view::npos) {
    if (!is_subdomain(key.substr(0, slash))) return false;
    name = key.substr(slash + 1);
  }
  return !name.empty() && name.size() <= 63 && std::regex_match(name.begin(), name.end(), name_re);
}

bool is_label_value(std::string_view v) {
  static const std::regex re("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");
  return v.size() <= 63 && std::regex_match(v.begin(), v.end(), re);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Splits on commas that are not inside parentheses.
std::vector<std::string_view> split_requirements(std::string_view s) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '(')
      depth++;
    else if (s[i] == ')')
      depth--;
    else if (s[i] == ',' && depth == 0) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

bool is_requirement(std::string_view r) {
  r = trim(r);
  if (r.empty()) return false;
  if (r.front() == '!') return is_label_key(trim(r.substr(1)));
  for (std::string_view op : {"!=", "==", "="}) {
    auto pos = r.find(op);
    if (pos != std::string_view::npos)
      return is_label_key(trim(r.substr(0, pos))) &&
             is_label_value(trim(r.substr(pos + op.size())));
  }
  for (std::string_view op : {" notin ", " in "}) {
    auto pos = r.find(op);
    if (pos == std::string_view::npos) continue;
    std::string_view set = trim(r.substr(pos + op.size()));
    if (set.size() < 2 || set.front() != '(' || set.back() != ')') return false;
    set = set.substr(1, set.size() - 2);
    size_t start = 0;
    while (true) {
      auto comma = set.find(',', start);
      if (!is_label_value(trim(set.substr(start, comma - start)))) return false;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return is_label_key(trim(r.substr(0, pos)));
  }
  return is_label_key(r);
}

}  // namespace

Status validate_dns1123_label(std::string_view what, std::string_view value) {
  if (is_label(value)) return ok_status();
  return make_error(
      fmt::format("invalid {} \"{}\": must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most "
                  "63 characters)",
                  what, sanitize_for_terminal(value)));
}

Status validate_dns1123_subdomain(std::string_view what, std::string_view value) {
  if (is_subdomain(value)) return ok_status();
  return make_error(
      fmt::format("invalid {} \"{}\": must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.', "
                  "at most 253 characters)",
                  what, sanitize_for_terminal(value)));
}

Status validate_label_selector(std::string_view selector) {
  if (!trim(selector).empty()) {
    bool valid = true;
    for (auto r : split_requirements(selector)) valid = valid && is_requirement(r);
    if (valid) return ok_status();
  }
  return make_error(fmt::format("invalid label selector \"{}\": expected e.g. app=web,tier!=cache",
                                sanitize_for_terminal(selector)));
}

}  // namespace podtrace::plugin::kube
