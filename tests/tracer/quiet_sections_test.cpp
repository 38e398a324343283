// SPDX-License-Identifier: Apache-2.0
// quiet_sections_test.cpp: families that saw nothing of the pod take one line of the text report
// between them, and a family that saw something is shown in full.
#include <gtest/gtest.h>

#include "render_text.h"
#include "report.h"
#include "sections/db.h"
#include "sections/fileio.h"
#include "sections/locks.h"
#include "sections/profile.h"
#include "sections/tcp.h"

namespace podtrace::tracer {
namespace {

std::string text_of(const Report& r) {
  TextWriter out(Style(false), {});
  render_report_body(out, r);
  return out.str();
}

TEST(QuietSections, FoldIntoOneLineAfterTheOthers) {
  Report r;
  r.final_report = true;
  OpReport op;
  op.op = "read";
  op.count = 3;
  r.get<FileioReport>().ops.push_back(op);
  r.get<TcpReport>();
  r.get<ProfileReport>().frequency_hz = 99;  // configured, but no sample
  r.get<LocksReport>().window_ns = 1'000'000'000;
  r.get<DbReport>().status = "no libpq, libmariadb or libmysqlclient in the target's processes";
  const std::string text = text_of(r);
  EXPECT_NE(text.find("FILE I/O"), std::string::npos) << text;
  EXPECT_EQ(text.find("\nTCP\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("LOCKS"), std::string::npos) << text;
  EXPECT_EQ(text.find("DATABASE QUERIES"), std::string::npos) << text;
  // Registry order, after the sections that are shown.
  const auto quiet = text.find("TCP, CPU profile, Locks, Database queries: no activity");
  ASSERT_NE(quiet, std::string::npos) << text;
  EXPECT_LT(text.find("FILE I/O"), quiet);
}

TEST(QuietSections, ASectionWithActivityIsShown) {
  Report r;
  TcpEndpointReport e;
  e.direction = "outbound";
  e.address = "10.0.0.1";
  e.port = 443;
  e.connects = 1;
  r.get<TcpReport>().endpoints.push_back(e);
  r.get<TcpReport>().connects = 1;
  LockKindReport k;
  k.kind = "mutex";
  k.calls = 4;
  r.get<LocksReport>().kinds.push_back(k);
  const std::string text = text_of(r);
  EXPECT_NE(text.find("\nTCP\n"), std::string::npos) << text;
  EXPECT_NE(text.find("LOCKS"), std::string::npos) << text;
  EXPECT_EQ(text.find("no activity"), std::string::npos) << text;
}

}  // namespace
}  // namespace podtrace::tracer
