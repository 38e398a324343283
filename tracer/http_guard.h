// SPDX-License-Identifier: Apache-2.0
// http_guard.h: an httplib::Server whose worker threads only ever see complete request headers.
// httplib serves each connection on a pool thread from accept on, and its read timeout is per
// recv: a client that trickles a byte every second holds a thread forever, and a handful of
// such clients (slowloris) hold them all, so no scrape is served. Here one poll thread collects
// the headers of every new connection, each within a total deadline, at most max_pending at
// once (the oldest is dropped to make room), and hands a connection to a worker only when its
// headers are in; httplib then parses and answers it as usual.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace podtrace::tracer {

struct HttpGuardLimits {
  std::chrono::milliseconds deadline{2000};  // accept → headers in; also bounds body and answer
  size_t max_pending = 256;                  // connections still sending their headers
  size_t max_header_bytes = 8192;            // beyond: the connection is closed
  size_t workers = 4;                        // threads answering complete requests
};

class GuardedHttpServer : public httplib::Server {
 public:
  explicit GuardedHttpServer(const HttpGuardLimits& limits);
  ~GuardedHttpServer() override;
  GuardedHttpServer(const GuardedHttpServer&) = delete;
  GuardedHttpServer& operator=(const GuardedHttpServer&) = delete;

  // Connections closed because their headers missed the deadline or room ran out (for tests).
  size_t dropped_slow() const;

 private:
  struct Pending {
    int fd;
    std::chrono::steady_clock::time_point deadline;
    std::string head;  // bytes received so far
  };
  // Called by httplib's accept loop (through an inline task queue): registers the connection
  // with the collector and returns at once.
  bool process_and_close_socket(int sock) override;
  void collect();
  void answer(Pending p);
  void wake();

  HttpGuardLimits limits_;
  int wake_fd_ = -1;
  mutable std::mutex mutex_;
  std::deque<Pending> incoming_;  // accepted, not yet seen by the collector
  bool stopping_ = false;
  size_t dropped_slow_ = 0;
  std::unique_ptr<httplib::ThreadPool> workers_;
  std::thread collector_;
};

}  // namespace podtrace::tracer
