// SPDX-License-Identifier: Apache-2.0
// core/v1 Events written by the harness's controllers, as client-go's event recorder does.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "store.h"
#include "time_format.h"

namespace podtrace::cluster {

// What an event is about and who reports it.
struct EventSpec {
  nlohmann::json involved_object;  // {kind, namespace, name, uid, apiVersion, resourceVersion}
  std::string type;                // "Normal" or "Warning"
  std::string reason;              // "FailedCreate"
  std::string message;
  std::string component;  // source.component and reportingComponent: "job-controller"
};

// The ObjectReference of a stored object (reference.GetReference).
nlohmann::json object_reference(const nlohmann::json& obj);

// The stored event of the same object, type, reason and component, if any.
std::optional<nlohmann::json> find_event(Store& store, const EventSpec& spec);

// Creates the event ("<name>.<unix nanos in hex>", count 1), or, when find_event() has one,
// increments its count and moves lastTimestamp and message to this occurrence.
void record_event(Store& store, const EventSpec& spec, Clock::time_point now);

}  // namespace podtrace::cluster
