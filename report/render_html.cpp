// SPDX-License-Identifier: Apache-2.0
// render_html.cpp: the page frame, the kernel table and the flame graph; the sections render
// themselves through TextWriter in HTML mode.
#include "render_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>

#include "render_text.h"
#include "sections/profile.h"
#include "text_writer.h"

namespace podtrace {

namespace {

// No script and nothing from the network: only inline styles and SVG.
constexpr const char* kHead = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{}</title>
<style>
body {{ font: 14px/1.45 system-ui, -apple-system, "DejaVu Sans", sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }}
header {{ background: #1d2330; color: #fff; padding: 18px 32px; }}
header h1 {{ margin: 0; font-size: 20px; }}
header p {{ margin: 4px 0 0; color: #b8c0d0; }}
main {{ padding: 8px 32px 40px; max-width: 1280px; }}
section.part {{ background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 4px 24px 20px; margin: 20px 0; }}
h1 {{ font-size: 18px; margin: 18px 0 6px; }}
h2 {{ font-size: 13px; letter-spacing: .08em; text-transform: uppercase; color: #55607a; margin: 26px 0 8px; border-bottom: 1px solid #eceff3; padding-bottom: 4px; }}
p {{ margin: 4px 0; }}
table {{ border-collapse: collapse; margin: 6px 0 10px; }}
th {{ font-weight: 600; color: #55607a; font-size: 12px; padding: 3px 12px 3px 0; border-bottom: 1px solid #dde1e8; }}
td {{ padding: 3px 12px 3px 0; border-bottom: 1px solid #f0f2f5; white-space: nowrap; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.text, th.text {{ text-align: left; }}
tr.detail td {{ border-bottom: none; padding: 2px 0 10px 24px; }}
pre {{ margin: 2px 0; font: 12px/1.35 "DejaVu Sans Mono", monospace; white-space: pre-wrap; }}
.dim {{ color: #7a8499; }} .bold {{ font-weight: 600; }} .red {{ color: #c0262d; }}
.yellow {{ color: #a86400; }} .green {{ color: #1c7c3a; }} .cyan {{ color: #1b6f8a; }}
.finding {{ border-left: 4px solid #1b6f8a; background: #f3f8fa; padding: 8px 12px; margin: 6px 0; border-radius: 0 6px 6px 0; }}
.finding.warning {{ border-color: #d08a00; background: #fdf7ec; }}
.finding.critical {{ border-color: #c0262d; background: #fcf0f0; }}
.finding .sev {{ font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: #55607a; }}
.finding .family {{ font-size: 11px; color: #7a8499; margin-right: 6px; }}
.finding .detail {{ color: #3d475c; margin-top: 2px; }}
svg.hist rect {{ fill: #5b8def; }} svg.hist text {{ font: 10px "DejaVu Sans", sans-serif; text-anchor: middle; fill: #3d475c; }}
svg.hist text.bound {{ fill: #7a8499; font-size: 9px; }}
svg.flame text {{ font: 11px "DejaVu Sans Mono", monospace; fill: #1d2330; pointer-events: none; }}
svg.flame rect {{ stroke: #fff; stroke-width: .5; }}
</style></head><body>
)html";

struct FlameNode {
  std::string name;
  uint64_t samples = 0;
  std::map<std::string, std::unique_ptr<FlameNode>> children;
};

uint32_t name_hash(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

// Warm colours for user frames, cool ones for kernel frames (suffixed "_[k]").
std::string frame_colour(const std::string& name) {
  const uint32_t h = name_hash(name);
  const bool kernel = name.size() > 4 && name.compare(name.size() - 4, 4, "_[k]") == 0;
  if (kernel) return fmt::format("rgb({},{},{})", 90 + h % 40, 150 + (h >> 8) % 50, 200);
  return fmt::format("rgb({},{},{})", 225 + h % 30, 100 + (h >> 8) % 110, 40 + (h >> 16) % 40);
}

}  // namespace

std::string flame_graph_svg(const std::vector<std::pair<std::string, uint64_t>>& folded) {
  FlameNode root;
  size_t depth = 0;
  for (const auto& [stack, n] : folded) {
    FlameNode* node = &root;
    root.samples += n;
    size_t level = 0, start = 0;
    while (start <= stack.size()) {
      const size_t end = std::min(stack.find(';', start), stack.size());
      const std::string frame = stack.substr(start, end - start);
      auto& child = node->children[frame];
      if (!child) {
        child = std::make_unique<FlameNode>();
        child->name = frame;
      }
      child->samples += n;
      node = child.get();
      ++level;
      start = end + 1;
    }
    depth = std::max(depth, level);
  }
  if (root.samples == 0) return {};
  constexpr double kWidth = 1180;
  constexpr int kRow = 17;
  const int height = static_cast<int>(depth) * kRow + 4;
  std::string svg = fmt::format(
      "<svg class=\"flame\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "role=\"img\" aria-label=\"flame graph\">",
      kWidth, height);
  std::function<void(const FlameNode&, double, int)> draw = [&](const FlameNode& n, double x,
                                                                int level) {
    for (const auto& [name, child] : n.children) {
      const double w = kWidth * static_cast<double>(child->samples) / root.samples;
      const int y = height - (level + 1) * kRow;
      const std::string label = html_escape(name);
      svg += fmt::format(
          "<g><title>{} ({} samples, {:.1f}%)</title><rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" "
          "height=\"{}\" fill=\"{}\"/>",
          label, child->samples, 100.0 * child->samples / root.samples, x, y, w, kRow - 1,
          frame_colour(name));
      // As many characters as fit, at about 7 px each.
      const size_t fit = w > 24 ? static_cast<size_t>((w - 6) / 7) : 0;
      if (fit >= 3)
        svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{}</text>", x + 3, y + kRow - 5,
                           html_escape(name.size() <= fit ? name : name.substr(0, fit - 1) + "…"));
      svg += "</g>";
      draw(*child, x, level + 1);
      x += w;
    }
  };
  draw(root, 0, 0);
  return svg + "</svg>";
}

RenderOptions html_options() { return {.histograms = true, .max_rows = 50, .html = true}; }

void render_html_extras(TextWriter& out, const Report& r) {
  if (const auto* profile = r.find<ProfileReport>(); profile && !profile->folded.empty()) {
    std::vector<std::pair<std::string, uint64_t>> folded;
    for (const auto& line : profile->folded) {
      const auto space = line.rfind(' ');
      if (space == std::string::npos) continue;
      folded.emplace_back(line.substr(0, space),
                          std::strtoull(line.c_str() + space + 1, nullptr, 10));
    }
    out.section("Flame graph");
    out.line("width is the share of the target's CPU samples; the root is at the bottom",
             Tone::kDim);
    out.raw_html(flame_graph_svg(folded));
  }
  if (!r.kernel.features.empty()) {
    out.section("Node kernel " + r.kernel.release);
    Table features({{"attach type", Table::Align::kLeft}, {"works", Table::Align::kLeft}});
    for (const auto& f : r.kernel.features)
      features.add_row(
          {{f.attach}, {f.works ? "yes" : "no: " + f.reason, f.works ? Tone::kGreen : Tone::kDim}});
    out.table(features);
  }
}

std::string html_page(const std::string& title, const std::vector<std::string>& parts) {
  std::string page = fmt::format(kHead, html_escape(title));
  page += fmt::format(
      "<header><h1>{}</h1><p>podtrace report · {} traced target{}</p></header>\n<main>\n",
      html_escape(title), parts.size(), parts.size() == 1 ? "" : "s");
  for (const auto& part : parts) page += "<section class=\"part\">\n" + part + "</section>\n";
  return page + "</main></body></html>\n";
}

std::string render_html(const std::string& title, const std::vector<HtmlPart>& parts) {
  std::vector<std::string> rendered;
  for (const auto& part : parts) {
    TextWriter out(Style(false), html_options());
    out.heading(part.heading);
    if (part.report) {
      render_report_body(out, *part.report);
      render_html_extras(out, *part.report);
    } else {
      out.line("no report", Tone::kRed);
    }
    rendered.push_back(out.str());
  }
  return html_page(title, rendered);
}

}  // namespace podtrace
