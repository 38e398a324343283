// SPDX-License-Identifier: Apache-2.0
// render_html.h: the report as one self-contained HTML page (--html FILE). It is the terminal
// report's content, written through the same TextWriter calls in HTML mode, with histograms as
// inline SVG and a flame graph of the CPU profile. No script, no external resource: the page's
// Content-Security-Policy forbids both, so it opens offline and traced text cannot run.
#pragma once

#include <string>
#include <vector>

#include "report.h"
#include "text_writer.h"

namespace podtrace {

struct HtmlPart {
  std::string heading;  // "pod shop/web-1 on node-a", "cgroup /kubepods/…"
  const Report* report = nullptr;
};

std::string render_html(const std::string& title, const std::vector<HtmlPart>& parts);

// The page around parts already rendered by an HTML-mode TextWriter (the plugin renders its
// pods itself, with their trace errors).
std::string html_page(const std::string& title, const std::vector<std::string>& parts);

// What only the HTML report adds after a report's body: the flame graph of the CPU profile and
// the node kernel's attach types.
void render_html_extras(TextWriter& out, const Report& r);

// The options every HTML-mode TextWriter uses: all histograms, longer tables.
RenderOptions html_options();

// Folded stacks ("a;b;c" → samples) as an SVG flame graph, root at the bottom; empty when none.
std::string flame_graph_svg(const std::vector<std::pair<std::string, uint64_t>>& folded);

}  // namespace podtrace
