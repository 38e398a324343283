// SPDX-License-Identifier: Apache-2.0
// batch/v1 Job controller and the garbage collector for pods whose owner is gone.
#pragma once

#include <optional>
#include <string>

#include "store.h"

namespace podtrace::cluster {

// One pass: create each Job's pod (through Pod Security admission: a refusal records a
// FailedCreate event and is retried with backoff), track its status (active/succeeded/failed,
// Complete/Failed conditions), enforce activeDeadlineSeconds and ttlSecondsAfterFinished,
// finish Foreground deletions and delete pods owned by Jobs that no longer exist (Background
// propagation).
void sync_jobs(Store& store);

// Starts graceful deletion of a pod: deletionTimestamp now + grace; the kubelet signals the
// processes and removes the object. Pods that never ran go at once.
void begin_pod_deletion(Store& store, const std::string& ns, const std::string& name,
                        std::optional<long long> grace);

}  // namespace podtrace::cluster
