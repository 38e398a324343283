// SPDX-License-Identifier: Apache-2.0
// Renderers: histogram bars, the terminal report (findings first, hostile strings neutralised),
// live event lines and the JSON output.
#include <gtest/gtest.h>

#include <sstream>

#include "render/event_line.h"
#include "render/histogram.h"
#include "render/json_report.h"
#include "render/terminal_report.h"
#include "render/units.h"

using namespace podtrace;
using json = nlohmann::json;

namespace {

const char *report_json = R"({"schema_version":1,"type":"report","ts_ns":1,"duration_s":10.002,"end_reason":"duration",
 "target_exited":false,"lost_events":{"ringbuf":3,"map_full":0},
 "diagnostics":[{"name":"fileio","enabled":true,"attach":"tp_btf"},{"name":"tcp","enabled":false,"attach":"","reason":"no sockops"}],
 "findings":[{"severity":"warning","family":"fileio","title":"slow fsync on /data/wal","detail":"p99 48.2 ms over 200 calls"}],
 "fileio":{"ops":[{"op":"fsync","count":200,"bytes":0,"errors":0,
   "latency":{"count":200,"p50_ns":1900000,"p90_ns":3100000,"p99_ns":48211000,"max_ns":48211000,"mean_ns":2100000,
   "histogram":[{"le_ns":4194304,"count":49},{"le_ns":2097152,"count":150},{"le_ns":50331648,"count":1}]}}],
   "files":[{"path":"/data/wal","pid":4242,"op":"fsync","count":200,"bytes":0,"errors":0,"total_ns":420000000,"max_ns":48211000}]},
 "process":{"execs":1,"forks":1,"exits":1,"oom_kills":0,"exited":[{"pid":4250,"comm":"sh","exit_code":3,"signal":0,"oom_killed":false}]},
 "dns":{"queries":12,"slowest":{"count":12,"p50_ns":1000,"p90_ns":2000,"p99_ns":3000,"max_ns":3000,"histogram":[]}}})";

SessionReport one_pod_report()
{
	SessionReport r;
	PodTrace p;
	p.pod = "web-1";
	p.namespace_ = "shop";
	p.node = "node-1";
	p.traced_containers = {"app"};
	p.report = json::parse(report_json);
	r.pods.push_back(p);
	return r;
}

} // namespace

TEST(Histogram, EighthBlocks)
{
	EXPECT_EQ(histogram_bar(0, 100, 10), "");
	EXPECT_EQ(histogram_bar(100, 100, 4), "████");
	EXPECT_EQ(histogram_bar(50, 100, 3), "█▌");   // 12 eighths
	EXPECT_EQ(histogram_bar(1, 1000, 4), "▏");    // never invisible
	EXPECT_EQ(histogram_bar(7, 8, 1), "▉");
	EXPECT_EQ(histogram_bar(3, 8, 1), "▍");
}

TEST(Histogram, ReadSortsAndSkipsMalformed)
{
	auto b = read_histogram(json::parse(R"({"histogram":[{"le_ns":8,"count":1},{"le_ns":"x","count":2},{"le_ns":4,"count":3},7]})"));
	ASSERT_EQ(b.size(), 2u);
	EXPECT_EQ(b[0].le_ns, 4u);
	EXPECT_EQ(b[0].count, 3u);
	auto lines = render_histogram(b, 8);
	ASSERT_EQ(lines.size(), 2u);
	EXPECT_EQ(lines[0], "≤      4ns │████████ 3");
	EXPECT_EQ(lines[1], "≤      8ns │██▋ 1");
}

TEST(Units, Durations)
{
	EXPECT_EQ(format_ns(999), "999ns");
	EXPECT_EQ(format_ns(1500), "1.50µs");
	EXPECT_EQ(format_ns(48211000), "48.2ms");
	EXPECT_EQ(format_ns(1900000), "1.90ms");
	EXPECT_EQ(format_ns(420000000), "420ms");
	EXPECT_EQ(format_ns(3900000000), "3.90s");
	EXPECT_EQ(format_bytes(4096), "4.0 KiB");
}

TEST(TerminalReport, FindingsFirstThenSections)
{
	std::ostringstream out;
	render_terminal_report(one_pod_report(), Style(false), out);
	std::string text = out.str();
	auto findings = text.find("FINDINGS");
	auto fileio = text.find("FILE I/O");
	auto process = text.find("PROCESSES");
	auto dns = text.find("DNS");
	ASSERT_NE(findings, std::string::npos) << text;
	ASSERT_NE(fileio, std::string::npos);
	ASSERT_NE(process, std::string::npos);
	ASSERT_NE(dns, std::string::npos);
	EXPECT_LT(findings, fileio);
	EXPECT_LT(fileio, process);
	EXPECT_NE(text.find("pod shop/web-1 on node node-1 · containers app"), std::string::npos) << text;
	EXPECT_NE(text.find("⚠ warning  fileio  slow fsync on /data/wal"), std::string::npos) << text;
	EXPECT_NE(text.find("p99 48.2 ms over 200 calls"), std::string::npos);
	EXPECT_NE(text.find("≤   2.10ms │██████████████████████████████ 150"), std::string::npos) << text;
	EXPECT_NE(text.find("sh[4250] exit 3"), std::string::npos) << text;
	EXPECT_NE(text.find("queries 12"), std::string::npos) << text;
	EXPECT_NE(text.find("lost events: 3 (ring buffer full), 0 (kernel map full)"), std::string::npos);
	EXPECT_NE(text.find("disabled diagnostics: tcp (no sockops)"), std::string::npos);
	EXPECT_EQ(text.find('\x1b'), std::string::npos); // no colour without a TTY
}

TEST(TerminalReport, ColorsOnlyWhenAsked)
{
	std::ostringstream out;
	render_terminal_report(one_pod_report(), Style(true), out);
	EXPECT_NE(out.str().find("\x1b[33m⚠ warning\x1b[0m"), std::string::npos);
}

TEST(TerminalReport, HostileStringsCannotEscape)
{
	SessionReport r = one_pod_report();
	json &rep = *r.pods[0].report;
	rep["findings"][0]["title"] = "\x1b]0;pwned\x07\x1b[2Jtitle\xe2\x80\xae";
	rep["fileio"]["files"][0]["path"] = "/tmp/\x1b[31mred\n\rfake line";
	rep["evil\x1b[5m"] = {{"k\x1b", "v\x9b"}, {"n", -1}};
	rep["process"]["exited"][0]["exit_code"] = "not a number";
	rep["fileio"]["ops"][0]["latency"]["histogram"] = "garbage";
	r.pods[0].errors.push_back("tracer said \x1b[1mhi");
	std::ostringstream out;
	render_terminal_report(r, Style(false), out);
	std::string text = out.str();
	EXPECT_EQ(text.find('\x1b'), std::string::npos);
	EXPECT_EQ(text.find('\x07'), std::string::npos);
	EXPECT_EQ(text.find('\r'), std::string::npos);
	EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);
	EXPECT_NE(text.find("]0;pwned[2Jtitle"), std::string::npos);
	EXPECT_NE(text.find("/tmp/[31mredfake line"), std::string::npos);
}

TEST(TerminalReport, NoReportShowsLastSummary)
{
	SessionReport r;
	PodTrace p;
	p.pod = "a";
	p.namespace_ = "b";
	p.last_summary = json::parse(R"({"type":"summary","process":{"execs":4}})");
	p.errors = {"log stream lost after 5 reconnects: connection reset"};
	r.pods.push_back(p);
	std::ostringstream out;
	render_terminal_report(r, Style(false), out);
	EXPECT_NE(out.str().find("error: log stream lost after 5 reconnects: connection reset"), std::string::npos);
	EXPECT_NE(out.str().find("no final report: showing the last summary"), std::string::npos);
	EXPECT_NE(out.str().find("execs 4"), std::string::npos);
}

TEST(EventLine, FieldsAndSanitizing)
{
	auto ev = json::parse(R"({"type":"event","family":"fileio","kind":"slow","op":"fsync","pid":4242,"tid":4243,
		"comm":"app","path":"/data/wal","latency_ns":48211000,"bytes":0})");
	EXPECT_EQ(format_event(ev, "web-1", Style(false)), "web-1 fileio slow fsync /data/wal 48.2ms app[4242] bytes=0");
	ev = json::parse(R"({"type":"event","family":"process","kind":"exec","pid":1,"comm":"sh","argv":["sh","-c","printf '\u001b[2J'"]})");
	EXPECT_EQ(format_event(ev, "", Style(false)), "process exec [sh -c printf '[2J'] sh[1]");
}

TEST(JsonReport, OnePodIsTheTracerReport)
{
	auto r = one_pod_report();
	EXPECT_EQ(json::parse(render_json_report(r)), *r.pods[0].report);
}

TEST(JsonReport, SeveralPodsHaveASectionEach)
{
	auto r = one_pod_report();
	PodTrace second;
	second.pod = "web-2";
	second.namespace_ = "shop";
	second.node = "node-2";
	second.errors = {"the tracer ended without a report: exit code 1 (Error)"};
	r.pods.push_back(second);
	std::string text = render_json_report(r);
	auto j = json::parse(text);
	EXPECT_EQ(j["schema_version"], 1);
	EXPECT_EQ(j["pods"]["shop/web-1"]["report"], *r.pods[0].report);
	EXPECT_EQ(j["pods"]["shop/web-1"]["node"], "node-1");
	EXPECT_TRUE(j["pods"]["shop/web-2"]["report"].is_null());
	EXPECT_EQ(j["pods"]["shop/web-2"]["errors"][0], "the tracer ended without a report: exit code 1 (Error)");
}

TEST(JsonReport, OutputIsAsciiOnly)
{
	auto r = one_pod_report();
	(*r.pods[0].report)["fileio"]["files"][0]["path"] = "/tmp/\xe2\x80\xae\x1b\xff";
	std::string text = render_json_report(r);
	for (unsigned char c : text)
		ASSERT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << static_cast<int>(c);
}
