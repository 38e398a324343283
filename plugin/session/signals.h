// SPDX-License-Identifier: Apache-2.0
// SIGINT/SIGTERM → a flag. The handler does nothing else: the session loop polls the flag and
// does the HTTP work (deleting the Job) in normal context.
#pragma once

namespace podtrace::plugin {

void install_stop_handlers();

// How many stop signals arrived (0: none). A second Ctrl-C means "stop waiting now".
int stop_requests();

// For tests and for errors that should stop the session like a signal would.
void request_stop();
void reset_stop_requests();

}  // namespace podtrace::plugin
