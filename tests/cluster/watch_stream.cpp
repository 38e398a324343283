// SPDX-License-Identifier: Apache-2.0
// Watch streams read the store's event history; each stream holds one server thread.
#include "watch_stream.h"

#include <memory>

#include "resource_api.h"

namespace podtrace::cluster {

using nlohmann::json;

namespace {

struct WatchState {
  WatchState(Store& s, StreamControl& c) : store(s), control(c) {}
  Store& store;
  StreamControl& control;
  std::string resource;
  std::string ns;
  std::string api_version;
  std::string kind;
  ListFilter filter;
  int64_t cursor = 0;
  std::vector<std::string> initial;  // lines to send before following the history
  std::chrono::steady_clock::time_point deadline;
  unsigned generation = 0;
  bool bookmarks = false;
  std::chrono::steady_clock::time_point last_bookmark;
};

std::string event_line(const std::string& type, json object, const WatchState& st) {
  object["apiVersion"] = st.api_version;
  object["kind"] = st.kind;
  return json{{"type", type}, {"object", object}}.dump() + "\n";
}

std::string bookmark_line(const WatchState& st, bool initial_end) {
  json meta = {{"resourceVersion", std::to_string(st.cursor)}};
  if (initial_end) meta["annotations"] = {{"k8s.io/initial-events-end", "true"}};
  return json{{"type", "BOOKMARK"},
              {"object", {{"apiVersion", st.api_version}, {"kind", st.kind}, {"metadata", meta}}}}
             .dump() +
         "\n";
}

}  // namespace

void serve_watch(Store& store, StreamControl& control, const RequestInfo& info,
                 const ResourceType& type, const httplib::Request& req, httplib::Response& res) {
  auto parsed = parse_list_filter(type.resource, req);
  if (auto* reply = std::get_if<ApiReply>(&parsed)) {
    res.status = reply->code;
    res.set_content(reply->body.dump(), "application/json");
    return;
  }
  auto st = std::make_shared<WatchState>(store, control);
  st->resource = type.resource;
  st->ns = info.ns;
  st->api_version = type.group.empty() ? type.version : type.group + "/" + type.version;
  st->kind = type.kind;
  st->filter = std::get<ListFilter>(parsed);
  long long timeout = 1800;
  if (req.has_param("timeoutSeconds")) timeout = std::stoll(req.get_param_value("timeoutSeconds"));
  st->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  st->generation = control.generation.load();
  st->bookmarks = req.get_param_value("allowWatchBookmarks") == "true";
  st->last_bookmark = std::chrono::steady_clock::now();

  std::string rv = req.get_param_value("resourceVersion");
  bool initial_events = req.get_param_value("sendInitialEvents") == "true";
  if (rv.empty() || rv == "0" || initial_events) {
    // Start from "now", listing what exists as ADDED events.
    for (const auto& obj : store.list(type.resource, info.ns, &st->cursor))
      if (st->filter.matches(obj)) st->initial.push_back(event_line("ADDED", obj, *st));
    if (initial_events) st->initial.push_back(bookmark_line(*st, true));
  } else {
    try {
      st->cursor = std::stoll(rv);
    } catch (const std::exception&) {
      auto reply = bad_request("invalid resource version: " + rv);
      res.status = 400;
      res.set_content(reply.body.dump(), "application/json");
      return;
    }
    std::vector<WatchEvent> probe;
    if (!store.events_since(st->cursor, probe)) {
      // Like the API server: 200 with one ERROR event carrying a 410 Status.
      json status = gone("too old resource version: " + rv + " (" +
                         std::to_string(store.resource_version()) + ")")
                        .body;
      res.set_content(json{{"type", "ERROR"}, {"object", status}}.dump() + "\n",
                      "application/json");
      return;
    }
  }

  // The media-type parameter also keeps httplib from gzip-compressing the stream (clients
  // that send Accept-Encoding: gzip would see nothing until its buffer filled).
  res.set_chunked_content_provider(
      "application/json;stream=watch", [st](size_t, httplib::DataSink& sink) {
        ActiveStream active(st->control);
        for (const auto& line : st->initial)
          if (!sink.write(line.data(), line.size())) return false;
        st->initial.clear();
        while (true) {
          if (st->control.generation.load() != st->generation)
            return false;  // fault: drop the connection without the final chunk
          if (st->control.stopping.load() || std::chrono::steady_clock::now() >= st->deadline) {
            sink.done();
            return true;
          }
          std::vector<WatchEvent> events;
          if (!st->store.events_since(st->cursor, events)) {
            json status = gone("too old resource version").body;
            std::string line = json{{"type", "ERROR"}, {"object", status}}.dump() + "\n";
            sink.write(line.data(), line.size());
            sink.done();
            return true;
          }
          for (const auto& ev : events) {
            st->cursor = ev.resource_version;
            if (ev.resource != st->resource) continue;
            if (!st->ns.empty() && ev.object["metadata"].value("namespace", "") != st->ns) continue;
            if (!st->filter.matches(ev.object)) continue;
            std::string line = event_line(ev.type, ev.object, *st);
            if (!sink.write(line.data(), line.size())) return false;
          }
          if (st->bookmarks &&
              std::chrono::steady_clock::now() - st->last_bookmark > std::chrono::seconds(30)) {
            std::string line = bookmark_line(*st, false);
            if (!sink.write(line.data(), line.size())) return false;
            st->last_bookmark = std::chrono::steady_clock::now();
          }
          st->store.wait_for_change(st->cursor, std::chrono::milliseconds(200));
        }
      });
}

}  // namespace podtrace::cluster
