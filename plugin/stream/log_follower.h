// SPDX-License-Identifier: Apache-2.0
// Follows one container log (follow=true) and survives dropped connections by reconnecting
// and skipping the lines it already consumed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "kube/rest_client.h"
#include "stream/jsonl_parser.h"

namespace podtrace::plugin {

struct FollowPolicy {
  int max_reconnects = 5;  // consecutive drops without new data
  std::chrono::milliseconds reconnect_delay{500};
};

class LogFollower {
 public:
  using Notice = std::function<void(const std::string&)>;

  LogFollower(kube::RestClient& client, std::string path, kube::RequestTarget target,
              JsonLinesParser::Sink sink, Notice notice, FollowPolicy policy = {});

  // Blocks until the log ends (container exited, or its final report line arrived: nothing
  // after it counts, and the tracer may take seconds more to detach its programs, which the user
  // need not wait for), cancel(), or a failure that reconnecting cannot fix. Returns how it
  // ended.
  kube::StreamOutcome run();

  // Thread-safe; run() returns soon after.
  void cancel();

  size_t garbage() const { return parser_.garbage(); }
  size_t reconnects() const { return reconnects_; }

 private:
  bool on_data(std::string_view chunk);

  kube::RestClient& client_;
  std::string path_;
  kube::RequestTarget target_;
  JsonLinesParser parser_;
  Notice notice_;
  FollowPolicy policy_;

  size_t consumed_lines_ = 0;  // '\n'-terminated lines handed to the parser, ever
  size_t skip_lines_ = 0;      // lines still to skip after a reconnect
  size_t reconnects_ = 0;

  bool report_seen_ = false;  // the final report was handed to the sink
  std::atomic<bool> canceled_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  kube::HttpTransport* active_ = nullptr;
};

}  // namespace podtrace::plugin
