// SPDX-License-Identifier: Apache-2.0
// aggregate_test.cpp: the families' pure aggregation (map rows and events -> report section),
// without root and without a kernel; and the family registry against the docs.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "families.h"
#include "histogram.h"
#include "probes/fileio_aggregate.h"
#include "probes/udp_aggregate.h"

namespace podtrace::tracer {
namespace {

TEST(FileioAggregate, MergesMapRowsWithFailedOpensAndSortsByTime) {
  std::vector<FileioOpRow> ops;
  std::vector<uint64_t> slots(kHistSlots);
  slots[hist_slot(1'000'000)] = 20;
  ops.push_back({FILEIO_OP_FSYNC, {20, 0, 0, 20'000'000, 1'500'000}, slots});
  ops.push_back({FILEIO_OP_READ, {}, std::vector<uint64_t>(kHistSlots)});  // no calls: left out
  std::vector<FileioFileRow> files;
  fileio_file_key a{};
  a.pid = 7;
  a.ino = 11;
  a.op = FILEIO_OP_FSYNC;
  files.push_back({a, {12, 0, 0, 12'000'000, 1'500'000}, "/data/wal"});
  fileio_file_key b = a;
  b.ino = 12;
  files.push_back({b, {8, 0, 0, 8'000'000, 1'000'000}, ""});  // opened before the trace
  FailedOpens failed;
  for (int i = 0; i < 3; ++i) failed.add(9, "/etc/missing", "ENOENT", 30'000'000);

  const FileioReport r = aggregate_fileio(ops, files, failed);
  ASSERT_EQ(r.ops.size(), 1u);
  EXPECT_EQ(r.ops[0].op, "fsync");
  EXPECT_EQ(r.ops[0].count, 20u);
  EXPECT_EQ(r.ops[0].latency.count, 20u);
  EXPECT_EQ(r.ops[0].latency.max_ns, 1'500'000u);
  ASSERT_EQ(r.files.size(), 3u);
  EXPECT_EQ(r.files[0].path, "/etc/missing");  // 90 ms in failed opens: most time first
  EXPECT_EQ(r.files[0].op, "open");
  EXPECT_EQ(r.files[0].errors, 3u);
  EXPECT_EQ(r.files[0].errnos.at("ENOENT"), 3u);
  EXPECT_EQ(r.files[1].path, "/data/wal");
  EXPECT_EQ(r.files[1].pid, 7u);
  EXPECT_EQ(r.files[1].count, 12u);
  EXPECT_EQ(r.files[2].path, "inode:12");
}

TEST(UdpAggregate, NamesAddressesReasonsAndOrdersByVolume) {
  udp_endpoint small{}, big{};
  small.family = big.family = UDP_AF_INET;
  inet_pton(AF_INET, "10.0.0.2", small.addr);
  inet_pton(AF_INET, "10.0.0.1", big.addr);
  small.port = 53;
  big.port = 8125;
  udp_endpoint_stats small_stats{1, 40, 1, 60, 0, 0, 0};
  udp_endpoint_stats big_stats{10, 4000, 0, 0, 2, 0, 111};
  udp_drop_key rcvbuf{6, UDP_PROTO_UDP}, unknown{0x10001, 99}, none{2, UDP_PROTO_UDP};
  const UdpReport r =
      aggregate_udp({{small, small_stats}, {big, big_stats}},
                    {{unknown, {5, 0}}, {rcvbuf, {9, 0}}, {none, {0, 0}}}, {{6, "SOCKET_RCVBUFF"}});
  ASSERT_EQ(r.endpoints.size(), 2u);
  EXPECT_EQ(r.endpoints[0].address, "10.0.0.1");
  EXPECT_EQ(r.endpoints[0].port, 8125);
  EXPECT_EQ(r.endpoints[0].last_error, "ECONNREFUSED");
  EXPECT_EQ(r.endpoints[1].last_error, "");
  ASSERT_EQ(r.drops.size(), 2u);  // a zero count is no drop
  EXPECT_EQ(r.drops[0].reason, "SOCKET_RCVBUFF");
  EXPECT_EQ(r.drops[0].count, 9u);
  EXPECT_EQ(r.drops[1].reason, "reason 65537");
  EXPECT_EQ(r.drops[1].protocol, "other");
}

TEST(Families, RegistryNamesAreUniqueAndDocumented) {
  std::ifstream doc(PODTRACE_SOURCE_ROOT "/docs/tracer.md");
  ASSERT_TRUE(doc);
  const std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  std::set<std::string> seen;
  for (const auto& f : families()) {
    EXPECT_TRUE(seen.insert(std::string(f.name)).second) << f.name;
    EXPECT_EQ(f.make()->name(), f.name);
    EXPECT_NE(text.find(fmt::format("| `{}` | {} |", f.name, f.description)), std::string::npos)
        << "docs/tracer.md's family table lacks: | `" << f.name << "` | " << f.description << " |";
  }
}

}  // namespace
}  // namespace podtrace::tracer
