// SPDX-License-Identifier: Apache-2.0
// output_test.cpp: JSON-lines envelope and escaping, terminal sanitizing, durations, struct
// layouts, cpu.stat parsing and the diagnosis rules.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "cpu_throttle.h"
#include "diagnose.h"
#include "fileio.h"
#include "jsonl_writer.h"
#include "options.h"
#include "process.h"
#include "report.h"
#include "sections/cpu.h"
#include "sections/fileio.h"
#include "sections/process.h"
#include "sections/udp.h"
#include "terminal_safe.h"
#include "text.h"
#include "thresholds.h"

namespace podtrace::tracer {
namespace {

// The BPF side and user space share these layouts; a change must be deliberate.
static_assert(sizeof(pt_event_header) == 48);
static_assert(offsetof(fileio_event, op) == 48);
static_assert(offsetof(fileio_event, path) == 88);
static_assert(sizeof(fileio_event) == 88 + FILEIO_PATH_LEN);
static_assert(offsetof(process_event, argv) == 80);
static_assert(sizeof(pt_op_stats) == 40);

TEST(JsonlTest, EnvelopeAndOneObjectPerLine) {
  const std::string line = to_jsonl("event", {{"family", "fileio"}, {"path", "/tmp/a\nb"}}, 123);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["type"], "event");
  EXPECT_EQ(j["ts_ns"], 123);
  EXPECT_EQ(j["path"], "/tmp/a\nb");
}

TEST(JsonlTest, HostileTextStaysData) {
  // Invalid UTF-8, an escape sequence and a quote from a traced process's path.
  const std::string evil = std::string("/tmp/\xff\xfe\x1b[2J\"}{") + '\0' + "x";
  const std::string line = to_jsonl("event", {{"path", evil}}, 1);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["path"], std::string("/tmp/\xEF\xBF\xBD\xEF\xBF\xBD\x1b[2J\"}{") + '\0' + "x");
}

TEST(TextTest, TerminalSafeNeutralisesControlsAndBidi) {
  EXPECT_EQ(terminal_safe("ok path"), "ok path");
  EXPECT_EQ(terminal_safe("a\x1b[31mb"), "a?[31mb");
  EXPECT_EQ(terminal_safe("a\r\nb\x7f"), "a??b?");
  EXPECT_EQ(terminal_safe("\xc2\x9b"
                          "31m"),
            "?31m");  // C1 CSI
  EXPECT_EQ(terminal_safe("x\xe2\x80\xae"
                          "y"),
            "x?y");                                                  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(terminal_safe("caf\xc3\xa9"), "caf\xc3\xa9");            // valid UTF-8 kept
  EXPECT_EQ(terminal_safe("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
}

TEST(TextTest, SplitsArgvAndKeepsATruncatedTail) {
  const char buf[] = "sh\0-c\0exit 3";
  EXPECT_EQ(split_argv(buf, sizeof(buf) - 1), (std::vector<std::string>{"sh", "-c", "exit 3"}));
  EXPECT_EQ(split_argv(buf, sizeof(buf)), (std::vector<std::string>{"sh", "-c", "exit 3"}));
  EXPECT_EQ(errno_name(2), "ENOENT");
}

TEST(OptionsTest, ParsesDurations) {
  EXPECT_EQ(*parse_duration_ns("30s"), 30'000'000'000u);
  EXPECT_EQ(*parse_duration_ns("250ms"), 250'000'000u);
  EXPECT_EQ(*parse_duration_ns("2m"), 120'000'000'000u);
  EXPECT_EQ(*parse_duration_ns("1.5s"), 1'500'000'000u);
  EXPECT_EQ(*parse_duration_ns("10"), 10'000'000'000u);
  EXPECT_EQ(*parse_duration_ns("0"), 0u);
  EXPECT_FALSE(parse_duration_ns("ten"));
  EXPECT_FALSE(parse_duration_ns("5 s"));
  EXPECT_FALSE(parse_duration_ns("-1s"));
  EXPECT_FALSE(parse_duration_ns("9999h"));
  EXPECT_EQ(parse_duration_ns("3d").error(), "invalid duration \"3d\": unknown unit \"d\"");
}

class ThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "podtrace-cpu-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(ThrottleTest, ReadsCgroupV2) {
  write("cpu.stat", "usage_usec 100\nnr_periods 50\nnr_throttled 48\nthrottled_usec 3900000\n");
  write("cpu.max", "20000 100000\n");
  auto t = read_throttling(dir_, true);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->source, "cgroup-v2");
  EXPECT_EQ(t->nr_periods, 50u);
  EXPECT_EQ(t->nr_throttled, 48u);
  EXPECT_EQ(t->throttled_ns, 3'900'000'000u);
  EXPECT_EQ(t->quota_us, 20000);
  EXPECT_EQ(t->period_us, 100000u);
  write("cpu.max", "max 100000\n");
  EXPECT_EQ(read_throttling(dir_, true)->quota_us, -1);
}

// Found by tests/fuzz (cgroup_files): std::stoll threw on a quota that is not a number and
// ended the tracer. Such a value is now left at its default.
TEST_F(ThrottleTest, QuotaThatIsNotANumberIsIgnored) {
  write("cpu.stat", "nr_periods 10\nnr_throttled 9\nthrottled_usec 5\n");
  write("cpu.max", "x 100000\n");
  auto t = read_throttling(dir_, true);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->quota_us, -1);
  EXPECT_EQ(t->period_us, 100000u);
  write("cpu.cfs_quota_us", "\n");
  write("cpu.cfs_period_us", "-\n");
  t = read_throttling(dir_, false);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->nr_throttled, 9u);
  EXPECT_EQ(t->quota_us, -1);
  EXPECT_EQ(t->period_us, 0u);
}

TEST_F(ThrottleTest, ReadsCgroupV1) {
  write("cpu.stat", "nr_periods 10\nnr_throttled 9\nthrottled_time 812000000\n");
  write("cpu.cfs_quota_us", "25000\n");
  write("cpu.cfs_period_us", "100000\n");
  auto t = read_throttling(dir_, false);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->source, "cgroup-v1");
  EXPECT_EQ(t->throttled_ns, 812'000'000u);
  EXPECT_EQ(t->quota_us, 25000);
}

TEST(DiagnoseTest, ThrottlingIsCriticalAndExplainsRunQueueTime) {
  Report r;
  CpuReport* cpu = &r.get<CpuReport>();
  cpu->throttling.push_back(
      {"/x", "cgroup-v1", 20000, 100000, 10, 9, 1'800'000'000, 1'000'000'000});
  cpu->run_queue.count = 10;
  cpu->run_queue.p99_ns = 80'000'000;
  cpu->run_queue_ns = 800'000'000;
  const auto f = diagnose(r);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, "critical");
  EXPECT_EQ(f[0].title, "CPU throttled in 90% of periods");
  // Throttled time is summed over CPUs: it is shown against the window, never as wall time.
  EXPECT_EQ(f[0].detail,
            "9 of 10 periods hit the quota of 20000 us per 100000 us; on average 1.80 CPUs of "
            "runnable work was held back (1.80s of CPU time over 1.00s: the kernel sums it over "
            "CPUs): raise the CPU limit");
}

TEST(DiagnoseTest, FailedOpensGroupedByErrnoAndPath) {
  Report r;
  FileioReport* fileio = &r.get<FileioReport>();
  OpReport open;
  open.op = "open";
  open.count = 60;
  open.errors = 50;
  fileio->ops.push_back(open);
  FileReport f;
  f.path = "/etc/missing";
  f.op = "open";
  f.count = f.errors = 50;
  f.errnos["ENOENT"] = 50;
  fileio->files.push_back(f);
  auto findings = diagnose(r);
  ASSERT_EQ(findings.size(), 1u);
  // Only missing files: a program probing for optional files, not a fault.
  EXPECT_EQ(findings[0].severity, "info");
  EXPECT_EQ(findings[0].title, "50 of 60 open calls found no such file");
  EXPECT_EQ(findings[0].detail,
            "ENOENT only, as when a program probes for optional files; /etc/missing x50");
  r.get<FileioReport>().files[0].errnos = {{"ENOENT", 40}, {"EACCES", 10}};
  findings = diagnose(r);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, "warning");
  EXPECT_EQ(findings[0].title, "50 of 60 open calls failed");
  EXPECT_EQ(findings[0].detail, "ENOENT x40, EACCES x10; /etc/missing x50");
}

TEST(DiagnoseTest, RepeatedExitsOfOneProgramAreOneFinding) {
  Report r;
  ProcessReport* process = &r.get<ProcessReport>();
  for (uint32_t pid = 20; pid < 27; pid++)
    process->exited.push_back({pid, 1, "readlink", 1, 0, false, false});
  process->exited.push_back({30, 1, "readlink", 2, 0, false, false});
  const auto f = diagnose(r);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].title, "readlink (7 processes: pids 20, 21, 22, 23, 24, …) exited with code 1");
  EXPECT_EQ(f[1].title, "readlink (pid 30) exited with code 2");
}

// Past the first few exits of a kind the tracer counts instead of listing (ProcessExit::count):
// the finding counts every exit, and the text table shows the multiplier.
TEST(DiagnoseTest, CountedExitsJoinTheirProgramsFinding) {
  Report r;
  ProcessReport* process = &r.get<ProcessReport>();
  process->exited.push_back({20, 1, "probe.sh", 1, 0, false, false, 1});
  process->exited.push_back({21, 1, "probe.sh", 1, 0, false, false, 1499});
  process->exited.push_back({30, 1, "cat", 0, 0, false, false, 1});
  const auto f = diagnose(r);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].title, "probe.sh (1500 processes: pids 20, 21, …) exited with code 1");
  TextWriter out(Style(false), {});
  render_section(out, *process);
  EXPECT_NE(out.str().find("exit 1 (×1499)"), std::string::npos) << out.str();
  const ProcessReport back = nlohmann::json(*process).get<ProcessReport>();
  EXPECT_EQ(back, *process);
  EXPECT_FALSE(nlohmann::json(process->exited[0]).contains("count"));
}

TEST(DiagnoseTest, PacketsDiscardedOnCloseAreNotAWarning) {
  Report r;
  UdpReport& udp = r.get<UdpReport>();
  udp.drops.push_back({"QUEUE_PURGE", "tcp", 2});
  udp.drops.push_back({"NETFILTER_DROP", "udp", 3});
  const auto f = diagnose(r);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].severity, "warning");
  EXPECT_EQ(f[0].title, "3 udp packets of the pod dropped: NETFILTER_DROP");
  EXPECT_EQ(f[1].severity, "info");
  EXPECT_EQ(f[1].title, "2 tcp packets discarded in normal operation: QUEUE_PURGE");
}

TEST(DiagnoseTest, OomKillIsCriticalAndFirst) {
  Report r;
  ProcessReport* process = &r.get<ProcessReport>();
  process->exited.push_back({10, 1, "app", 0, 0, false, false});
  process->exited.push_back({11, 1, "worker", 0, 9, false, true});
  process->exited.push_back({12, 1, "job", 2, 0, false, false});
  const auto f = diagnose(r);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].severity, "critical");
  EXPECT_EQ(f[0].title, "worker (pid 11) was OOM-killed");
  EXPECT_EQ(f[1].title, "job (pid 12) exited with code 2");
}

TEST(ReportJsonTest, FinalReportCarriesLossAndDiagnostics) {
  Report r;
  r.end_reason = "signal";
  r.lost_ringbuf = 7;
  r.diagnostics.push_back({"tcp", false, "", "sockops: EPERM"});
  r.final_report = true;
  const auto j = report_to_json(r);
  EXPECT_EQ(j["lost_events"]["ringbuf"], 7);
  EXPECT_EQ(j["diagnostics"][0]["reason"], "sockops: EPERM");
  EXPECT_EQ(j["end_reason"], "signal");
  Report summary = r;
  summary.final_report = false;
  EXPECT_FALSE(report_to_json(summary).contains("findings"));
}

}  // namespace
}  // namespace podtrace::tracer

namespace podtrace::tracer {
namespace {

TEST(ThresholdsTest, SetByNameWithUnitsAndChecked) {
  DiagnoseThresholds t;
  ASSERT_TRUE(set_threshold(t, "slow_io_p99=250ms"));
  EXPECT_EQ(t.slow_io_p99_ns, 250'000'000u);
  ASSERT_TRUE(set_threshold(t, "throttled_ratio=25%"));
  EXPECT_EQ(t.throttled_ratio, 0.25);
  ASSERT_TRUE(set_threshold(t, "major_faults_per_s = 40"));
  EXPECT_EQ(t.major_faults_per_s, 40);
  EXPECT_EQ(set_threshold(t, "throttled_ratio=1.5").error(),
            "threshold throttled_ratio: \"1.5\" is not a ratio between 0 and 1 (or 0% to 100%)");
  EXPECT_EQ(set_threshold(t, "slow=1ms").error(),
            "invalid threshold \"slow=1ms\": want NAME=VALUE with NAME one of slow_io_p99, "
            "runq_p99, throttled_ratio, major_faults_per_s, runq_share, lock_wait_share, "
            "lock_min_wait, kernel_lock_share, hot_function_share, profile_min_samples, "
            "slow_query_p99");
  EXPECT_FALSE(set_threshold(t, "runq_p99=fast"));
  EXPECT_EQ(set_thresholds_from_text(t, "# tuned for batch jobs\nrunq_p99=20ms\n\nbad\n").error(),
            "line 4: invalid threshold \"bad\": want NAME=VALUE with NAME one of slow_io_p99, "
            "runq_p99, throttled_ratio, major_faults_per_s, runq_share, lock_wait_share, "
            "lock_min_wait, kernel_lock_share, hot_function_share, profile_min_samples, "
            "slow_query_p99");
  EXPECT_EQ(t.runq_p99_ns, 20'000'000u);
  EXPECT_EQ(threshold_value(t, "runq_p99"), "20000us");
}

TEST(ThresholdsTest, AThresholdChangesTheFindings) {
  Report r;
  OpReport op;
  op.op = "fsync";
  op.count = 10;
  op.latency.count = 10;
  op.latency.p99_ns = op.latency.max_ns = 30'000'000;
  r.get<FileioReport>().ops.push_back(op);
  EXPECT_EQ(diagnose(r).size(), 1u);  // 30 ms ≥ the default 10 ms
  DiagnoseThresholds relaxed;
  ASSERT_TRUE(set_threshold(relaxed, "slow_io_p99=50ms"));
  EXPECT_TRUE(diagnose(r, relaxed).empty());
}

TEST(ThresholdsTest, UsageDocListsEveryThreshold) {
  std::ifstream in(std::string(PODTRACE_SOURCE_ROOT) + "/docs/usage.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), {});
  for (const auto& t : threshold_catalogue())
    EXPECT_NE(doc.find(fmt::format("| `{}` | {} | {} | {} |", t.name, t.kind,
                                   threshold_value({}, t.name), t.meaning)),
              std::string::npos)
        << t.name;
}

}  // namespace
}  // namespace podtrace::tracer
