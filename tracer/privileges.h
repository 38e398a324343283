// SPDX-License-Identifier: Apache-2.0
// privileges.h: can this process load BPF? Root, or the capabilities listed in docs/security.md.
#pragma once

#include "result.h"

namespace podtrace::tracer {

Status check_privileges();

}  // namespace podtrace::tracer
