// SPDX-License-Identifier: Apache-2.0
// text_writer.cpp: headings, lines and aligned tables for the terminal report.
#include "text_writer.h"

#include <algorithm>
#include <cctype>

#include "bars.h"
#include "terminal_safe.h"

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

void TextWriter::section(std::string_view title) {
  std::string upper = sanitize_for_terminal(title);
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  out_ += "\n" + style_.bold(upper) + "\n";
}

void TextWriter::heading(std::string_view text) {
  out_ += style_.bold(sanitize_for_terminal(text)) + "\n";
}

void TextWriter::line(std::string_view text, Tone tone) {
  out_ += "  " + paint(sanitize_for_terminal(text), tone) + "\n";
}

void TextWriter::raw_line(std::string_view text) {
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
  return render_histogram(s.buckets, 30);
}

void TextWriter::table(const Table& t) {
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
