// SPDX-License-Identifier: Apache-2.0
// families.h: the one table of diagnostic families. The probe list, --disable, --check and the
// family table in docs/tracer.md (checked by a unit test) all come from it.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "probes/probe.h"

namespace podtrace::tracer {

struct Family {
  std::string_view name;         // as in --disable, the report's `diagnostics` and JSON sections
  std::string_view description;  // one line for --help and the docs
  std::unique_ptr<Probe> (*make)();
  std::span<const unsigned char> (*bpf_object)();  // the object it loads, as embedded
};

// In start order.
std::span<const Family> families();
std::vector<std::string> family_names();
// Every family's BPF object, as embedded.
std::vector<std::span<const unsigned char>> family_objects();

}  // namespace podtrace::tracer
