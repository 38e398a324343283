// SPDX-License-Identifier: Apache-2.0
// One mutex guards every object; each write bumps a global revision, like etcd's.
#include "store.h"

namespace podtrace::cluster {

using nlohmann::json;

namespace {

std::string namespace_of(const json& obj) { return obj["metadata"].value("namespace", ""); }

}  // namespace

std::optional<json> Store::get(const std::string& resource, const std::string& ns,
                               const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto r = objects_.find(resource);
  if (r == objects_.end()) return std::nullopt;
  auto it = r->second.find(key(ns, name));
  if (it == r->second.end()) return std::nullopt;
  return it->second;
}

std::vector<json> Store::list(const std::string& resource, const std::string& ns,
                              int64_t* rv) const {
  std::lock_guard lock(mutex_);
  std::vector<json> out;
  if (rv) *rv = revision_;
  auto r = objects_.find(resource);
  if (r == objects_.end()) return out;
  for (const auto& [k, obj] : r->second)
    if (ns.empty() || namespace_of(obj) == ns) out.push_back(obj);
  return out;
}

std::optional<json> Store::create(const std::string& resource, json obj) {
  std::lock_guard lock(mutex_);
  auto& bucket = objects_[resource];
  std::string k = key(namespace_of(obj), obj["metadata"]["name"].get<std::string>());
  if (bucket.count(k)) return std::nullopt;
  obj["metadata"]["resourceVersion"] = std::to_string(++revision_);
  bucket[k] = obj;
  record(resource, "ADDED", obj);
  return obj;
}

std::optional<json> Store::update(const std::string& resource, const std::string& ns,
                                  const std::string& name,
                                  const std::function<bool(json&)>& mutate) {
  std::lock_guard lock(mutex_);
  auto& bucket = objects_[resource];
  auto it = bucket.find(key(ns, name));
  if (it == bucket.end()) return std::nullopt;
  json copy = it->second;
  if (!mutate(copy)) return it->second;
  copy["metadata"]["resourceVersion"] = std::to_string(++revision_);
  it->second = copy;
  record(resource, "MODIFIED", copy);
  return copy;
}

std::optional<json> Store::remove(const std::string& resource, const std::string& ns,
                                  const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& bucket = objects_[resource];
  auto it = bucket.find(key(ns, name));
  if (it == bucket.end()) return std::nullopt;
  json obj = it->second;
  bucket.erase(it);
  // The DELETED event carries the object at the revision of its deletion.
  obj["metadata"]["resourceVersion"] = std::to_string(++revision_);
  record(resource, "DELETED", obj);
  return obj;
}

int64_t Store::resource_version() const {
  std::lock_guard lock(mutex_);
  return revision_;
}

void Store::record(const std::string& resource, const char* type, const json& obj) {
  history_.push_back({revision_, resource, type, obj});
  while (history_.size() > history_limit_) {
    history_.pop_front();
    oldest_kept_ = history_.front().resource_version;
  }
  changed_.notify_all();
}

bool Store::events_since(int64_t after, std::vector<WatchEvent>& out) const {
  std::lock_guard lock(mutex_);
  // Events at or before oldest_kept_-1 may have been dropped: too old to resume from.
  if (after < oldest_kept_ - 1) return false;
  for (const auto& ev : history_)
    if (ev.resource_version > after) out.push_back(ev);
  return true;
}

void Store::wait_for_change(int64_t after, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return revision_ > after; });
}

void Store::wake_all() { changed_.notify_all(); }

}  // namespace podtrace::cluster
