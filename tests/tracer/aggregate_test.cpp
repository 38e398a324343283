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
  KeptFileRows failed;
  for (int i = 0; i < 3; ++i) failed.add_failed_open(9, "/etc/missing", "ENOENT", 30'000'000);

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

// Per op: calls, bytes, errors, time and errnos summed over rows; the largest max.
std::map<std::string, FileReport> sums_per_op(const std::vector<FileReport>& rows) {
  std::map<std::string, FileReport> out;
  for (const auto& r : rows) {
    FileReport& s = out[r.op];
    s.count += r.count;
    s.bytes += r.bytes;
    s.errors += r.errors;
    s.total_ns += r.total_ns;
    s.max_ns = std::max(s.max_ns, r.max_ns);
    for (const auto& [name, n] : r.errnos) s.errnos[name] += n;
  }
  return out;
}

TEST(FileioAggregate, FoldsRowsPastTheBoundKeepingEveryOpsSums) {
  // 3000 short-lived processes each read /etc/hosts and miss one of 600 paths, and one process
  // fsyncs its WAL: the most time, as a row of its own whatever else the pod did.
  std::vector<FileReport> rows;
  for (uint32_t pid = 100; pid < 3100; ++pid) {
    rows.push_back({"/etc/hosts", pid, "read", 2, 512, 0, 2000 + pid, 1500, {}});
    rows.push_back(
        {fmt::format("/opt/lib{}.so", pid % 600), pid, "open", 1, 0, 1, 900, 900, {{"ENOENT", 1}}});
  }
  rows.push_back({"/data/wal", 7, "fsync", 40, 0, 0, 400'000'000, 30'000'000, {}});
  const auto want = sums_per_op(rows);

  fold_file_rows(rows, 16);
  EXPECT_EQ(sums_per_op(rows), want);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].path, "/data/wal");
  EXPECT_EQ(rows[0].pid, 7u);
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_GE(rows[i - 1].total_ns, rows[i].total_ns);
  size_t own = 0, merged_hosts = 0, other = 0;
  std::set<std::tuple<uint32_t, std::string, std::string>> keys;
  for (const auto& r : rows) {
    EXPECT_TRUE(keys.emplace(r.pid, r.path, r.op).second) << "two rows for " << r.path;
    if (r.pid != 0) ++own;
    if (r.pid == 0 && r.path == "/etc/hosts") merged_hosts = r.count;
    if (r.path == "other") ++other;
  }
  EXPECT_EQ(own, 16u);
  // The 2985 reads of /etc/hosts not kept on their own are one row: 2 calls each.
  EXPECT_EQ(merged_hosts, 2u * (3000 - 15));
  EXPECT_EQ(other, 1u);  // past 16 merged paths: the opens' rest
  EXPECT_LE(rows.size(), 16u + 16u + 1u);
}

TEST(FileioAggregate, FailedOpensStayBoundedAndExact) {
  // Every process of a loop misses the same few files (a probe, a shell looking up commands).
  KeptFileRows failed;
  uint64_t opens = 0;
  for (uint32_t pid = 1; pid <= 20'000; ++pid)
    for (const char* path : {"/etc/ld.so.preload", "/usr/local/bin/ls", "/nonexistent"}) {
      failed.add_failed_open(pid, path, pid % 10 ? "ENOENT" : "EACCES", 1000);
      ++opens;
    }
  EXPECT_LE(failed.files().size(), kKeptFileRowsMax + 1);
  std::map<std::string, uint64_t> per_path, errnos;
  for (const auto& [key, f] : failed.files()) {
    per_path[f.path] += f.errors;
    for (const auto& [name, n] : f.errnos) errnos[name] += n;
  }
  EXPECT_EQ(per_path, (std::map<std::string, uint64_t>{{"/etc/ld.so.preload", 20'000},
                                                       {"/nonexistent", 20'000},
                                                       {"/usr/local/bin/ls", 20'000}}));
  EXPECT_EQ(errnos, (std::map<std::string, uint64_t>{{"EACCES", 6'000}, {"ENOENT", 54'000}}));
  const FileioReport r = aggregate_fileio({}, {}, failed);
  EXPECT_LE(r.files.size(), 2 * kFileioMaxRows + 1);
  uint64_t errors = 0;
  for (const auto& f : r.files) errors += f.errors;
  EXPECT_EQ(errors, opens);
}

TEST(FileioAggregate, ExitedProcessesRowsStayBoundedAndExact) {
  // A loop of short-lived processes, each reading the same two files 3 times before it exits:
  // their rows leave the kernel's map for user space at each collect.
  KeptFileRows kept;
  fileio_file_key key{};
  key.op = FILEIO_OP_READ;
  for (uint32_t pid = 100; pid < 100 + 5'000; ++pid)
    for (uint64_t ino : {1, 2}) {
      key.pid = pid;
      key.ino = ino;
      kept.add_row({key, {3, 192, 0, 3'000 + pid, 1'000 + pid}, ino == 1 ? "/etc/hosts" : ""});
    }
  EXPECT_LE(kept.files().size(), kKeptFileRowsMax + 1);
  // A live process reading the same file: its own row, beside the exited ones.
  key.pid = 9'999;
  key.ino = 1;
  const FileioReport r =
      aggregate_fileio({}, {{key, {4, 256, 0, 400'000'000, 200'000'000}, "/etc/hosts"}}, kept);
  std::map<std::string, uint64_t> calls, bytes;
  uint64_t max_ns = 0;
  for (const auto& f : r.files) {
    calls[f.path] += f.count;
    bytes[f.path] += f.bytes;
    max_ns = std::max(max_ns, f.max_ns);
  }
  EXPECT_EQ(calls, (std::map<std::string, uint64_t>{{"/etc/hosts", 3 * 5'000 + 4},
                                                    {"inode:2", 3 * 5'000}}));
  EXPECT_EQ(bytes["/etc/hosts"], 192u * 5'000 + 256);
  EXPECT_EQ(max_ns, 200'000'000u);
  ASSERT_FALSE(r.files.empty());
  EXPECT_EQ(r.files[0].pid, 9'999u);  // the most time: its own row, first
  EXPECT_LE(r.files.size(), 2 * kFileioMaxRows + 1);
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
