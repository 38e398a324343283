// SPDX-License-Identifier: Apache-2.0
// Makes untrusted strings (everything that comes from the node) safe to print on a terminal.
#pragma once

#include <string>
#include <string_view>

namespace podtrace {

// Removes every C0 control (tab and newline included: a printed value stays on one line), DEL, C1 controls (U+0080..U+009F), Unicode bidi overrides/isolates (U+202A..U+202E,
// U+2066..U+2069, U+200E, U+200F, U+061C) and replaces invalid UTF-8 with U+FFFD.
std::string sanitize_for_terminal(std::string_view text);

} // namespace podtrace
