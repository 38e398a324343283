// SPDX-License-Identifier: Apache-2.0
// section_registry.cpp: the table of families the report knows. Adding a family is one line here.
#include "section_registry.h"

#include <array>
#include <set>
#include <string>

#include "generic_section.h"
#include "sections/cpu.h"
#include "sections/db.h"
#include "sections/dns.h"
#include "sections/fileio.h"
#include "sections/locks.h"
#include "sections/memory.h"
#include "sections/netdev.h"
#include "sections/process.h"
#include "sections/profile.h"
#include "sections/tcp.h"
#include "sections/time.h"
#include "sections/timeline.h"
#include "sections/udp.h"

namespace podtrace {

namespace {

constexpr std::array kSections = {
    // The time breakdown leads: the findings are ranked by the time it explains.
    section_kind<TimeReport>(),     section_kind<FileioReport>(),  section_kind<CpuReport>(),
    section_kind<ProcessReport>(),  section_kind<TcpReport>(),     section_kind<DnsReport>(),
    section_kind<UdpReport>(),      section_kind<ProfileReport>(), section_kind<MemoryReport>(),
    section_kind<NetdevReport>(),   section_kind<LocksReport>(),   section_kind<DbReport>(),
    section_kind<TimelineReport>(),
};

}  // namespace

std::span<const SectionKind> section_kinds() { return kSections; }

std::unique_ptr<Section> decode_section(std::string_view key, const nlohmann::json& value) {
  for (const auto& kind : kSections)
    if (kind.key == key) return kind.decode(value);
  return std::make_unique<GenericSection>(std::string(key), value);
}

size_t section_order(std::string_view key) {
  for (size_t i = 0; i < kSections.size(); ++i)
    if (kSections[i].key == key) return i;
  return kSections.size();
}

bool is_envelope_member(std::string_view key) {
  static const std::set<std::string, std::less<>> envelope = {
      "schema_version", "type",        "ts_ns",    "duration_s",  "end_reason", "target_exited",
      "lost_events",    "event_lines", "findings", "diagnostics", "kernel"};
  return envelope.count(key) > 0;
}

}  // namespace podtrace
