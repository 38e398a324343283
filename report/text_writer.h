// SPDX-License-Identifier: Apache-2.0
// text_writer.h: the building blocks of the terminal report: section headings, lines and tables
// with aligned columns. Every section renders through it, so the tracer's --output text and the
// plugin's report look the same. Cell text is made terminal-safe here, once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "latency.h"
#include "style.h"

namespace podtrace {

struct RenderOptions {
  bool histograms = false;  // full histograms under each latency row
  size_t max_rows = 10;     // rows per table before "… N more"
  // HTML instead of terminal text: the same calls produce headings, paragraphs and tables, with
  // every cell escaped, and histograms as inline SVG charts. Sections do not know which.
  bool html = false;
};

enum class Tone { kPlain, kDim, kBold, kRed, kYellow, kGreen, kCyan };

struct Cell {
  std::string text;  // untrusted: sanitised when written
  Tone tone = Tone::kPlain;
};

class Table {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string header;
    Align align = Align::kRight;
  };

  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add_row(std::vector<Cell> cells) { rows_.push_back(std::move(cells)); }
  // Lines printed under the row just added (e.g. its full histogram), not aligned.
  void add_detail(std::vector<std::string> lines);
  size_t rows() const { return rows_.size(); }

 private:
  friend class TextWriter;
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
  std::vector<std::vector<std::string>> details_;
};

class TextWriter {
 public:
  TextWriter(Style style, RenderOptions options) : style_(style), options_(options) {}

  const Style& style() const { return style_; }
  const RenderOptions& options() const { return options_; }

  // A blank line and the title in capitals.
  void section(std::string_view title);
  // An unindented bold line; `text` is untrusted.
  void heading(std::string_view text);
  // A line indented by two spaces; `text` is untrusted.
  void line(std::string_view text, Tone tone = Tone::kPlain);
  // A line whose parts the caller has already made safe and coloured.
  void raw_line(std::string_view text);
  void table(const Table& t);
  // Markup this program made (a chart), appended as it is; nothing in terminal mode.
  void raw_html(std::string_view markup) {
    if (options_.html) out_ += markup;
  }
  // One finding: severity mark, family, title in bold, the detail below.
  void finding(std::string_view severity, std::string_view family, std::string_view title,
               std::string_view detail);
  // The full histogram of `s`, when --histograms asked for it.
  std::vector<std::string> histogram_lines(const LatencySummary& s) const;

  std::string paint(std::string_view safe_text, Tone tone) const;
  std::string str() const { return out_; }

 private:
  void html_table(const Table& t);
  Style style_;
  RenderOptions options_;
  std::string out_;
};

// Display width in terminal cells, counting each code point as one cell.
size_t display_width(std::string_view text);

// Text made safe for HTML element content and attribute values: control characters removed,
// & < > " ' escaped.
std::string html_escape(std::string_view text);

// A latency histogram as an inline SVG bar chart: one bar per bucket, its count above it, its
// upper bound below, and a <title> per bar.
std::string histogram_svg(const LatencySummary& s);

}  // namespace podtrace
