// SPDX-License-Identifier: Apache-2.0
// terminal_safe.h: makes untrusted text (paths, names, comms from the node) safe to print on a
// terminal. One implementation; the two names differ only in what replaces a forbidden character.
#pragma once

#include <string>
#include <string_view>

namespace podtrace {

// Neutralises every C0 control (tab and newline included, so a value stays on one line), DEL,
// C1 controls (U+0080..U+009F) and the Unicode bidi controls (U+202A..U+202E, U+2066..U+2069,
// U+200E, U+200F, U+061C): each becomes `replacement`. Invalid UTF-8 becomes U+FFFD.
std::string neutralise_for_terminal(std::string_view text, std::string_view replacement);

// Forbidden characters become '?': the reader sees that something was there.
inline std::string terminal_safe(std::string_view text) {
  return neutralise_for_terminal(text, "?");
}

// Forbidden characters are removed.
inline std::string sanitize_for_terminal(std::string_view text) {
  return neutralise_for_terminal(text, "");
}

}  // namespace podtrace
