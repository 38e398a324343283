// SPDX-License-Identifier: Apache-2.0
// metrics_top_test.cpp: /metrics label cardinality stays bounded: with N+5 distinct paths,
// endpoints, names, statements and locks, each family keeps the N heaviest and sums the other 5
// into one "other" series, and promtool still accepts the exposition.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "render_prometheus.h"
#include "report.h"
#include "sections/db.h"
#include "sections/dns.h"
#include "sections/fileio.h"
#include "sections/locks.h"
#include "sections/tcp.h"

namespace podtrace::tracer {
namespace {

constexpr size_t kTop = 20;
constexpr size_t kEntities = kTop + 5;

// Sample lines of `family` (exactly that name), by their full label text.
std::map<std::string, std::string> samples(const std::string& text, const std::string& family) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(family + "{")) continue;
    const auto space = line.rfind(' ');
    out[line.substr(family.size(), space - family.size())] = line.substr(space + 1);
  }
  return out;
}

size_t with_label(const std::map<std::string, std::string>& s, const std::string& label) {
  size_t n = 0;
  for (const auto& [labels, value] : s) n += labels.find(label) != std::string::npos;
  return n;
}

// Entity i weighs i + 1: the five lightest (0..4) are the ones summed into "other".
Report many_of_everything() {
  Report r;
  auto& fileio = r.get<FileioReport>();
  auto& tcp = r.get<TcpReport>();
  auto& dns = r.get<DnsReport>();
  auto& db = r.get<DbReport>();
  auto& locks = r.get<LocksReport>();
  for (size_t i = 0; i < kEntities; ++i) {
    FileReport f;
    f.path = fmt::format("/data/file-{}", i);
    f.op = "read";
    f.count = i + 1;
    f.total_ns = (i + 1) * 1'000'000;
    fileio.files.push_back(f);
    TcpEndpointReport e;
    e.direction = "outbound";
    e.address = fmt::format("10.0.0.{}", i + 1);
    e.port = 80;
    e.connects = i + 1;
    e.retransmits = 1;
    tcp.endpoints.push_back(e);
    DnsNameReport n;
    n.name = fmt::format("svc-{}.example", i);
    n.qtype = "A";
    n.queries = i + 1;
    n.timeouts = 1;
    dns.names.push_back(n);
    DbStatementReport s;
    s.system = "postgresql";
    s.op = "query";
    s.statement = fmt::format("SELECT * FROM t{}", i);
    s.count = s.latency.count = 1;
    s.total_ns = s.latency.mean_ns = (i + 1) * 1'000'000;
    s.latency.buckets = {{2'097'151, 1}};
    db.statements.push_back(s);
    UserLockReport l;
    l.kind = "mutex";
    l.pid = 100;
    l.addr = fmt::format("{:#x}", 0x1000 + i);
    l.waits = l.latency.count = 1;
    l.total_ns = (i + 1) * 1'000'000;
    l.latency.buckets = {{2'097'151, 1}};
    locks.locks.push_back(l);
  }
  return r;
}

TEST(MetricsTopTest, KeepsTheTopNAndSumsTheRestAsOther) {
  const std::string text = render_prometheus(many_of_everything(), {}, kTop);

  const auto paths = samples(text, "podtrace_fileio_path_seconds_total");
  EXPECT_EQ(paths.size(), kTop + 1) << text;
  EXPECT_EQ(with_label(paths, "path=\"other\""), 1u);
  EXPECT_EQ(with_label(paths, "path=\"/data/file-24\""), 1u);  // the heaviest is kept
  EXPECT_EQ(with_label(paths, "path=\"/data/file-4\""), 0u);   // the five lightest are not
  // 1 + 2 + 3 + 4 + 5 ms.
  EXPECT_EQ(paths.at("{op=\"read\",path=\"other\"}"), "0.015000000");
  EXPECT_EQ(
      samples(text, "podtrace_fileio_path_operations_total").at("{op=\"read\",path=\"other\"}"),
      "15");

  const auto retransmits = samples(text, "podtrace_tcp_retransmits_total");
  EXPECT_EQ(retransmits.size(), kTop + 1);
  EXPECT_EQ(retransmits.at("{direction=\"outbound\",remote=\"other\",port=\"other\"}"), "5");

  const auto timeouts = samples(text, "podtrace_dns_timeouts_total");
  EXPECT_EQ(timeouts.size(), kTop + 1);
  EXPECT_EQ(timeouts.at("{name=\"other\",qtype=\"A\"}"), "5");

  const auto statements = samples(text, "podtrace_db_statement_latency_seconds_count");
  EXPECT_EQ(statements.size(), kTop + 1);
  EXPECT_EQ(statements.at("{system=\"postgresql\",op=\"query\",statement=\"other\"}"), "5");

  const auto locks = samples(text, "podtrace_lock_contended_wait_seconds_sum");
  EXPECT_EQ(locks.size(), kTop + 1);
  EXPECT_EQ(locks.at("{kind=\"mutex\",pid=\"other\",addr=\"other\"}"), "0.015000000");
}

TEST(MetricsTopTest, TheDefaultIsTwentyAndALargerLimitKeepsEverything) {
  EXPECT_EQ(samples(render_prometheus(many_of_everything()), "podtrace_dns_timeouts_total").size(),
            21u);
  const auto all =
      samples(render_prometheus(many_of_everything(), {}, 100), "podtrace_dns_timeouts_total");
  EXPECT_EQ(all.size(), kEntities);
  EXPECT_EQ(with_label(all, "\"other\""), 0u);
}

TEST(MetricsTopTest, PromtoolAcceptsTheBoundedExposition) {
  const std::string text = render_prometheus(many_of_everything(), {}, kTop);
  FILE* p = popen("promtool check metrics > /dev/null 2>&1", "w");
  ASSERT_NE(p, nullptr);
  fwrite(text.data(), 1, text.size(), p);
  EXPECT_EQ(pclose(p), 0) << text;
}

}  // namespace
}  // namespace podtrace::tracer
