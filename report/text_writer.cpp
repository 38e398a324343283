// SPDX-License-Identifier: Apache-2.0
// text_writer.cpp: headings, lines and aligned tables for the terminal report.
#include "text_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "bars.h"
#include "terminal_safe.h"
#include "units.h"

namespace podtrace {

size_t display_width(std::string_view text) {
  size_t width = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++width;
  return width;
}

void Table::add_detail(std::vector<std::string> lines) {
  details_.resize(rows_.size());
  if (!rows_.empty()) details_[rows_.size() - 1] = std::move(lines);
}

std::string TextWriter::paint(std::string_view safe_text, Tone tone) const {
  switch (tone) {
    case Tone::kPlain:
      return std::string(safe_text);
    case Tone::kDim:
      return style_.dim(safe_text);
    case Tone::kBold:
      return style_.bold(safe_text);
    case Tone::kRed:
      return style_.red(safe_text);
    case Tone::kYellow:
      return style_.yellow(safe_text);
    case Tone::kGreen:
      return style_.green(safe_text);
    case Tone::kCyan:
      return style_.cyan(safe_text);
  }
  return std::string(safe_text);
}

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : sanitize_for_terminal(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {
constexpr std::string_view kSvgStart = "<svg class=\"hist\"";
}  // namespace

std::string histogram_svg(const LatencySummary& s) {
  if (s.buckets.empty()) return {};
  constexpr int kBar = 40, kGap = 4, kHeight = 90, kTop = 14, kBottom = 30;
  uint64_t max = 1;
  for (const auto& b : s.buckets) max = std::max(max, b.count);
  const int width = static_cast<int>(s.buckets.size()) * (kBar + kGap) + kGap;
  std::string svg = fmt::format(
      "<svg class=\"hist\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "role=\"img\" aria-label=\"latency histogram\">",
      width, kTop + kHeight + kBottom);
  int x = kGap;
  for (const auto& b : s.buckets) {
    const int h = std::max(1, static_cast<int>(kHeight * b.count / max));
    const std::string bound = b.le_ns == UINT64_MAX ? "inf" : format_ns(b.le_ns);
    svg += fmt::format(
        "<g><title>≤ {}: {}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>"
        "<text class=\"count\" x=\"{}\" y=\"{}\">{}</text>"
        "<text class=\"bound\" x=\"{}\" y=\"{}\">{}</text></g>",
        bound, b.count, x, kTop + kHeight - h, kBar, h, x + kBar / 2, kTop + kHeight - h - 3,
        b.count, x + kBar / 2, kTop + kHeight + 12, bound);
    x += kBar + kGap;
  }
  return svg + "</svg>";
}

void TextWriter::section(std::string_view title) {
  if (options_.html) {
    out_ += "<h2>" + html_escape(title) + "</h2>\n";
    return;
  }
  std::string upper = sanitize_for_terminal(title);
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  out_ += "\n" + style_.bold(upper) + "\n";
}

void TextWriter::heading(std::string_view text) {
  if (options_.html) {
    out_ += "<h1>" + html_escape(text) + "</h1>\n";
    return;
  }
  out_ += style_.bold(sanitize_for_terminal(text)) + "\n";
}

namespace {

const char* tone_class(Tone tone) {
  switch (tone) {
    case Tone::kPlain:
      return "";
    case Tone::kDim:
      return "dim";
    case Tone::kBold:
      return "bold";
    case Tone::kRed:
      return "red";
    case Tone::kYellow:
      return "yellow";
    case Tone::kGreen:
      return "green";
    case Tone::kCyan:
      return "cyan";
  }
  return "";
}

}  // namespace

void TextWriter::line(std::string_view text, Tone tone) {
  if (options_.html) {
    out_ += fmt::format("<p class=\"{}\">{}</p>\n", tone_class(tone), html_escape(text));
    return;
  }
  out_ += "  " + paint(sanitize_for_terminal(text), tone) + "\n";
}

void TextWriter::raw_line(std::string_view text) {
  if (options_.html) {
    // Already-formatted text (a sparkline, an aligned block): kept as it is, escaped.
    if (!text.empty()) out_ += "<pre>" + html_escape(text) + "</pre>\n";
    return;
  }
  if (text.empty()) {
    out_ += "\n";
    return;
  }
  out_ += "  ";
  out_ += text;
  out_ += "\n";
}

std::vector<std::string> TextWriter::histogram_lines(const LatencySummary& s) const {
  if (!options_.histograms) return {};
  if (options_.html) return {histogram_svg(s)};
  return render_histogram(s.buckets, 30);
}

void TextWriter::html_table(const Table& t) {
  const size_t shown = std::min(t.rows_.size(), options_.max_rows);
  out_ += "<table>\n<thead><tr>";
  for (const auto& col : t.columns_)
    out_ += fmt::format("<th class=\"{}\">{}</th>",
                        col.align == Table::Align::kLeft ? "text" : "num", html_escape(col.header));
  out_ += "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < shown; ++r) {
    out_ += "<tr>";
    for (size_t c = 0; c < t.columns_.size(); ++c) {
      const Cell empty;
      const Cell& cell = c < t.rows_[r].size() ? t.rows_[r][c] : empty;
      out_ += fmt::format("<td class=\"{} {}\">{}</td>",
                          t.columns_[c].align == Table::Align::kLeft ? "text" : "num",
                          tone_class(cell.tone), html_escape(cell.text));
    }
    out_ += "</tr>\n";
    // Histogram charts are markup histogram_svg() made; any other detail line is text, escaped.
    if (r < t.details_.size() && !t.details_[r].empty()) {
      out_ += fmt::format("<tr class=\"detail\"><td colspan=\"{}\">", t.columns_.size());
      for (const auto& d : t.details_[r])
        out_ += d.rfind(kSvgStart, 0) == 0 ? d : "<pre>" + html_escape(d) + "</pre>";
      out_ += "</td></tr>\n";
    }
  }
  out_ += "</tbody></table>\n";
  if (t.rows_.size() > shown)
    out_ += fmt::format("<p class=\"dim\">… {} more</p>\n", t.rows_.size() - shown);
}

void TextWriter::finding(std::string_view severity, std::string_view family, std::string_view title,
                         std::string_view detail) {
  if (options_.html) {
    out_ += fmt::format(
        "<div class=\"finding {}\"><span class=\"sev\">{}</span> <span class=\"family\">{}"
        "</span> <b>{}</b>{}</div>\n",
        html_escape(severity), html_escape(severity), html_escape(family), html_escape(title),
        detail.empty() ? "" : "<div class=\"detail\">" + html_escape(detail) + "</div>");
    return;
  }
  const Tone tone = severity == "critical"  ? Tone::kRed
                    : severity == "warning" ? Tone::kYellow
                                            : Tone::kCyan;
  const char* mark = severity == "critical" ? "✖ " : severity == "warning" ? "⚠ " : "ℹ ";
  raw_line(paint(mark + sanitize_for_terminal(severity), tone) + "  " +
           paint(sanitize_for_terminal(family), Tone::kDim) + "  " +
           paint(sanitize_for_terminal(title), Tone::kBold));
  if (!detail.empty()) raw_line("    " + sanitize_for_terminal(detail));
}

void TextWriter::table(const Table& t) {
  if (options_.html) {
    html_table(t);
    return;
  }
  const size_t shown = std::min(t.rows_.size(), options_.max_rows);
  std::vector<std::vector<std::string>> safe(shown);
  std::vector<size_t> widths(t.columns_.size());
  for (size_t c = 0; c < t.columns_.size(); ++c) widths[c] = display_width(t.columns_[c].header);
  for (size_t r = 0; r < shown; ++r) {
    for (size_t c = 0; c < t.columns_.size(); ++c) {
      safe[r].push_back(c < t.rows_[r].size() ? sanitize_for_terminal(t.rows_[r][c].text) : "");
      widths[c] = std::max(widths[c], display_width(safe[r][c]));
    }
  }
  auto pad = [&](const std::string& text, size_t c) {
    const std::string fill(widths[c] - display_width(text), ' ');
    return t.columns_[c].align == Table::Align::kLeft ? std::pair{std::string(), fill}
                                                      : std::pair{fill, std::string()};
  };
  auto emit = [&](const std::vector<std::string>& cells, const std::vector<Cell>* tones,
                  bool header) {
    std::string line = "  ";
    for (size_t c = 0; c < cells.size(); ++c) {
      const auto [before, after] = pad(cells[c], c);
      const Tone tone = header                       ? Tone::kDim
                        : tones && c < tones->size() ? (*tones)[c].tone
                                                     : Tone::kPlain;
      line += before + paint(cells[c], tone);
      // The last column gets no trailing spaces.
      if (c + 1 < cells.size()) line += after + "  ";
    }
    out_ += line + "\n";
  };
  std::vector<std::string> headers;
  for (const auto& col : t.columns_) headers.push_back(sanitize_for_terminal(col.header));
  emit(headers, nullptr, true);
  for (size_t r = 0; r < shown; ++r) {
    emit(safe[r], &t.rows_[r], false);
    if (r < t.details_.size())
      for (const auto& detail : t.details_[r]) out_ += "      " + detail + "\n";
  }
  if (t.rows_.size() > shown)
    out_ += "  " + style_.dim("… " + std::to_string(t.rows_.size() - shown) + " more") + "\n";
}

}  // namespace podtrace
