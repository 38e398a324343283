// SPDX-License-Identifier: Apache-2.0
// Resume by line count: the kubelet replays the whole log on each follow request, so skipping
// the lines already seen gives exactly-once delivery without relying on timestamps.
#include "stream/log_follower.h"

#include <fmt/format.h>

namespace podtrace::plugin {

LogFollower::LogFollower(kube::RestClient& client, std::string path, kube::RequestTarget target,
                         JsonLinesParser::Sink sink, Notice notice, FollowPolicy policy)
    : client_(client),
      path_(std::move(path)),
      target_(std::move(target)),
      parser_([this, sink = std::move(sink)](TracerLine&& line) {
        const bool report = line.type == LineType::report;
        sink(std::move(line));
        report_seen_ = report_seen_ || report;
      }),
      notice_(std::move(notice)),
      policy_(policy) {}

bool LogFollower::on_data(std::string_view chunk) {
  if (canceled_) return false;
  while (!chunk.empty()) {
    auto nl = chunk.find('\n');
    if (skip_lines_ > 0) {
      if (nl == std::string_view::npos) return true;
      skip_lines_--;
      chunk.remove_prefix(nl + 1);
      continue;
    }
    if (nl == std::string_view::npos) {
      parser_.feed(chunk);
      return true;
    }
    parser_.feed(chunk.substr(0, nl + 1));
    consumed_lines_++;
    if (report_seen_) return false;
    chunk.remove_prefix(nl + 1);
  }
  return !canceled_;
}

kube::StreamOutcome LogFollower::run() {
  int drops_without_progress = 0;
  while (true) {
    if (canceled_) return {kube::StreamOutcome::Kind::canceled, {}};
    auto transport = client_.new_transport();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      active_ = transport.get();
    }
    if (canceled_)  // cancel() may have run before active_ was set
      transport->cancel();
    size_t before = consumed_lines_;
    skip_lines_ = consumed_lines_;
    auto outcome = client_.stream(*transport, path_, target_,
                                  [this](std::string_view chunk) { return on_data(chunk); });
    {
      std::lock_guard<std::mutex> lock(mutex_);
      active_ = nullptr;
    }
    if (canceled_) return {kube::StreamOutcome::Kind::canceled, {}};
    if (report_seen_) return {kube::StreamOutcome::Kind::ended, {}};
    switch (outcome.kind) {
      case kube::StreamOutcome::Kind::ended:
        parser_.finish();
        return outcome;
      case kube::StreamOutcome::Kind::canceled:
      case kube::StreamOutcome::Kind::failed:
        return outcome;
      case kube::StreamOutcome::Kind::dropped:
        break;
    }
    parser_.discard_partial();
    drops_without_progress = consumed_lines_ > before ? 1 : drops_without_progress + 1;
    if (drops_without_progress > policy_.max_reconnects)
      return {kube::StreamOutcome::Kind::dropped,
              fmt::format("log stream lost after {} reconnects: {}", policy_.max_reconnects,
                          outcome.message)};
    reconnects_++;
    if (notice_) notice_(fmt::format("log stream interrupted ({}); reconnecting", outcome.message));
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, policy_.reconnect_delay * drops_without_progress,
                   [this] { return canceled_.load(); });
  }
}

void LogFollower::cancel() {
  canceled_ = true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (active_) active_->cancel();
  wake_.notify_all();
}

}  // namespace podtrace::plugin
