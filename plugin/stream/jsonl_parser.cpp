// SPDX-License-Identifier: Apache-2.0
// JSON-lines parsing that never throws: every byte from the node is untrusted.
#include "stream/jsonl_parser.h"

namespace podtrace::plugin {

using json = nlohmann::json;

std::optional<TracerLine> parse_tracer_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  bool too_deep = false;
  // The callback bounds nesting so a hostile line cannot build a pathological tree.
  json::parser_callback_t guard = [&too_deep](int depth, json::parse_event_t, json&) {
    if (depth > JsonLinesParser::max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  json doc = json::parse(line.begin(), line.end(), guard, false);
  if (too_deep || doc.is_discarded() || !doc.is_object()) return std::nullopt;
  auto type = doc.find("type");
  if (type == doc.end() || !type->is_string()) return std::nullopt;
  const std::string& t = type->get_ref<const std::string&>();
  TracerLine out;
  if (t == "start")
    out.type = LineType::start;
  else if (t == "event")
    out.type = LineType::event;
  else if (t == "summary")
    out.type = LineType::summary;
  else if (t == "report")
    out.type = LineType::report;
  else if (t == "error")
    out.type = LineType::error;
  else
    out.type = LineType::unknown;
  out.data = std::move(doc);
  return out;
}

void JsonLinesParser::feed(std::string_view chunk) {
  while (!chunk.empty()) {
    auto nl = chunk.find('\n');
    std::string_view piece = chunk.substr(0, nl);
    if (!overflow_) {
      if (partial_.size() + piece.size() > max_line) {
        overflow_ = true;
        partial_.clear();
        partial_.shrink_to_fit();
      } else {
        partial_.append(piece);
      }
    }
    if (nl == std::string_view::npos) return;
    if (overflow_) {
      lines_++;
      garbage_++;
      overflow_ = false;
    } else {
      take_line(partial_);
    }
    partial_.clear();
    chunk.remove_prefix(nl + 1);
  }
}

void JsonLinesParser::finish() {
  if (overflow_) {
    lines_++;
    garbage_++;
  } else if (!partial_.empty()) {
    take_line(partial_);
  }
  partial_.clear();
  overflow_ = false;
}

void JsonLinesParser::discard_partial() {
  partial_.clear();
  overflow_ = false;
}

void JsonLinesParser::take_line(std::string_view line) {
  bool blank = line.find_first_not_of(" \t\r") == std::string_view::npos;
  if (blank) return;
  lines_++;
  auto parsed = parse_tracer_line(line);
  if (!parsed) {
    garbage_++;
    return;
  }
  sink_(std::move(*parsed));
}

}  // namespace podtrace::plugin
