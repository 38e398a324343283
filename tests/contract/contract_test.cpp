// SPDX-License-Identifier: Apache-2.0
// contract_test.cpp: the tracer's real serializer -> the plugin's real parser -> the terminal
// renderer, on realistic aggregates built by the tracer's own aggregation code. Every section
// must survive the trip field for field, the plugin must print what the tracer prints, every
// field must reach the text (or be on the short list of those that deliberately do not), and
// docs/jsonl-schema.md must name every field. This is the test that catches a renderer that
// expects an object where the tracer writes an array.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "diagnose.h"
#include "dns_message.h"
#include "event.h"
#include "histogram.h"
#include "jsonl_writer.h"
#include "net_endpoint.h"
#include "probes/db_aggregate.h"
#include "probes/fileio_aggregate.h"
#include "probes/locks_aggregate.h"
#include "probes/memory_aggregate.h"
#include "probes/netdev_aggregate.h"
#include "probes/profile_aggregate.h"
#include "probes/time_breakdown.h"
#include "probes/udp_aggregate.h"
#include "render/terminal_report.h"
#include "render_text.h"
#include "report.h"
#include "section_registry.h"
#include "sections/cpu.h"
#include "sections/memory.h"
#include "sections/netdev.h"
#include "sections/process.h"
#include "sections/time.h"
#include "sections/timeline.h"
#include "stream/jsonl_parser.h"
#include "timeline_recorder.h"
#include "trace/session_report.h"
#include "units.h"

namespace {

using nlohmann::json;
using namespace podtrace;
using podtrace::tracer::hist_slot;
using podtrace::tracer::kHistSlots;

// Latency slots with samples around `center_ns`, so percentiles and max are distinct.
std::vector<uint64_t> slots_around(uint64_t center_ns, uint64_t n) {
  std::vector<uint64_t> slots(kHistSlots);
  slots[hist_slot(center_ns / 3)] += n / 4;
  slots[hist_slot(center_ns)] += n - n / 4 - 1;
  slots[hist_slot(center_ns * 7)] += 1;
  return slots;
}

FileioReport fileio_section() {
  using namespace podtrace::tracer;
  std::vector<FileioOpRow> ops;
  FileioOpRow fsync{FILEIO_OP_FSYNC, {}, slots_around(1'900'000, 200)};
  fsync.stats = {200, 3'600'017, 21, 420'000'000, 13'300'000};
  ops.push_back(fsync);
  FileioOpRow open{FILEIO_OP_OPEN, {}, slots_around(21'000, 311)};
  open.stats = {311, 4'096, 57, 6'531'000, 147'000};
  ops.push_back(open);
  std::vector<FileioFileRow> files;
  fileio_file_key key{};
  key.pid = 4242;
  key.ino = 77;
  key.op = FILEIO_OP_FSYNC;
  files.push_back({key, {200, 3'600'017, 21, 420'000'000, 13'300'000}, "/data/wal"});
  KeptFileRows failed;
  for (int i = 0; i < 57; ++i)
    failed.add_failed_open(4243, "/etc/missing.conf", "ENOENT", 114'000 + i);
  return aggregate_fileio(ops, files, failed);
}

CpuReport cpu_section() {
  using podtrace::tracer::summarize;
  CpuReport c;
  auto row = [](uint64_t center, uint64_t n, uint64_t& total) {
    auto slots = slots_around(center, n);
    total = center * n;
    return summarize(slots, total, center * 7);
  };
  c.run_queue = row(86'000, 1'201, c.run_queue_ns);
  c.on_cpu = row(3'300'000, 1'301, c.on_cpu_ns);
  c.off_io = row(9'100'000, 1'401, c.io_ns);
  c.off_sleep = row(52'000'000, 1'501, c.sleep_ns);
  c.preempted = row(131'000, 1'601, c.preempted_ns);
  c.throttling.push_back({"/sys/fs/cgroup/cpu/kubepods/burstable/pod1", "cgroup-v1", 20'000,
                          100'000, 181, 173, 5'231'000'000, 10'002'000'000});
  c.threads.push_back({4242, 4244, "worker-3", 3'121'000'000, 612'000'000, 83'000'000,
                       1'777'000'000, 4'400'000, 2'903, 1'117});
  return c;
}

ProcessReport process_section() {
  ProcessReport p;
  p.execs = 311;
  p.forks = 412;
  p.threads = 513;
  p.exits = 614;
  p.oom_kills = 715;
  p.exited.push_back({9901, 9900, "oom-victim", 137, 9, true, true});
  return p;
}

TcpReport tcp_section() {
  using namespace podtrace::tracer;
  TcpAggregator agg;
  tcp_endpoint ep{};
  ep.family = PT_AF_INET;
  ep.port = 5432;
  inet_pton(AF_INET, "10.96.4.17", ep.addr);
  tcp_endpoint_stats s{};
  s.connects = 901;
  s.connect_ns_total = 901ull * 50'300'000;
  s.connect_ns_max = 97'000'000;
  s.failures[PT_TCP_FAIL_REFUSED] = 31;
  s.failures[PT_TCP_FAIL_TIMEOUT] = 37;
  s.failures[PT_TCP_FAIL_UNREACHABLE] = 41;
  s.failures[PT_TCP_FAIL_OTHER] = 43;
  s.rtt_samples = 2'001;
  s.rtt_us_total = 2'001ull * 50'350;
  s.rtt_us_max = 88'100;
  s.rtt_us_min = 49'300;
  s.retransmits = 127;
  s.rto_events = 131;
  s.resets_sent = 137;
  s.resets_received = 139;
  s.closed = 853;
  s.bytes_sent = 9'437'184;
  s.bytes_received = 73'400'320;
  s.lifetime_ns_total = 853ull * 2'100'000'000;
  s.lifetime_ns_max = 9'400'000'000;
  agg.add_stats(ep, s);
  auto add_hist = [&](uint32_t metric, uint64_t center, uint64_t n) {
    auto slots = slots_around(center, n);
    for (uint32_t slot = 0; slot < slots.size(); ++slot) {
      if (!slots[slot]) continue;
      tcp_hist_key k{};
      k.ep = ep;
      k.metric = metric;
      k.slot = slot;
      agg.add_hist(k, slots[slot]);
    }
    agg.set_global_hist(metric, slots);
  };
  add_hist(PT_TCP_METRIC_CONNECT, 50'300'000, 901);
  add_hist(PT_TCP_METRIC_RTT, 50'350'000, 2'001);
  add_hist(PT_TCP_METRIC_LIFETIME, 2'100'000'000, 853);
  return agg.build();
}

DnsReport dns_section() {
  using namespace podtrace::tracer;
  DnsAggregator agg;
  dns_name_key name{};
  const uint8_t wire[] = {3, 'a', 'p', 'i', 4, 's', 'h', 'o', 'p', 3, 's', 'v', 'c', 0};
  std::memcpy(name.qname, wire, sizeof(wire));
  name.qtype = 28;  // AAAA
  dns_name_stats s{};
  s.queries = 1'009;
  s.answers = 1'013;
  s.rcodes[0] = 1'019;
  s.rcodes[2] = 1'021;  // SERVFAIL
  s.latency_ns_total = 1'013ull * 1'700'000;
  s.latency_ns_max = 240'000'000;
  s.server_family = DNS_AF_INET;
  s.server_port = 53;
  inet_pton(AF_INET, "10.96.0.10", s.server);
  s.transports = DNS_TRANSPORT_UDP | DNS_TRANSPORT_TCP;
  agg.add_name(name, s);
  agg.add_timeouts(name, 1'031);
  agg.add_unanswered(name, 1'033);
  const auto slots = slots_around(1'700'000, 1'013);
  for (uint32_t slot = 0; slot < slots.size(); ++slot) {
    if (!slots[slot]) continue;
    dns_hist_key hk{};
    hk.name = name;
    hk.slot = slot;
    agg.add_hist(hk, slots[slot]);
  }
  agg.set_global_hist(slots);
  gai_host_key host{};
  std::strcpy(host.host, "api.shop");
  gai_stats g{};
  g.calls = 1'033;
  g.failures = 1'039;
  g.errors[2] = 1'039;  // -EAI_NONAME
  g.queries = 5'167;
  g.latency_ns_total = 1'033ull * 4'100'000;
  g.latency_ns_max = 61'000'000;
  agg.add_lookup(host, g);
  DnsReport d = agg.build();
  // Lookups exist here, so the tracer would leave lookup_status empty; the contract still needs
  // the member to travel, so the fixture sets it as a tracer without the uprobe would.
  d.lookup_status = "no libc with getaddrinfo found in the target";
  return d;
}

UdpReport udp_section() {
  using namespace podtrace::tracer;
  udp_endpoint ep{};
  ep.family = UDP_AF_INET;
  ep.port = 8125;
  inet_pton(AF_INET, "10.96.7.7", ep.addr);
  udp_endpoint_stats s{2'003, 200'300, 2'011, 40'220, 2'017, 2'027, 111};
  udp_drop_key drop{6, UDP_PROTO_UDP};
  udp_drop_stats ds{2'029, 1};
  return aggregate_udp({{ep, s}}, {{drop, ds}}, {{6, "SOCKET_RCVBUFF"}});
}

MemoryReport memory_section() {
  using namespace podtrace::tracer;
  MemoryInputs in;
  in.window_ns = 15'004'000'000;
  memory_proc proc{};
  std::strcpy(proc.comm, "java");
  proc.user_faults = 40'111;
  proc.minor = 30'007;
  proc.major = 1'009;
  in.procs.push_back({4242, proc});
  memory_thread live{};
  live.pid = 4242;
  live.base_min = 100;
  live.base_maj = 10;
  live.last_min = 5'000;
  live.last_maj = 500;
  in.threads.push_back({4244, live, FaultCounters{5'101, 521}});
  memory_reclaim_stats memcg{};
  memcg.count = 1'103;
  memcg.total_ns = 1'103ull * 2'300'000;
  memcg.max_ns = 41'000'000;
  memcg.pages = 70'001;
  in.reclaim_kinds.push_back({MEMORY_RECLAIM_MEMCG, memcg, slots_around(2'300'000, 1'103)});
  std::strcpy(memcg.comm, "java");
  in.reclaim_procs.push_back({{4242, MEMORY_RECLAIM_MEMCG}, memcg});
  MemcgState v1;
  v1.cgroup = "/sys/fs/cgroup/memory/kubepods/burstable/pod1";
  v1.source = "cgroup-v1";
  v1.limit_bytes = 536'870'912;
  v1.usage_start_bytes = 301'989'888;
  v1.usage_end_bytes = 536'870'912 - 4'096 * 3;
  v1.peak_bytes = 536'870'912;
  v1.limit_hits = 1'117;
  v1.oom_kills = 715;
  v1.under_oom = false;
  v1.pressure = MemoryPressure{12.34, 3.21, 2'700'000'000, 900'000'000};
  in.cgroups.push_back(v1);
  MemcgState v2;
  v2.cgroup = "/sys/fs/cgroup/kubepods.slice/kubepods-pod2.slice";
  v2.source = "cgroup-v2";
  v2.limit_bytes = 1'073'741'824;
  v2.usage_start_bytes = 104'857'600;
  v2.usage_end_bytes = 209'715'200;
  v2.peak_bytes = 251'658'240;
  v2.limit_hits = 1'123;
  v2.oom_kills = 1;
  v2.high_events = 1'129;
  v2.oom_events = 2;
  v2.pressure = MemoryPressure{45.67, 6.54, 1'300'000'000, 400'000'000};
  in.cgroups.push_back(v2);
  in.rss.push_back({4242, "java", 314'572'800, 524'288'000, true});
  in.rss.push_back({9901, "oom-victim", 9'437'184, 34'603'008, false});
  const ProcessReport process = process_section();
  in.process = &process;
  return aggregate_memory(in);
}

// Through the tracer's own arithmetic: a live thread whose open interval is closed at "now", an
// exited one, and a second process; every state holds some time.
TimeReport time_section() {
  using podtrace::tracer::ThreadTimes;
  ThreadTimes db{4242, 4242, "postgres", 1'000, 8'001'001'000, 0, 7, {}};
  db.ns = {2'100'000'000, 120'000'000,   310'000'000, 450'000'000, 870'000'000, 0,
           90'000'000,    4'060'000'000, 1'000'000};
  ThreadTimes resolver{4242, 4251, "resolver", 2'000'000'000, 0, 6'500'000'000, 0, {}};
  resolver.ns = {500'000'000, 20'000'000, 0, 0, 0, 3'700'000'000, 280'000'000, 0, 0};
  ThreadTimes worker{5151, 5151, "worker", 1'000, 3'000'001'000, 0, 0, {}};
  worker.ns = {3'000'000'000, 0, 0, 0, 0, 0, 0, 0, 0};
  return podtrace::tracer::time_breakdown({db, resolver, worker}, 10'000'000'000, true);
}

NetdevReport netdev_section() {
  using namespace podtrace::tracer;
  auto row = [](const char* dev, uint32_t ifindex, int rc, uint32_t scope, uint64_t cgroup_id,
                uint64_t packets, uint64_t bytes) {
    NetdevRow r{};
    std::strcpy(r.key.name, dev);
    r.key.ifindex = ifindex;
    r.key.netns = 4'026'532'281;
    r.key.rc = rc;
    r.key.scope = scope;
    r.key.cgroup_id = cgroup_id;
    r.stats.packets = packets;
    r.stats.bytes = bytes;
    return r;
  };
  return aggregate_netdev({row("eth0", 3, 1, NETDEV_SCOPE_TARGET, 9'007, 1'201, 1'681'400),
                           row("eth0", 3, 1, NETDEV_SCOPE_NODE, 0, 1'307, 1'829'800),
                           row("vxlan.calico", 7, 0x10, NETDEV_SCOPE_NODE, 0, 1'409, 98'630)},
                          {{9'007, "/sys/fs/cgroup/kubepods.slice/kubepods-pod2.slice/app"}});
}

ProfileReport profile_section() {
  using podtrace::tracer::ProfileFrame;
  using podtrace::tracer::ProfileStack;
  const ProfileFrame main_fn{"main", "api-server", false}, serve{"serve", "api-server", false},
      parse{"parse_json", "api-server", false}, read{"read", "libc.so.6", false},
      copy{"copy_user_generic", "kernel", true}, vfs_read{"vfs_read", "kernel", true};
  // Every function is at the top of some stack, so every count is set; cron exited before its
  // mappings were read and is the process left out by the limit.
  std::vector<ProfileStack> stacks = {
      {4242, "api-server", 601, {parse, serve, main_fn}, {}, 3, false},
      {4242, "api-server", 211, {serve, main_fn}, {}, 2, false},
      {4242, "api-server", 103, {main_fn}, {}, 1, false},
      {4242, "api-server", 53, {read, serve, main_fn}, {copy, vfs_read}, 3, false},
      {4242, "api-server", 11, {read, serve, main_fn}, {vfs_read}, 3, false},
      {4242, "api-server", 7, {read, serve, main_fn}, {}, 3, false},
      {4243, "cron", 5, {{"[unknown]", "", false}}, {}, 5, true}};
  podtrace::tracer::ProfileTotals totals;
  totals.frequency_hz = 99;
  totals.samples = 1'000;
  totals.user_lost = {3, 5, 7, 9};
  totals.kernel_lost = {13, 17, 19, 23};
  totals.kernel_symbols =
      "kallsyms addresses read as 0 (kernel.kptr_restrict, or no CAP_SYSLOG): kernel frames are "
      "unresolved";
  podtrace::tracer::ProfileLimits limits;
  limits.processes = 1;
  limits.folded = 4;
  return podtrace::tracer::aggregate_profile(stacks, totals, limits);
}

// Queries through libpq and libmariadb, each statement with a failure, the kernel's totals with
// a sampled-out remainder.
DbReport db_section() {
  using namespace podtrace::tracer;
  DbAggregator agg;
  auto query = [&](uint32_t system, uint32_t op, const char* text, uint64_t latency_ns,
                   uint32_t pid, const char* sqlstate, uint32_t code) {
    db_event e{};
    e.hdr.pid = pid;
    std::strcpy(e.hdr.comm, system == DB_SYSTEM_MYSQL ? "orders" : "api-server");
    e.latency_ns = latency_ns;
    e.q.system = system;
    e.q.op = op;
    e.q.text_len = static_cast<uint16_t>(std::strlen(text));
    std::memcpy(e.q.text, text, e.q.text_len);
    if (sqlstate || code) {
      e.q.failed = 1;
      e.q.status = system == DB_SYSTEM_MYSQL ? 1 : 7;
      if (sqlstate) std::memcpy(e.q.sqlstate, sqlstate, 5);
      e.q.error_code = code;
    }
    agg.add(e);
  };
  for (int i = 0; i < 3; ++i)
    query(DB_SYSTEM_POSTGRES, DB_OP_QUERY, "SELECT pg_sleep(0.2)", 201'000'000 + i * 1'000, 4242,
          nullptr, 0);
  query(DB_SYSTEM_POSTGRES, DB_OP_QUERY, "SELECT pg_sleep(9)", 5'000'000'000, 4242, "57014", 0);
  query(DB_SYSTEM_MYSQL, DB_OP_EXECUTE, "INSERT INTO orders VALUES (7, 'x')", 612'000, 4251,
        nullptr, 0);
  query(DB_SYSTEM_MYSQL, DB_OP_EXECUTE, "INSERT INTO orders VALUES (7, 'y')", 733'000, 4251,
        nullptr, 1062);
  agg.add_library({"libpq", "/usr/lib/x86_64-linux-gnu/libpq.so.5.15", 4242});
  agg.add_library({"libmariadb", "/usr/lib/x86_64-linux-gnu/libmariadb.so.3", 4251});
  DbSystemRow pg{DB_SYSTEM_POSTGRES,
                 {31, 0, 3, 5'700'000'000, 5'000'000'000},
                 slots_around(201'000'000, 31),
                 27};
  DbSystemRow my{DB_SYSTEM_MYSQL, {19, 0, 2, 9'100'000, 733'000}, slots_around(480'000, 19), 17};
  return agg.build({pg, my}, "libmysqlclient errors are counted without their error code");
}

LocksReport locks_section() {
  using namespace podtrace::tracer;
  LocksAggregator agg;
  agg.set_window(15'004'000'000);
  agg.set_status("active: tracepoint", "active: uprobe_multi in 3 processes", "active: tp_btf");
  agg.set_min_wait(1'000'000);
  agg.add_kind(LOCKS_KIND_MUTEX, {4'001, 1'201, 2'800, 1'201ull * 9'100'000, 97'000'000},
               slots_around(9'100'000, 1'201));
  // A mutex three worker threads fight over, from the pthread uprobes.
  const locks_lock_key mutex{0x55d0c3a01040, 4242, LOCKS_KIND_MUTEX};
  locks_lock_stats ms{};
  ms.waits = 1'201;
  ms.total_ns = 1'201ull * 9'100'000;
  ms.max_ns = 97'000'000;
  ms.timeouts = 3;
  ms.errors = 5;
  ms.not_blocked = 7;
  agg.add_lock(mutex, ms, "OrderBook::add(Order const&) (matcher)");
  const char* comms[] = {"matcher-1", "matcher-2", "matcher-3"};
  for (uint32_t i = 0; i < 3; ++i) {
    locks_waiter_stats w{};
    w.waits = 400 + i;
    w.total_ns = (400 + i) * 9'100'000ull;
    w.max_ns = 90'000'000 + i * 1'000'000;
    std::strcpy(w.comm, comms[i]);
    agg.add_waiter({mutex, 4244 + i, 0}, w);
  }
  // A shared futex word waited on with FUTEX_WAIT_BITSET and futex_waitv.
  const locks_lock_key word{0x7f3a1c0008c0, 4243, LOCKS_KIND_FUTEX};
  locks_lock_stats fs{};
  fs.waits = 211;
  fs.total_ns = 211ull * 3'300'000;
  fs.max_ns = 31'000'000;
  fs.not_blocked = 17;
  fs.timeouts = 19;
  fs.errors = 23;
  fs.ops = (1ull << LOCKS_FUTEX_WAIT_BITSET) | (1ull << LOCKS_OP_FUTEX_WAITV);
  fs.flags = LOCKS_F_SHARED;
  agg.add_lock(word, fs, "");
  locks_waiter_stats fw{};
  fw.waits = 211;
  fw.total_ns = fs.total_ns;
  fw.max_ns = 31'000'000;
  std::strcpy(fw.comm, "poller");
  agg.add_waiter({word, 4250, 0}, fw);
  for (const auto& [key, center, n] :
       {std::tuple{mutex, uint64_t{9'100'000}, uint64_t{1'201}}, {word, 3'300'000, 211}}) {
    const auto slots = slots_around(center, n);
    for (uint32_t slot = 0; slot < slots.size(); ++slot)
      if (slots[slot]) agg.add_hist({key, slot, 0}, slots[slot]);
  }
  agg.add_kind(LOCKS_KIND_FUTEX, {229, 211, 17, fs.total_ns, 31'000'000},
               slots_around(3'300'000, 211));
  // mmap_lock taken for writing by many threads of one process.
  agg.add_kernel_type(LOCKS_LCB_F_WRITE, {3'001, 0, 0, 3'001ull * 700'000, 41'000'000});
  const auto kslots = slots_around(700'000, 3'001);
  for (uint32_t slot = 0; slot < kslots.size(); ++slot)
    if (kslots[slot]) agg.add_kernel_hist(LOCKS_LCB_F_WRITE << 8 | slot, kslots[slot]);
  locks_klock_stats mm{};
  mm.count = 3'001;
  mm.total_ns = 3'001ull * 700'000;
  mm.max_ns = 41'000'000;
  mm.kclass = LOCKS_KCLASS_MMAP_LOCK;
  mm.tgid = 4251;
  std::strcpy(mm.comm, "allocator");
  agg.add_kernel_lock({0xffff8881234a5600, LOCKS_LCB_F_WRITE, 0}, mm);
  return agg.build();
}

// Through the tracer's own recorder: six seconds of cumulative reports and a process's life
// cycle. fsync runs at 40/s with 840 in one second and one slow second; on-CPU time jumps to
// 950 ms in one second; one endpoint is connected to once a second and refused 30 times in
// one second, another connects steadily; a shell forks, execs and is killed, its child too; the
// limits drop a grandchild and the quieter endpoint.
TimelineReport timeline_section() {
  using namespace podtrace::tracer;
  TimelineRecorder rec({.max_points = 600,
                        .max_endpoints = 256,
                        .shown_endpoints = 1,
                        .max_processes = 2,
                        .max_execs = 8});
  const uint64_t t0 = 7'000'000'000'000, s = 1'000'000'000;
  rec.start(t0);
  auto process = [&](std::string kind, uint32_t pid, const char* comm, uint64_t at) {
    Event e;
    e.family = "process";
    e.kind = std::move(kind);
    e.pid = e.tid = pid;
    e.comm = comm;
    e.ktime_ns = t0 + at;
    return e;
  };
  Event exec = process("exec", 4300, "sh", 310'000'000);
  exec["ppid"] = uint32_t{4242};
  exec["argv"] = std::vector<std::string>{"sh", "-c", "./migrate --all"};
  rec.event(exec);
  Event fork = process("fork", 4300, "sh", 1'200'000'000);
  fork["child_pid"] = uint32_t{4301};
  rec.event(fork);
  Event child_exec = process("exec", 4301, "migrate", 1'210'000'000);
  child_exec["ppid"] = uint32_t{4300};
  child_exec["argv"] = std::vector<std::string>{"./migrate", "--all"};
  rec.event(child_exec);
  Event grandchild = process("fork", 4301, "migrate", 2'500'000'000);
  grandchild["child_pid"] = uint32_t{4302};
  rec.event(grandchild);
  for (auto [pid, at] : {std::pair{4301u, 4'400'000'000ull}, {4300u, 5'100'000'000ull}}) {
    Event exit = process("exit", pid, pid == 4300 ? "sh" : "migrate", at);
    exit["ppid"] = pid == 4300 ? uint32_t{4242} : uint32_t{4300};
    exit["exit_code"] = 137;
    exit["signal"] = 9;
    exit["oom_killed"] = pid == 4301;
    rec.event(exit);
  }
  const uint64_t fsyncs[] = {40, 41, 840, 40, 39, 40}, cpu_ms[] = {10, 950, 11, 10, 12, 10},
                 refused[] = {0, 0, 0, 30, 0, 0}, steady[] = {3, 2, 3, 3, 2, 3};
  Report r;
  FileioReport f;
  f.ops.push_back({"fsync", 0, 0, 0, {}});
  std::vector<uint64_t> slots(kHistSlots);
  CpuReport c;
  TcpReport tcp;
  tcp.endpoints.resize(2);
  tcp.endpoints[0].direction = tcp.endpoints[1].direction = "outbound";
  tcp.endpoints[0].address = "10.96.4.17";
  tcp.endpoints[0].port = 5432;
  tcp.endpoints[1].address = "10.96.4.18";
  tcp.endpoints[1].port = 6379;
  for (size_t i = 0; i < 6; ++i) {
    // The slow second: 40 fsyncs of which one took 48 ms.
    slots[hist_slot(1'100'000)] += i == 4 ? fsyncs[i] - 1 : fsyncs[i];
    if (i == 4) slots[hist_slot(48'000'000)] += 1;
    f.ops[0].count += fsyncs[i];
    f.ops[0].latency = summarize(slots, 0, i >= 4 ? 48'000'000 : 1'190'000);
    c.on_cpu_ns += cpu_ms[i] * 1'000'000;
    tcp.endpoints[0].refused += refused[i];
    tcp.endpoints[0].connects += 1;
    tcp.endpoints[1].connects += steady[i];
    r.set(f);
    r.set(c);
    r.set(tcp);
    rec.sample(r, t0 + (i + 1) * s + 2'000'000);
  }
  return rec.build();
}

podtrace::Report tracer_report() {
  podtrace::Report r;
  r.duration_s = 15.004;
  r.end_reason = "duration";
  r.target_exited = true;
  r.final_report = true;
  r.lost_ringbuf = 3'001;
  r.lost_map_full = 3'011;
  r.event_lines = {1'000, {{"fileio", 3'023}, {"process", 3'037}}};
  r.diagnostics.push_back({"fileio", true, "tracepoint", ""});
  r.diagnostics.push_back({"tcp", false, "", "cgroup_sockops: EPERM"});
  r.set(fileio_section());
  r.set(cpu_section());
  r.set(process_section());
  r.set(tcp_section());
  r.set(dns_section());
  r.set(udp_section());
  r.set(profile_section());
  r.set(memory_section());
  r.set(netdev_section());
  r.set(locks_section());
  r.set(db_section());
  r.set(time_section());
  r.set(timeline_section());
  r.findings = diagnose(r);
  return r;
}

// The tracer's JSON lines for a whole run: start, one event, a summary, the report.
std::string tracer_output(const podtrace::Report& r) {
  char* buf = nullptr;
  size_t size = 0;
  FILE* mem = open_memstream(&buf, &size);
  {
    podtrace::tracer::JsonlWriter writer(mem);
    writer.write("start", {{"tracer_version", "test"}, {"diagnostics", r.diagnostics}});
    Event e;
    e.family = "fileio";
    e.kind = "slow";
    e.pid = 4242;
    e.tid = 4244;
    e.comm = "worker-3";
    e.cgroup_id = 9'007;
    e.ktime_ns = 1'234'567;
    e["op"] = "fsync";
    e["path"] = "/data/wal";
    e["latency_ns"] = uint64_t{13'300'000};
    writer.write("event", json(e));
    podtrace::Report summary = r;
    summary.final_report = false;
    writer.write("summary", report_to_json(summary));
    writer.write("report", report_to_json(r));
  }
  std::fclose(mem);
  std::string out(buf, size);
  std::free(buf);
  return out;
}

podtrace::plugin::PodTrace plugin_view(const std::string& lines, std::vector<Event>* events) {
  podtrace::plugin::PodTrace trace;
  trace.pod = "web-1";
  trace.namespace_ = "shop";
  podtrace::plugin::JsonLinesParser parser([&](podtrace::plugin::TracerLine&& line) {
    if (auto e = podtrace::plugin::apply_tracer_line(trace, std::move(line))) events->push_back(*e);
  });
  // Arbitrary chunking, as the log stream delivers it.
  for (size_t i = 0; i < lines.size(); i += 97) parser.feed(std::string_view(lines).substr(i, 97));
  parser.finish();
  return trace;
}

// Every leaf of a JSON value: "fileio.ops[].latency.p50_ns" -> values.
void leaves(const json& j, const std::string& path,
            std::vector<std::pair<std::string, json>>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) leaves(v, path.empty() ? k : path + "." + k, out);
  } else if (j.is_array()) {
    for (const auto& v : j) leaves(v, path + "[]", out);
  } else {
    out.emplace_back(path, j);
  }
}

std::string last_key(const std::string& path) {
  auto dot = path.rfind('.');
  std::string key = dot == std::string::npos ? path : path.substr(dot + 1);
  while (key.ends_with("[]")) key.resize(key.size() - 2);
  return key;
}

// How a leaf must appear in the terminal report; "" when it has no text of its own.
std::string rendered(const std::string& path, const json& v) {
  const std::string key = last_key(path);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return "";
  if (key == "duration_s") return fmt::format("{:.1f} s", v.get<double>());
  if (key.ends_with("_avg10")) return fmt::format("{:.2f}", v.get<double>());  // memory PSI, %
  // profile: a share of a process's samples (0-1), shown as a percentage.
  if (key.ends_with("_share")) return fmt::format("{:.1f}%", v.get<double>() * 100);
  const uint64_t n = v.get<uint64_t>();
  if (key == "rtt_min_us") return format_ns(n * 1000);
  if (key.ends_with("_us")) return std::to_string(n) + "us";
  if (key.ends_with("_ns") || path.find("_ns.") != std::string::npos) return format_ns(n);
  if (key.starts_with("bytes")) return format_bytes(n);
  if (key.ends_with("_bytes")) return format_bytes(n);  // memory: limit_bytes, rss_start_bytes…
  return std::to_string(n);
}

// Members the text deliberately does not show, each with its reason.
const std::set<std::string> kNotInText = {
    "mean_ns",    // the percentiles and the distribution describe a latency better
    "le_ns",      // histogram buckets: only with --histograms (checked separately)
    "count",      // histogram bucket counts and latency sample counts: the row's own count
    "cgroup_id",  // events only
    "ktime_ns",   // events only
    "tracer_version",
    // timeline: per-point series are drawn as sparklines (their totals, peaks and medians are
    // numbers in the text); the clock reading is for matching events to points.
    "values",
    "p99_values",
    "connect_values",
    "failure_values",
    "point_ends_ns",
    "monotonic_start_ns",
};

TEST(Contract, EverySectionSurvivesTheTripFieldForField) {
  const podtrace::Report sent = tracer_report();
  std::vector<Event> events;
  const auto trace = plugin_view(tracer_output(sent), &events);
  ASSERT_TRUE(trace.errors.empty()) << trace.errors[0];
  ASSERT_EQ(trace.garbage_lines, 0u);
  ASSERT_TRUE(trace.report);
  ASSERT_TRUE(trace.last_summary);
  ASSERT_TRUE(trace.start);
  const podtrace::Report& got = *trace.report;
  // Every registered section was sent and came back as its own type, equal to what was sent.
  for (const auto& kind : section_kinds()) {
    ASSERT_TRUE(sent.find(kind.key)) << kind.key;
    ASSERT_TRUE(got.find(kind.key)) << kind.key;
    EXPECT_EQ(got.find(kind.key)->to_json(), sent.find(kind.key)->to_json()) << kind.key;
  }
  EXPECT_EQ(*got.find<FileioReport>(), *sent.find<FileioReport>());
  EXPECT_EQ(*got.find<CpuReport>(), *sent.find<CpuReport>());
  EXPECT_EQ(*got.find<ProcessReport>(), *sent.find<ProcessReport>());
  EXPECT_EQ(*got.find<TcpReport>(), *sent.find<TcpReport>());
  EXPECT_EQ(*got.find<DnsReport>(), *sent.find<DnsReport>());
  EXPECT_EQ(*got.find<UdpReport>(), *sent.find<UdpReport>());
  EXPECT_EQ(*got.find<ProfileReport>(), *sent.find<ProfileReport>());
  EXPECT_EQ(*got.find<MemoryReport>(), *sent.find<MemoryReport>());
  EXPECT_EQ(*got.find<NetdevReport>(), *sent.find<NetdevReport>());
  EXPECT_EQ(*got.find<LocksReport>(), *sent.find<LocksReport>());
  EXPECT_EQ(*got.find<DbReport>(), *sent.find<DbReport>());
  EXPECT_EQ(*got.find<TimeReport>(), *sent.find<TimeReport>());
  EXPECT_EQ(*got.find<TimelineReport>(), *sent.find<TimelineReport>());
  EXPECT_EQ(got.findings, sent.findings);
  EXPECT_EQ(got.diagnostics, sent.diagnostics);
  EXPECT_EQ(report_to_json(got), report_to_json(sent));
  // The summary decodes as a summary: no findings, the same sections.
  EXPECT_FALSE(trace.last_summary->final_report);
  EXPECT_EQ(trace.last_summary->sections.size(), sent.sections.size());
  // The event decodes to what the tracer built, with the line's wall-clock time.
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].find("path")->as_string(), "/data/wal");
  EXPECT_EQ(events[0].find("latency_ns")->as_u64(), 13'300'000u);
  EXPECT_EQ(events[0].cgroup_id, 9'007u);
  EXPECT_NE(events[0].ts_ns, 0u);
}

TEST(Contract, TheFixtureSetsEveryField) {
  // A field left at its default would pass the round trip without proving anything.
  std::vector<std::pair<std::string, json>> all;
  leaves(report_to_json(tracer_report()), "", all);
  for (const auto& [path, v] : all) {
    if (v.is_boolean()) continue;  // false is a real value
    const bool unset =
        (v.is_number() && v.get<double>() == 0) || (v.is_string() && v.get<std::string>().empty());
    // Defaults that are real values: a disabled family has no attach type, a failed open moves
    // no bytes, some findings need
    // no detail, and getaddrinfo() keeps totals only, so its percentiles are unknown.
    static const std::set<std::string> kDefaultsThatAreValues = {
        "diagnostics[].attach", "fileio.files[].bytes", "findings[].detail",
        "dns.lookups[].latency.p50_ns", "dns.lookups[].latency.p90_ns",
        "dns.lookups[].latency.p99_ns",
        // a quiet point counts 0
        "timeline.series[].values[]", "timeline.series[].p99_values[]",
        "timeline.connections[].connect_values[]", "timeline.connections[].failure_values[]"};
    if (kDefaultsThatAreValues.count(path)) continue;
    EXPECT_FALSE(unset) << path << " is left at its default in the fixture";
  }
}

TEST(Contract, PluginPrintsWhatTheTracerPrints) {
  const podtrace::Report sent = tracer_report();
  std::vector<Event> events;
  const auto trace = plugin_view(tracer_output(sent), &events);
  ASSERT_TRUE(trace.report);
  for (bool histograms : {false, true}) {
    TextWriter tracer_text(Style(false), {.histograms = histograms});
    render_report_body(tracer_text, sent);
    podtrace::plugin::SessionReport session;
    session.pods.push_back(trace);
    std::ostringstream plugin_text;
    podtrace::plugin::render_terminal_report(session, Style(false), plugin_text,
                                             {.histograms = histograms});
    // The plugin adds its pod heading line; everything below it is the tracer's text.
    const std::string body = plugin_text.str().substr(plugin_text.str().find('\n') + 1);
    EXPECT_EQ(body, tracer_text.str());
  }
}

TEST(Contract, EveryFieldReachesTheText) {
  const podtrace::Report sent = tracer_report();
  std::vector<Event> events;
  const auto trace = plugin_view(tracer_output(sent), &events);
  podtrace::plugin::SessionReport session;
  session.pods.push_back(trace);
  std::ostringstream out;
  podtrace::plugin::render_terminal_report(session, Style(false), out, {.max_rows = 100});
  const std::string text = out.str();
  for (const auto& kind : section_kinds()) {
    std::string title(kind.title);
    for (auto& c : title) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_NE(text.find(title), std::string::npos) << "section " << kind.key << " has no heading";
  }
  std::vector<std::pair<std::string, json>> all;
  leaves(report_to_json(sent), "", all);
  for (const auto& [path, v] : all) {
    if (kNotInText.count(last_key(path))) continue;
    // getaddrinfo() keeps totals only: the row shows "-" for its unknown percentiles.
    if (path.starts_with("dns.lookups[].latency.p")) continue;
    const std::string want = rendered(path, v);
    if (want.empty()) continue;
    EXPECT_NE(text.find(want), std::string::npos)
        << path << " = " << v << ": \"" << want << "\" not in the report";
  }
  // With --histograms, every bucket of every latency shows.
  std::ostringstream full;
  podtrace::plugin::render_terminal_report(session, Style(false), full,
                                           {.histograms = true, .max_rows = 100});
  for (const auto& [path, v] : all) {
    if (last_key(path) != "le_ns") continue;
    EXPECT_NE(full.str().find("≤ " + fmt::format("{:>8}", format_ns(v.get<uint64_t>()))),
              std::string::npos)
        << path;
  }
}

TEST(Contract, TheSchemaDocumentNamesEveryField) {
  std::ifstream doc(PODTRACE_SOURCE_ROOT "/docs/jsonl-schema.md");
  ASSERT_TRUE(doc) << "docs/jsonl-schema.md";
  const std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  std::vector<std::pair<std::string, json>> all;
  leaves(report_to_json(tracer_report()), "", all);
  std::set<std::string> keys;
  for (const auto& [path, v] : all) {
    std::string p = path;
    for (size_t dot; (dot = p.find('.')) != std::string::npos;) {
      std::string part = p.substr(0, dot);
      while (part.ends_with("[]")) part.resize(part.size() - 2);
      keys.insert(part);
      p = p.substr(dot + 1);
    }
    keys.insert(last_key(path));
  }
  for (const auto& key : keys) {
    // Map keys are data (errno, rcode and EAI_ names), not fields.
    if (std::all_of(key.begin(), key.end(), [](char c) { return std::isupper(c) || c == '_'; }))
      continue;
    EXPECT_TRUE(text.find("`" + key + "`") != std::string::npos ||
                text.find("\"" + key + "\"") != std::string::npos)
        << "docs/jsonl-schema.md does not name `" << key << "`";
  }
}

}  // namespace
