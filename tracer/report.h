// SPDX-License-Identifier: Apache-2.0
// report.h: the data model of a trace. Probes fill it; the JSON, text and Prometheus renderers
// read it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "histogram.h"

namespace podtrace {

struct DiagnosticStatus {
  std::string name;
  bool enabled = false;
  std::string attach;  // attach type in use
  std::string reason;  // why disabled
};

struct OpReport {
  std::string op;
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  LatencySummary latency;
};

struct FileReport {
  std::string path;
  uint32_t pid = 0;
  std::string op;
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  uint64_t total_ns = 0;
  uint64_t max_ns = 0;
  std::map<std::string, uint64_t> errnos;  // filled from error events, e.g. {"ENOENT": 50}
};

struct FileioReport {
  std::vector<OpReport> ops;
  std::vector<FileReport> files;
};

struct ThreadCpu {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::string comm;
  uint64_t on_cpu_ns = 0;
  uint64_t run_queue_ns = 0;
  uint64_t io_ns = 0;
  uint64_t sleep_ns = 0;
  uint64_t preempted_ns = 0;
  uint64_t switches = 0;
  uint64_t involuntary = 0;
};

struct Throttling {
  std::string cgroup;  // controller directory read
  std::string source;  // "cgroup-v1" or "cgroup-v2"
  int64_t quota_us = -1;  // -1: unlimited
  uint64_t period_us = 0;
  uint64_t nr_periods = 0;
  uint64_t nr_throttled = 0;
  uint64_t throttled_ns = 0;
};

struct CpuReport {
  LatencySummary run_queue;
  LatencySummary on_cpu;
  LatencySummary off_io;
  LatencySummary off_sleep;
  LatencySummary preempted;
  uint64_t on_cpu_ns = 0;
  uint64_t run_queue_ns = 0;
  uint64_t io_ns = 0;
  uint64_t sleep_ns = 0;
  uint64_t preempted_ns = 0;
  std::vector<Throttling> throttling;
  std::vector<ThreadCpu> threads;
};

struct ProcessExit {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  std::string comm;
  int exit_code = 0;
  int signal = 0;
  bool core_dumped = false;
  bool oom_killed = false;
};

struct ProcessReport {
  uint64_t execs = 0;
  uint64_t forks = 0;
  uint64_t threads = 0;
  uint64_t exits = 0;
  uint64_t oom_kills = 0;
  std::vector<ProcessExit> exited;  // from streamed events (bounded)
};

// --- Network (tcp, dns, udp families; see docs/network.md) ---

// One remote endpoint: addr:port the pod connected to (outbound), or a client address and the
// pod's local port (inbound).
struct TcpEndpointReport {
  std::string direction;  // "outbound", "inbound"
  std::string address;
  uint16_t port = 0;
  uint64_t connects = 0;  // reached ESTABLISHED
  uint64_t refused = 0;
  uint64_t timed_out = 0;
  uint64_t unreachable = 0;
  uint64_t other_failures = 0;  // aborted by the application before an answer, other errors
  LatencySummary connect_latency;
  LatencySummary rtt;  // smoothed RTT at each RTT sample
  uint64_t rtt_min_us = 0;
  uint64_t retransmits = 0;
  uint64_t rto_events = 0;
  uint64_t resets_sent = 0;
  uint64_t resets_received = 0;
  uint64_t closed = 0;
  uint64_t bytes_sent = 0;      // of closed connections
  uint64_t bytes_received = 0;  // of closed connections
  LatencySummary lifetime;
};

struct TcpReport {
  LatencySummary connect_latency;  // pod-wide
  LatencySummary rtt;
  LatencySummary lifetime;
  uint64_t connects = 0;
  uint64_t failures = 0;
  uint64_t retransmits = 0;
  uint64_t resets = 0;
  std::vector<TcpEndpointReport> endpoints;  // most time-consuming first
};

// One DNS name and query type as seen on the wire.
struct DnsNameReport {
  std::string name;
  std::string qtype;  // "A", "AAAA", "SRV", or the number
  uint64_t queries = 0;
  uint64_t answers = 0;
  uint64_t timeouts = 0;  // no answer within the DNS timeout, or retried before one came
  std::map<std::string, uint64_t> rcodes;  // {"NOERROR": 3, "NXDOMAIN": 1}
  LatencySummary latency;
  std::string server;  // last server that answered, "addr:port"
  std::string transport;  // "udp", "tcp", "udp+tcp"
};

// One getaddrinfo() call site as the application saw it: the whole resolution.
struct DnsLookupReport {
  std::string host;
  uint64_t calls = 0;
  uint64_t failures = 0;
  std::map<std::string, uint64_t> errors;  // {"EAI_NONAME": 2}
  uint64_t queries = 0;  // DNS packets the calls sent (search list x ndots x A/AAAA x retries)
  LatencySummary latency;
};

struct DnsReport {
  uint64_t queries = 0;
  uint64_t answers = 0;
  uint64_t timeouts = 0;
  uint64_t errors = 0;  // answers with an rcode other than NOERROR
  LatencySummary latency;
  std::vector<DnsNameReport> names;
  std::vector<DnsLookupReport> lookups;  // from the getaddrinfo uprobe
  std::string lookup_status;             // why lookups are missing, when they are
};

struct UdpEndpointReport {
  std::string address;
  uint16_t port = 0;
  uint64_t packets_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t packets_received = 0;
  uint64_t bytes_received = 0;
  uint64_t errors = 0;          // socket errors: ICMP unreachable on a connected socket...
  uint64_t receive_errors = 0;  // datagrams from this sender the receive queue refused
  std::string last_error;       // e.g. "ECONNREFUSED"
};

struct DropReport {
  std::string reason;  // the kernel's skb drop reason, e.g. "NETFILTER_DROP"
  std::string protocol;  // "tcp", "udp", "other"
  uint64_t count = 0;
};

struct UdpReport {
  std::vector<UdpEndpointReport> endpoints;
  std::vector<DropReport> drops;
};

struct Finding {
  std::string severity;  // "critical", "warning", "info"
  std::string family;
  std::string title;
  std::string detail;
};

struct Report {
  double duration_s = 0;
  std::string end_reason;  // "duration", "signal", "target_exited"; empty for summaries
  bool target_exited = false;
  uint64_t lost_ringbuf = 0;
  uint64_t lost_map_full = 0;
  uint64_t lost_userspace = 0;  // events dropped by the tracer's own bounded queue
  std::vector<DiagnosticStatus> diagnostics;
  std::vector<Finding> findings;
  std::optional<FileioReport> fileio;
  std::optional<CpuReport> cpu;
  std::optional<ProcessReport> process;
  std::optional<TcpReport> tcp;
  std::optional<DnsReport> dns;
  std::optional<UdpReport> udp;
};

}  // namespace podtrace
