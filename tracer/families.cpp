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
    Family{"fileio", "file I/O latency, bytes and errors per operation and file", make<FileioProbe>,
           FileioProbe::bpf_object},
    Family{"cpu", "run-queue latency, on/off-CPU time per thread, CFS throttling", make<CpuProbe>,
           CpuProbe::bpf_object},
    Family{"process", "exec, fork, exit codes, signals and OOM kills", make<ProcessProbe>,
           ProcessProbe::bpf_object},
    Family{"tcp", "connect latency and failures, RTT, retransmits and resets per endpoint",
           make<TcpProbe>, TcpProbe::bpf_object},
    Family{"dns", "DNS queries per name on the wire, and getaddrinfo() in the target's libc",
           make<DnsProbe>, DnsProbe::bpf_object},
    Family{"udp", "UDP traffic and errors per endpoint, and packet drops by kernel reason",
           make<UdpProbe>, UdpProbe::bpf_object},
    Family{"profile",
           "CPU profile at 99 Hz: the functions that hold each process's CPU, flame "
           "graph stacks",
           make<ProfileProbe>, ProfileProbe::bpf_object},
    Family{"memory",
           "minor/major page faults per process, reclaim stalls, memory cgroup limits and "
           "events, RSS, OOM kills",
           make<MemoryProbe>, MemoryProbe::bpf_object},
    Family{"netdev", "packets a network device's driver refused, the pod's and node-wide",
           make<NetdevProbe>, NetdevProbe::bpf_object},
    Family{"locks",
           "futex waits per lock and thread, pthread mutex/rwlock contention, kernel lock "
           "contention",
           make<LocksProbe>, LocksProbe::bpf_object},
    Family{"db", "database queries per normalised statement through libpq and libmariadb",
           make<DbProbe>, DbProbe::bpf_object},
};

}  // namespace

std::span<const Family> families() { return kFamilies; }

std::vector<std::string> family_names() {
  std::vector<std::string> names;
  for (const auto& f : kFamilies) names.emplace_back(f.name);
  return names;
}

std::vector<std::span<const unsigned char>> family_objects() {
  std::vector<std::span<const unsigned char>> objects;
  for (const auto& f : kFamilies) objects.push_back(f.bpf_object());
  return objects;
}

}  // namespace podtrace::tracer
