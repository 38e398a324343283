// SPDX-License-Identifier: Apache-2.0
// families.cpp: the registry of diagnostic families. Adding a family is one line here.
#include "families.h"

#include <array>

#include "probes/cpu_probe.h"
#include "probes/db_probe.h"
#include "probes/dns_probe.h"
#include "probes/fileio_probe.h"
#include "probes/locks_probe.h"
#include "probes/memory_probe.h"
#include "probes/netdev_probe.h"
#include "probes/process_probe.h"
#include "probes/profile_probe.h"
#include "probes/tcp_probe.h"
#include "probes/udp_probe.h"

namespace podtrace::tracer {

namespace {

template <typename P>
std::unique_ptr<Probe> make() {
  return std::make_unique<P>();
}

constexpr std::array kFamilies = {
    Family{"fileio", "file I/O latency, bytes and errors per operation and file",
           make<FileioProbe>},
    Family{"cpu", "run-queue latency, on/off-CPU time per thread, CFS throttling", make<CpuProbe>},
    Family{"process", "exec, fork, exit codes, signals and OOM kills", make<ProcessProbe>},
    Family{"tcp", "connect latency and failures, RTT, retransmits and resets per endpoint",
           make<TcpProbe>},
    Family{"dns", "DNS queries per name on the wire, and getaddrinfo() in the target's libc",
           make<DnsProbe>},
    Family{"udp", "UDP traffic and errors per endpoint, and packet drops by kernel reason",
           make<UdpProbe>},
    Family{"profile", "CPU profile at 99 Hz: the functions that hold each process's CPU, flame "
                      "graph stacks",
           make<ProfileProbe>},
    Family{"memory",
           "minor/major page faults per process, reclaim stalls, memory cgroup limits and "
           "events, RSS, OOM kills",
           make<MemoryProbe>},
    Family{"netdev", "packets a network device's driver refused, the pod's and node-wide",
           make<NetdevProbe>},
    Family{"locks",
           "futex waits per lock and thread, pthread mutex/rwlock contention, kernel lock "
           "contention",
           make<LocksProbe>},
    Family{"db", "database queries per normalised statement through libpq and libmariadb",
           make<DbProbe>},
};

}  // namespace

std::span<const Family> families() { return kFamilies; }

std::vector<std::string> family_names() {
  std::vector<std::string> names;
  for (const auto& f : kFamilies) names.emplace_back(f.name);
  return names;
}

}  // namespace podtrace::tracer
