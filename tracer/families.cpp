// SPDX-License-Identifier: Apache-2.0
// families.cpp: the registry of diagnostic families. Adding a family is one line here.
#include "families.h"

#include <array>

#include "probes/cpu_probe.h"
#include "probes/dns_probe.h"
#include "probes/fileio_probe.h"
#include "probes/process_probe.h"
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
};

}  // namespace

std::span<const Family> families() { return kFamilies; }

std::vector<std::string> family_names() {
  std::vector<std::string> names;
  for (const auto& f : kFamilies) names.emplace_back(f.name);
  return names;
}

}  // namespace podtrace::tracer
