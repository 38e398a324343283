// SPDX-License-Identifier: Apache-2.0
// Binds pending pods to Ready nodes that satisfy nodeName, nodeSelector and required node affinity.
#pragma once

#include <nlohmann/json.hpp>

#include "store.h"

namespace podtrace::cluster {

// Whether a node satisfies the pod's placement constraints (nodeName, nodeSelector,
// requiredDuringSchedulingIgnoredDuringExecution).
bool node_fits(const nlohmann::json& pod_spec, const nlohmann::json& node);

// One scheduling pass over every pod that is not running yet. Pods that fit nowhere get
// PodScheduled=False, reason Unschedulable, with the scheduler's message.
void schedule_pending_pods(Store& store);

}  // namespace podtrace::cluster
