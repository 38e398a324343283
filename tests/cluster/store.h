// SPDX-License-Identifier: Apache-2.0
// In-memory object store with resourceVersions and a bounded watch-event history (the etcd part).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace podtrace::cluster {

struct WatchEvent {
  int64_t resource_version = 0;
  std::string resource;  // "pods", "jobs", ...
  std::string type;      // ADDED, MODIFIED, DELETED
  nlohmann::json object;
};

class Store {
 public:
  explicit Store(size_t history = 20000) : history_limit_(history) {}

  std::optional<nlohmann::json> get(const std::string& resource, const std::string& ns,
                                    const std::string& name) const;
  // Objects of a resource, sorted by namespace then name; ns "" means all namespaces.
  // rv receives the store's resourceVersion at the time of the snapshot.
  std::vector<nlohmann::json> list(const std::string& resource, const std::string& ns,
                                   int64_t* rv = nullptr) const;
  // Stores obj and returns it with metadata.resourceVersion set; nullopt when the name is taken.
  std::optional<nlohmann::json> create(const std::string& resource, nlohmann::json obj);
  // mutate edits the object in place and returns whether it changed anything. Returns the
  // stored object (changed or not), nullopt when absent.
  std::optional<nlohmann::json> update(const std::string& resource, const std::string& ns,
                                       const std::string& name,
                                       const std::function<bool(nlohmann::json&)>& mutate);
  std::optional<nlohmann::json> remove(const std::string& resource, const std::string& ns,
                                       const std::string& name);

  int64_t resource_version() const;
  // Events with resourceVersion > after; false when `after` is older than the history kept
  // (the watch must answer 410 Gone).
  bool events_since(int64_t after, std::vector<WatchEvent>& out) const;
  // Blocks until an event newer than `after` exists, the timeout passes or wake_all().
  void wait_for_change(int64_t after, std::chrono::milliseconds timeout) const;
  void wake_all();

 private:
  static std::string key(const std::string& ns, const std::string& name) { return ns + "/" + name; }
  void record(const std::string& resource, const char* type, const nlohmann::json& obj);

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::map<std::string, nlohmann::json>> objects_;
  std::deque<WatchEvent> history_;
  size_t history_limit_;
  int64_t revision_ = 1;
  int64_t oldest_kept_ = 1;
};

}  // namespace podtrace::cluster
