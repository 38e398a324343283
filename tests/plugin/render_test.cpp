// SPDX-License-Identifier: Apache-2.0
// Renderers: histogram bars, the terminal report (findings first, hostile strings neutralised),
// live event lines and the JSON output. The fixture is a report line as the tracer writes it,
// decoded through the same path a live run uses (apply_tracer_line).
#include <gtest/gtest.h>

#include <sstream>

#include "bars.h"
#include "event_line.h"
#include "live/live_screen.h"
#include "render/json_report.h"
#include "render/terminal_report.h"
#include "render_html.h"
#include "sections/cpu.h"
#include "sections/time.h"
#include "sections/fileio.h"
#include "trace/session_report.h"
#include "units.h"

using namespace podtrace;
using namespace podtrace::plugin;
using json = nlohmann::json;

namespace {

json report_line() {
  return json::parse(R"({"schema_version":1,"type":"report","ts_ns":1,"duration_s":10.002,
 "end_reason":"duration","target_exited":false,"lost_events":{"ringbuf":3,"map_full":0},
 "event_lines":{"limit_per_s":1000,"not_streamed":0,"not_streamed_by_family":{}},
 "diagnostics":[{"name":"fileio","enabled":true,"attach":"tp_btf"},{"name":"tcp","enabled":false,"attach":"","reason":"no sockops"}],
 "findings":[{"severity":"warning","family":"fileio","title":"slow fsync on /data/wal","detail":"p99 48.2 ms over 200 calls"}],
 "fileio":{"ops":[{"op":"fsync","count":200,"bytes":0,"errors":0,
   "latency":{"count":200,"p50_ns":1900000,"p90_ns":3100000,"p99_ns":48211000,"max_ns":48211000,"mean_ns":2100000,
   "histogram":[{"le_ns":2097151,"count":150},{"le_ns":4194304,"count":49},{"le_ns":50331647,"count":1}]}}],
   "files":[{"path":"/data/wal","pid":4242,"op":"fsync","count":200,"bytes":0,"errors":0,"total_ns":420000000,"max_ns":48211000}]},
 "process":{"execs":1,"forks":1,"threads":0,"exits":1,"oom_kills":0,"exited":[{"pid":4250,"ppid":4242,"comm":"sh","exit_code":3,"signal":0,"core_dumped":false,"oom_killed":false}]},
 "cpu":{"on_cpu_ns":5,"run_queue_ns":6,"off_cpu_ns":{"io":0,"sleep":0,"preempted":0},
   "run_queue":{"count":0,"p50_ns":0,"p90_ns":0,"p99_ns":0,"max_ns":0,"mean_ns":0,"histogram":[]},
   "on_cpu":{"count":0,"p50_ns":0,"p90_ns":0,"p99_ns":0,"max_ns":0,"mean_ns":0,"histogram":[]},
   "off_cpu":{"io":{"count":0,"p50_ns":0,"p90_ns":0,"p99_ns":0,"max_ns":0,"mean_ns":0,"histogram":[]},
              "sleep":{"count":0,"p50_ns":0,"p90_ns":0,"p99_ns":0,"max_ns":0,"mean_ns":0,"histogram":[]},
              "preempted":{"count":0,"p50_ns":0,"p90_ns":0,"p99_ns":0,"max_ns":0,"mean_ns":0,"histogram":[]}},
   "threads":[],
   "throttling":[{"cgroup":"/sys/fs/cgroup/cpu/kubepods/pod1","source":"cgroup-v1","quota_us":20000,"period_us":100000,"nr_periods":80,"nr_throttled":77,"throttled_ns":5200000000,"window_ns":10000000000}]},
 "futurefamily":{"queries":12,"slowest":{"count":12,"p50_ns":1000,"p90_ns":2000,"p99_ns":3000,"max_ns":3000,"histogram":[]}}})");
}

PodTrace pod_with(json line) {
  PodTrace p;
  p.pod = "web-1";
  p.namespace_ = "shop";
  p.node = "node-1";
  p.traced_containers = {"app"};
  auto parsed = parse_tracer_line(line.dump(-1, ' ', false, json::error_handler_t::replace));
  EXPECT_TRUE(parsed);
  apply_tracer_line(p, std::move(*parsed));
  return p;
}

SessionReport one_pod_report(json line = report_line()) {
  SessionReport r;
  r.pods.push_back(pod_with(std::move(line)));
  return r;
}

std::string render(const SessionReport& r, bool color = false, RenderOptions options = {}) {
  std::ostringstream out;
  render_terminal_report(r, Style(color), out, options);
  return out.str();
}

}  // namespace

TEST(Histogram, EighthBlocks) {
  EXPECT_EQ(histogram_bar(0, 100, 10), "");
  EXPECT_EQ(histogram_bar(100, 100, 4), "████");
  EXPECT_EQ(histogram_bar(50, 100, 3), "█▌");  // 12 eighths
  EXPECT_EQ(histogram_bar(1, 1000, 4), "▏");   // never invisible
  EXPECT_EQ(histogram_bar(7, 8, 1), "▉");
  EXPECT_EQ(histogram_bar(3, 8, 1), "▍");
}

TEST(Histogram, ReadSortsAndSkipsMalformed) {
  LatencySummary s;
  from_json(
      json::parse(
          R"({"histogram":[{"le_ns":8,"count":1},{"le_ns":"x","count":2},{"le_ns":4,"count":3},7]})"),
      s);
  ASSERT_EQ(s.buckets.size(), 2u);
  EXPECT_EQ(s.buckets[0].le_ns, 4u);
  EXPECT_EQ(s.buckets[0].count, 3u);
  auto lines = render_histogram(s.buckets, 8);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "≤      4ns │████████ 3");
  EXPECT_EQ(lines[1], "≤      8ns │██▋ 1");
}

TEST(Histogram, SparklineShowsTheModeTallest) {
  EXPECT_EQ(sparkline({}), "");
  EXPECT_EQ(sparkline({{10, 1}, {20, 8}, {30, 0}, {40, 2}}), "▁█▂");
}

TEST(Units, Durations) {
  EXPECT_EQ(format_ns(999), "999ns");
  EXPECT_EQ(format_ns(1500), "1.50µs");
  EXPECT_EQ(format_ns(48211000), "48.2ms");
  EXPECT_EQ(format_ns(1900000), "1.90ms");
  EXPECT_EQ(format_ns(420000000), "420ms");
  EXPECT_EQ(format_ns(3900000000), "3.90s");
  EXPECT_EQ(format_bytes(4096), "4.0 KiB");
}

TEST(TerminalReport, FindingsFirstThenSections) {
  const std::string text = render(one_pod_report());
  auto findings = text.find("FINDINGS");
  auto fileio = text.find("FILE I/O");
  auto cpu = text.find("CPU");
  auto process = text.find("PROCESSES");
  auto future = text.find("FUTUREFAMILY");
  ASSERT_NE(findings, std::string::npos) << text;
  ASSERT_NE(fileio, std::string::npos);
  ASSERT_NE(process, std::string::npos);
  ASSERT_NE(future, std::string::npos);
  // Registry order: fileio, cpu, process; unknown sections last.
  EXPECT_LT(findings, fileio);
  EXPECT_LT(fileio, cpu);
  EXPECT_LT(cpu, process);
  EXPECT_LT(process, future);
  EXPECT_NE(text.find("pod shop/web-1 on node node-1 · containers app"), std::string::npos) << text;
  EXPECT_NE(text.find("⚠ warning  fileio  slow fsync on /data/wal"), std::string::npos) << text;
  EXPECT_NE(text.find("p99 48.2 ms over 200 calls"), std::string::npos);
  // Compact by default: one row per op with its percentiles, no full histogram.
  EXPECT_NE(text.find("fsync    200       0    0 B  1.90ms  3.10ms  48.2ms  48.2ms  █▃▁"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("│"), std::string::npos) << text;
  EXPECT_NE(text.find("sh       4250  4242  exit 3"), std::string::npos) << text;
  // The throttling table reaches the plugin (the tracer writes it as an array).
  EXPECT_NE(text.find("cgroup-v1        80   77 (96%)               5.20s  10.00s  0.52 CPUs      "
                      "20000us/100000us (0.20 CPUs)"),
            std::string::npos)
      << text;
  // An unknown family is shown generically, nested latency included.
  EXPECT_NE(text.find("queries 12"), std::string::npos) << text;
  EXPECT_NE(text.find("slowest: n=12 p50 1.00µs"), std::string::npos) << text;
  EXPECT_NE(
      text.find("lost events: 3 (ring buffer full), 0 (kernel map full)"),
      std::string::npos);
  EXPECT_NE(text.find("disabled diagnostics: tcp (no sockops)"), std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);  // no colour without a TTY
}

TEST(TerminalReport, FullHistogramsOnRequest) {
  const std::string text = render(one_pod_report(), false, {.histograms = true});
  EXPECT_NE(text.find("≤   2.10ms │██████████████████████████████ 150"), std::string::npos) << text;
}

TEST(TerminalReport, ColorsOnlyWhenAsked) {
  EXPECT_NE(render(one_pod_report(), true).find("\x1b[33m⚠ warning\x1b[0m"), std::string::npos);
}

TEST(TerminalReport, HostileStringsCannotEscape) {
  json rep = report_line();
  rep["findings"][0]["title"] = "\x1b]0;pwned\x07\x1b[2Jtitle\xe2\x80\xae";
  rep["fileio"]["files"][0]["path"] = "/tmp/\x1b[31mred\n\rfake line";
  rep["evil\x1b[5m"] = {{"k\x1b", "v\x9b"}, {"n", -1}};
  rep["process"]["exited"][0]["exit_code"] = "not a number";
  rep["fileio"]["ops"][0]["latency"]["histogram"] = "garbage";
  SessionReport r = one_pod_report(rep);
  r.pods[0].errors.push_back("tracer said \x1b[1mhi");
  const std::string text = render(r);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\x07'), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);
  EXPECT_NE(text.find("]0;pwned[2Jtitle"), std::string::npos);
  EXPECT_NE(text.find("/tmp/[31mredfake line"), std::string::npos);
  // A wrongly typed field reads as absent; the rest of the row survives.
  EXPECT_NE(text.find("sh       4250  4242  exit 0"), std::string::npos) << text;
}

TEST(TerminalReport, NoReportShowsLastSummary) {
  SessionReport r;
  PodTrace p;
  p.pod = "a";
  p.namespace_ = "b";
  auto line = parse_tracer_line(R"({"schema_version":1,"type":"summary","process":{"execs":4}})");
  ASSERT_TRUE(line);
  apply_tracer_line(p, std::move(*line));
  p.errors = {"log stream lost after 5 reconnects: connection reset"};
  r.pods.push_back(p);
  const std::string text = render(r);
  EXPECT_NE(text.find("error: log stream lost after 5 reconnects: connection reset"),
            std::string::npos);
  EXPECT_NE(text.find("no final report: showing the last summary"), std::string::npos);
  EXPECT_NE(text.find("4 exec"), std::string::npos) << text;
}

TEST(TracerLines, OtherSchemaVersionsAreRefusedOnce) {
  PodTrace p;
  for (int i = 0; i < 3; ++i) {
    auto line = parse_tracer_line(R"({"schema_version":2,"type":"report","fileio":{"ops":[]}})");
    ASSERT_TRUE(line);
    apply_tracer_line(p, std::move(*line));
  }
  EXPECT_FALSE(p.report);
  EXPECT_EQ(p.unsupported_lines, 3u);
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0],
            "the tracer writes schema_version 2, this plugin reads 1: use a matching plugin and "
            "tracer image");
}

TEST(EventLine, FieldsAndSanitizing) {
  Event ev;
  from_json(
      json::parse(
          R"({"type":"event","family":"fileio","kind":"slow","op":"fsync","pid":4242,"tid":4243,
		"comm":"app","path":"/data/wal","latency_ns":48211000,"bytes":0})"),
      ev);
  EXPECT_EQ(format_event(ev, "web-1", Style(false)),
            "web-1 fileio slow fsync /data/wal 48.2ms app[4242] bytes=0");
  from_json(
      json::parse(
          R"({"type":"event","family":"process","kind":"exec","pid":1,"comm":"sh","argv":["sh","-c","printf '\u001b[2J'"]})"),
      ev);
  EXPECT_EQ(format_event(ev, "", Style(false)), "process exec [sh -c printf '[2J'] sh[1]");
}

TEST(EventLine, JsonRoundTripKeepsTypes) {
  Event e;
  e.family = "tcp";
  e.kind = "connect_failed";
  e.pid = 7;
  e["port"] = uint16_t{443};
  e["errno"] = -111;
  e["retried"] = true;
  e["argv"] = std::vector<std::string>{"a", "b"};
  Event back;
  from_json(json(e), back);
  EXPECT_EQ(back, e);
}

TEST(JsonReport, OnePodIsTheTracerReport) {
  auto r = one_pod_report();
  json expected = report_line();
  expected.erase("ts_ns");  // the line envelope's time is not part of the report
  EXPECT_EQ(json::parse(render_json_report(r)), expected);
}

TEST(JsonReport, SeveralPodsHaveASectionEach) {
  auto r = one_pod_report();
  PodTrace second;
  second.pod = "web-2";
  second.namespace_ = "shop";
  second.node = "node-2";
  second.errors = {"the tracer ended without a report: exit code 1 (Error)"};
  r.pods.push_back(second);
  std::string text = render_json_report(r);
  auto j = json::parse(text);
  json expected = report_line();
  expected.erase("ts_ns");
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["pods"]["shop/web-1"]["report"], expected);
  EXPECT_EQ(j["pods"]["shop/web-1"]["node"], "node-1");
  EXPECT_TRUE(j["pods"]["shop/web-2"]["report"].is_null());
  EXPECT_EQ(j["pods"]["shop/web-2"]["errors"][0],
            "the tracer ended without a report: exit code 1 (Error)");
}

TEST(JsonReport, OutputIsAsciiOnly) {
  json rep = report_line();
  rep["fileio"]["files"][0]["path"] = "/tmp/\xe2\x80\xae\x1b\xff";
  std::string text = render_json_report(one_pod_report(rep));
  for (unsigned char c : text)
    ASSERT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << static_cast<int>(c);
}

namespace podtrace::plugin {
namespace {

TEST(HtmlReport, FlameGraphWidthsAreSampleShares) {
  const std::string svg = flame_graph_svg({{"app;main;burn", 75}, {"app;main;idle_[k]", 25}});
  EXPECT_NE(svg.find("<title>app (100 samples, 100.0%)</title>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("<title>burn (75 samples, 75.0%)</title><rect x=\"0.0\" y=\"4\" "
                     "width=\"885.0\""),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find("<title>idle_[k] (25 samples, 25.0%)</title><rect x=\"885.0\""),
            std::string::npos)
      << svg;
  EXPECT_EQ(flame_graph_svg({}), "");
}

TEST(HtmlReport, TracedTextIsEscapedAndThePageHasNoScript) {
  Report r;
  r.final_report = true;
  FileReport f;
  f.path = "/data/<img src=x onerror=alert(1)>\x1b[31m";
  f.op = "fsync";
  f.count = 2;
  r.get<FileioReport>().files.push_back(f);
  OpReport op;
  op.op = "fsync";
  op.count = 2;
  r.get<FileioReport>().ops.push_back(op);
  r.findings.push_back({"warning", "fileio", "slow fsync on <b>", "x & y"});
  const std::string page = render_html("t<i>", {{"pod a/b", &r}});
  EXPECT_NE(page.find("/data/&lt;img src=x onerror=alert(1)&gt;[31m"), std::string::npos) << page;
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find('\x1b'), std::string::npos);
  EXPECT_NE(page.find("slow fsync on &lt;b&gt;"), std::string::npos);
  EXPECT_NE(page.find("<title>t&lt;i&gt;</title>"), std::string::npos);
  EXPECT_NE(page.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

}  // namespace
}  // namespace podtrace::plugin

namespace podtrace::plugin {
namespace {

TEST(LiveScreen, TimePerProcessFindingsAndBusiestRows) {
  SessionReport s;
  PodTrace pod;
  pod.pod = "db-0";
  pod.namespace_ = "shop";
  pod.node = "node-a";
  Report r;
  TimeShare pg;
  pg.pid = 42;
  pg.comm = "postgres";
  pg.threads = 2;
  pg.wall_ns = 1000;
  pg.ns[static_cast<size_t>(TimeState::kOnCpu)] = 300;
  pg.ns[static_cast<size_t>(TimeState::kRunqueue)] = 100;
  pg.ns[static_cast<size_t>(TimeState::kFileIo)] = 250;
  pg.ns[static_cast<size_t>(TimeState::kSleep)] = 350;
  r.get<TimeReport>().processes.push_back(pg);
  auto& f = r.get<FileioReport>();
  f.files.push_back({"/data/wal", 42, "fsync", 200, 0, 0, 420'000'000, 48'211'000, {}});
  OpReport op;
  op.op = "fsync";
  op.count = 200;
  op.latency.count = 200;
  op.latency.p99_ns = 48'211'000;
  op.latency.max_ns = 48'211'000;
  f.ops.push_back(op);
  pod.last_summary = r;
  s.pods.push_back(pod);
  const std::string screen = render_live_screen(s, {12, 30}, Style(false), 100);
  EXPECT_NE(screen.find("podtrace live · 12 s of 30 s"), std::string::npos) << screen;
  EXPECT_NE(screen.find("pod shop/db-0 on node-a"), std::string::npos) << screen;
  // The report's own bar, and the largest state.
  EXPECT_NE(screen.find("  postgres          42 CCCCCCCCCRRRFFFFFFFF.......... sleeping/idle 35%"),
            std::string::npos)
      << screen;
  EXPECT_NE(screen.find("warning   slow fsync: p99 48.2ms"), std::string::npos) << screen;
  EXPECT_NE(screen.find("  file          200 fsync      420ms  /data/wal"), std::string::npos)
      << screen;
  EXPECT_EQ(render_live_lines(s, {12, 30}),
            "12s shop/db-0: 200 file ops, 1 findings, first: slow fsync: p99 48.2ms\n");
}

}  // namespace
}  // namespace podtrace::plugin
