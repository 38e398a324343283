// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a saved trace as `kubectl podtrace view FILE` reads it (the tracer's JSON lines or
// the plugin's -o json document): the lenient report and event readers (report/json_read,
// report/event), then every renderer. The terminal output must hold no control characters.
#include <sstream>

#include "event_line.h"
#include "fuzz_support.h"
#include "render/html_report.h"
#include "render/json_report.h"
#include "render/terminal_report.h"
#include "style.h"
#include "view/view.h"

using namespace podtrace;
using namespace podtrace::plugin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto saved = parse_saved_trace(fuzz::as_text(data, size), "saved.jsonl");
  if (!saved) return 0;
  const Style plain(false);
  for (const auto& event : saved->events) {
    const std::string line = format_event(event, "web-1", plain);
    FUZZ_CHECK(fuzz::no_control_chars(line));
  }
  std::ostringstream text;
  render_terminal_report(saved->report, plain, text);
  FUZZ_CHECK(fuzz::no_control_chars(text.str()));
  (void)render_html_report(saved->report);
  const std::string json = render_json_report(saved->report);
  // What -o json wrote, `view` reads back.
  FUZZ_CHECK(parse_saved_trace(json, "report.json").ok());
  return 0;
}
