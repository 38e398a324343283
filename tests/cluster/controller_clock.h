// SPDX-License-Identifier: Apache-2.0
// The Job controller's clock: wall time plus an offset that tests can move forward, so that a
// Job's activeDeadlineSeconds and ttlSecondsAfterFinished (minutes) can be checked in seconds,
// the way Kubernetes' own controller tests use a fake clock. Only the Job controller reads it:
// the kubelet's grace periods and every other timestamp stay on wall time.
#pragma once

#include <chrono>

#include "time_format.h"

namespace podtrace::cluster {

Clock::time_point controller_now();
// Moves the controller's clock forward (POST /harness/v1/clock/advance?seconds=N).
void advance_controller_clock(std::chrono::seconds by);

}  // namespace podtrace::cluster
