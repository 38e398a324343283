// SPDX-License-Identifier: Apache-2.0
// family_args.h: the --disable list that leaves one family on, for tests that start the tracer
// for that family alone.
#pragma once

#include <string>
#include <string_view>

#include "families.h"

namespace podtrace::tracer::testing {

// Every registered family but `family`, comma-separated: a new family cannot slip into a test.
inline std::string families_except(std::string_view family) {
  std::string out;
  for (const auto& name : family_names())
    if (name != family) out += (out.empty() ? "" : ",") + name;
  return out;
}

}  // namespace podtrace::tracer::testing
