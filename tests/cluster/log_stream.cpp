// SPDX-License-Identifier: Apache-2.0
// Log replies read the CRI files the kubelet's log pumps write; follow polls for growth.
#include "log_stream.h"

#include <memory>
#include <thread>

#include "api_status.h"
#include "cri_log.h"
#include "kubelet.h"

namespace podtrace::cluster {

using nlohmann::json;

namespace {

void reply(httplib::Response& res, const ApiReply& r) {
  res.status = r.code;
  res.set_content(r.body.dump(), "application/json");
}

std::optional<long long> int_param(const httplib::Request& req, const std::string& name) {
  if (!req.has_param(name)) return std::nullopt;
  try {
    return std::stoll(req.get_param_value(name));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The container's status: "running", "terminated", or "waiting" with its reason.
std::string container_state(const json& pod, const std::string& container, std::string& reason) {
  for (const auto& cs : pod["status"].value("containerStatuses", json::array())) {
    if (cs.value("name", "") != container) continue;
    const json& state = cs.value("state", json::object());
    if (state.contains("running")) return "running";
    if (state.contains("terminated")) return "terminated";
    if (state.contains("waiting")) reason = state["waiting"].value("reason", "");
  }
  if (reason.empty()) reason = "ContainerCreating";
  return "waiting";
}

struct FollowState {
  FollowState(Store& s, StreamControl& c) : store(s), control(c) {}
  Store& store;
  StreamControl& control;
  std::string ns, pod, uid, container, path;
  LogOptions options;
  long long offset = 0;
  long long sent = 0;
  unsigned generation = 0;
  bool first = true;
};

// Writes text within the limitBytes budget; false when the budget is used up.
bool send_limited(FollowState& st, httplib::DataSink& sink, std::string text, bool& client_gone) {
  if (st.options.limit_bytes) {
    long long left = *st.options.limit_bytes - st.sent;
    if (left <= 0) return false;
    if (static_cast<long long>(text.size()) > left) text.resize(static_cast<size_t>(left));
  }
  if (!text.empty() && !sink.write(text.data(), text.size())) {
    client_gone = true;
    return false;
  }
  st.sent += static_cast<long long>(text.size());
  return !st.options.limit_bytes || st.sent < *st.options.limit_bytes;
}

}  // namespace

void serve_pod_log(Store& store, StreamControl& control, const std::string& state_dir,
                   const RequestInfo& info, const httplib::Request& req, httplib::Response& res) {
  auto pod = store.get("pods", info.ns, info.name);
  if (!pod) return reply(res, not_found("pods", "", info.name));
  std::string container = req.get_param_value("container");
  const json& containers = (*pod)["spec"]["containers"];
  if (container.empty()) {
    std::string annotated = (*pod)["metadata"]
                                .value("annotations", json::object())
                                .value("kubectl.kubernetes.io/default-container", "");
    if (!annotated.empty())
      container = annotated;
    else if (containers.size() == 1)
      container = containers[0]["name"];
    else {
      std::string names;
      for (const auto& c : containers)
        names += (names.empty() ? "" : " ") + c["name"].get<std::string>();
      return reply(res, bad_request("a container name must be specified for pod " + info.name +
                                    ", choose one of: [" + names + "]"));
    }
  }
  bool known = false;
  for (const auto& c : containers) known = known || c["name"] == container;
  if (!known)
    return reply(res, bad_request("container " + container + " is not valid for pod " + info.name));
  if ((*pod)["spec"].value("nodeName", "").empty())
    return reply(res, bad_request("pod " + info.name + " does not have a host assigned"));
  std::string waiting_reason;
  if (container_state(*pod, container, waiting_reason) == "waiting")
    return reply(res, bad_request("container \"" + container + "\" in pod \"" + info.name +
                                  "\" is waiting to start: " + waiting_reason));

  auto st = std::make_shared<FollowState>(store, control);
  st->ns = info.ns;
  st->pod = info.name;
  st->uid = (*pod)["metadata"]["uid"];
  st->container = container;
  st->path = container_log_path(state_dir, *pod, container);
  st->options.timestamps = req.get_param_value("timestamps") == "true";
  st->options.tail_lines = int_param(req, "tailLines");
  st->options.limit_bytes = int_param(req, "limitBytes");
  if (req.has_param("sinceTime")) {
    Clock::time_point t;
    if (!parse_rfc3339(req.get_param_value("sinceTime"), t))
      return reply(res, bad_request("invalid sinceTime: " + req.get_param_value("sinceTime")));
    st->options.since_time = t;
  } else if (auto secs = int_param(req, "sinceSeconds")) {
    st->options.since_time = Clock::now() - std::chrono::seconds(*secs);
  }
  st->generation = control.generation.load();

  if (req.get_param_value("follow") != "true") {
    auto records = read_records(st->path, st->offset);
    std::string text = render_records(records, st->options);
    if (st->options.limit_bytes && static_cast<long long>(text.size()) > *st->options.limit_bytes)
      text.resize(static_cast<size_t>(std::max(0LL, *st->options.limit_bytes)));
    res.set_content(text, "text/plain");
    return;
  }

  // Not text/plain: httplib would gzip text/* for clients accepting it and hold the stream
  // in its compressor's buffer.
  res.set_chunked_content_provider("application/octet-stream", [st](size_t,
                                                                    httplib::DataSink& sink) {
    ActiveStream active(st->control);
    bool client_gone = false;
    while (true) {
      if (st->control.generation.load() != st->generation)
        return false;  // fault: drop the connection without the final chunk
      // Read the container's state before the file: a terminated container's log is
      // complete (the kubelet reports the exit only after its pump drained the pipe).
      auto pod = st->store.get("pods", st->ns, st->pod);
      std::string ignored;
      bool ended = !pod || (*pod)["metadata"]["uid"] != st->uid ||
                   container_state(*pod, st->container, ignored) == "terminated";
      auto records = read_records(st->path, st->offset);
      LogOptions opts = st->options;
      if (!st->first) opts.tail_lines.reset();  // tailLines applies to what existed at the start
      st->first = false;
      if (!records.empty() && !send_limited(*st, sink, render_records(records, opts), client_gone))
        break;
      if (ended || st->control.stopping.load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (client_gone) return false;
    sink.done();
    return true;
  });
}

}  // namespace podtrace::cluster
