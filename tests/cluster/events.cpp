// SPDX-License-Identifier: Apache-2.0
// client-go tools/record: makeEvent for the first occurrence, a count/lastTimestamp/message
// patch for repeats.
#include "events.h"

#include <fmt/format.h>

#include "object_defaults.h"

namespace podtrace::cluster {

using nlohmann::json;

json object_reference(const json& obj) {
  const json& meta = obj["metadata"];
  json ref = {{"kind", obj.value("kind", "")},
              {"name", meta.value("name", "")},
              {"uid", meta.value("uid", "")},
              {"apiVersion", obj.value("apiVersion", "")},
              {"resourceVersion", meta.value("resourceVersion", "")}};
  if (meta.contains("namespace")) ref["namespace"] = meta["namespace"];
  return ref;
}

std::optional<json> find_event(Store& store, const EventSpec& spec) {
  std::string ns = spec.involved_object.value("namespace", "default");
  std::string uid = spec.involved_object.value("uid", "");
  for (auto& e : store.list("events", ns))
    if (e["involvedObject"].value("uid", "") == uid && e.value("reason", "") == spec.reason &&
        e.value("type", "") == spec.type &&
        e.value("source", json::object()).value("component", "") == spec.component)
      return e;
  return std::nullopt;
}

void record_event(Store& store, const EventSpec& spec, Clock::time_point now) {
  std::string ns = spec.involved_object.value("namespace", "default");
  std::string stamp = rfc3339(now);
  // The recorder's correlator keys repeats on the message too; the pod name in a FailedCreate
  // message changes with every attempt, and after ten of them it aggregates them into one
  // event whose count grows. The harness does that from the first repeat.
  if (auto existing = find_event(store, spec)) {
    store.update("events", ns, (*existing)["metadata"]["name"], [&](json& e) {
      e["count"] = e.value("count", 1) + 1;
      e["lastTimestamp"] = stamp;
      e["message"] = spec.message;
      return true;
    });
    return;
  }
  long long nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata",
                 {{"name", fmt::format("{}.{:x}", spec.involved_object.value("name", ""), nanos)}}},
                {"involvedObject", spec.involved_object},
                {"reason", spec.reason},
                {"message", spec.message},
                {"source", {{"component", spec.component}}},
                {"firstTimestamp", stamp},
                {"lastTimestamp", stamp},
                {"count", 1},
                {"type", spec.type},
                {"eventTime", nullptr},
                {"reportingComponent", spec.component},
                {"reportingInstance", ""}};
  fill_metadata(event, ns, now);
  store.create("events", event);
}

}  // namespace podtrace::cluster
