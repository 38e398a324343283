// SPDX-License-Identifier: Apache-2.0
// timeline_series.cpp: the followed numbers of each family. A family not named here still has
// its report; it just has no per-second series.
#include "timeline_series.h"

#include "histogram.h"
#include "sections/cpu.h"
#include "sections/db.h"
#include "sections/dns.h"
#include "sections/fileio.h"
#include "sections/locks.h"
#include "sections/memory.h"
#include "sections/netdev.h"
#include "sections/process.h"
#include "sections/tcp.h"
#include "sections/udp.h"

namespace podtrace::tracer {

std::vector<uint64_t> slots_of(const LatencySummary& s) {
  std::vector<uint64_t> slots(kHistSlots);
  for (const auto& b : s.buckets) slots[hist_slot(b.le_ns)] += b.count;
  return slots;
}

namespace {

class Counters {
 public:
  void ops(const std::string& family, const std::string& name, uint64_t n) {
    out_.push_back({family, name, "ops", n, false, {}, 0});
  }
  void latency(const std::string& family, const std::string& name, const LatencySummary& s) {
    out_.push_back({family, name, "ops", s.count, true, slots_of(s), s.max_ns});
  }
  void ops_with_latency(const std::string& family, const std::string& name, uint64_t n,
                        const LatencySummary& s) {
    out_.push_back({family, name, "ops", n, true, slots_of(s), s.max_ns});
  }
  void time(const std::string& family, const std::string& name, uint64_t ns) {
    out_.push_back({family, name, "ns", ns, false, {}, 0});
  }
  std::vector<CumulativeCounter> take() { return std::move(out_); }

 private:
  std::vector<CumulativeCounter> out_;
};

}  // namespace

std::vector<CumulativeCounter> timeline_counters(const Report& r) {
  Counters c;
  // Walk the sections in report order, so series come in the order the families do.
  for (const auto& section : r.sections) {
    const std::string_view key = section->key();
    if (key == FileioReport::kKey) {
      uint64_t errors = 0;
      for (const auto& op : r.find<FileioReport>()->ops) {
        c.ops_with_latency("fileio", op.op, op.count, op.latency);
        errors += op.errors;
      }
      c.ops("fileio", "errors", errors);
    } else if (key == CpuReport::kKey) {
      const auto& cpu = *r.find<CpuReport>();
      c.time("cpu", "on-CPU", cpu.on_cpu_ns);
      c.latency("cpu", "run-queue waits", cpu.run_queue);
      uint64_t throttled = 0, periods = 0;
      for (const auto& t : cpu.throttling) {
        throttled += t.throttled_ns;
        periods += t.nr_throttled;
      }
      c.time("cpu", "throttled", throttled);
      c.ops("cpu", "throttled periods", periods);
    } else if (key == ProcessReport::kKey) {
      const auto& p = *r.find<ProcessReport>();
      c.ops("process", "execs", p.execs);
      c.ops("process", "forks", p.forks);
      c.ops("process", "exits", p.exits);
    } else if (key == TcpReport::kKey) {
      const auto& t = *r.find<TcpReport>();
      c.ops_with_latency("tcp", "connects", t.connects, t.connect_latency);
      c.ops("tcp", "connect failures", t.failures);
      c.ops("tcp", "retransmits", t.retransmits);
      c.ops("tcp", "resets", t.resets);
      c.latency("tcp", "RTT samples", t.rtt);
    } else if (key == DnsReport::kKey) {
      const auto& d = *r.find<DnsReport>();
      c.ops_with_latency("dns", "queries", d.queries, d.latency);
      c.ops("dns", "errors", d.errors);
      c.ops("dns", "timeouts", d.timeouts);
    } else if (key == UdpReport::kKey) {
      uint64_t packets = 0, errors = 0, drops = 0;
      const auto& u = *r.find<UdpReport>();
      for (const auto& e : u.endpoints) {
        packets += e.packets_sent + e.packets_received;
        errors += e.errors + e.receive_errors;
      }
      for (const auto& d : u.drops) drops += d.count;
      c.ops("udp", "packets", packets);
      c.ops("udp", "errors", errors);
      c.ops("udp", "drops", drops);
    } else if (key == MemoryReport::kKey) {
      const auto& m = *r.find<MemoryReport>();
      uint64_t major = 0;
      for (const auto& f : m.faults) major += f.major;
      c.ops("memory", "major faults", major);
      for (const auto& s : m.reclaim) c.latency("memory", s.kind + " reclaim stalls", s.latency);
    } else if (key == NetdevReport::kKey) {
      uint64_t packets = 0;
      for (const auto& x : r.find<NetdevReport>()->target) packets += x.packets;
      c.ops("netdev", "transmit errors", packets);
    } else if (key == LocksReport::kKey) {
      const auto& l = *r.find<LocksReport>();
      for (const auto& k : l.kinds)
        c.ops_with_latency("locks", k.kind + " waits", k.waits, k.latency);
      uint64_t contentions = 0;
      for (const auto& k : l.kernel_types) contentions += k.contentions;
      c.ops("locks", "kernel contentions", contentions);
    } else if (key == DbReport::kKey) {
      for (const auto& s : r.find<DbReport>()->systems) {
        c.ops_with_latency("db", s.system + " queries", s.queries, s.latency);
        c.ops("db", s.system + " errors", s.errors);
      }
    }
  }
  return c.take();
}

std::vector<CumulativeEndpoint> timeline_endpoints(const Report& r) {
  std::vector<CumulativeEndpoint> out;
  if (const auto* tcp = r.find<TcpReport>())
    for (const auto& e : tcp->endpoints)
      out.push_back({e.direction, e.address, e.port, e.connects,
                     e.refused + e.timed_out + e.unreachable + e.other_failures});
  return out;
}

}  // namespace podtrace::tracer
