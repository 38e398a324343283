// SPDX-License-Identifier: Apache-2.0
// udp_aggregate.h: turns the udp family's map entries into the UDP section. Pure, so unit tests
// run it without root.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sections/udp.h"
#include "udp.h"

namespace podtrace::tracer {

// `enum skb_drop_reason` names by value, from the running kernel's BTF.
using DropReasonNames = std::map<uint32_t, std::string>;

std::string drop_reason_name(const DropReasonNames& names, uint32_t reason);

// Endpoints most bytes first, drops most packets first; ties in a stable order.
std::string_view udp_protocol_name(uint32_t protocol);  // UDP_PROTO_*

UdpReport aggregate_udp(const std::vector<std::pair<udp_endpoint, udp_endpoint_stats>>& endpoints,
                        const std::vector<std::pair<udp_drop_key, udp_drop_stats>>& drops,
                        const DropReasonNames& reasons);

}  // namespace podtrace::tracer
