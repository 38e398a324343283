// SPDX-License-Identifier: Apache-2.0
// http_guard.cpp: header collection on one poll thread, answers on a small worker pool.
#include "http_guard.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace podtrace::tracer {
namespace {

using Clock = std::chrono::steady_clock;

// httplib's accept loop hands each connection to its task queue; running the task at once
// makes it call our process_and_close_socket on the accept thread, which only registers it.
class InlineQueue : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

void peer_address(int fd, bool remote, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((remote ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len)) != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  }
  ip = text;
}

// The connection as httplib reads it: the collected header bytes first, then the socket, every
// wait bounded by one deadline for the rest of the exchange.
class PrefixedStream : public httplib::Stream {
 public:
  PrefixedStream(int fd, std::string head, Clock::time_point deadline)
      : fd_(fd), head_(std::move(head)), deadline_(deadline) {}

  bool is_readable() const override { return offset_ < head_.size() || wait(POLLIN); }
  bool is_writable() const override { return wait(POLLOUT); }

  ssize_t read(char* ptr, size_t size) override {
    if (offset_ < head_.size()) {
      const size_t n = std::min(size, head_.size() - offset_);
      head_.copy(ptr, n, offset_);
      offset_ += n;
      return static_cast<ssize_t>(n);
    }
    if (!wait(POLLIN)) return -1;
    ssize_t n;
    do n = recv(fd_, ptr, size, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    return n < 0 && errno == EAGAIN ? 0 : n;
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!wait(POLLOUT)) return -1;
    ssize_t n;
    do n = send(fd_, ptr, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    // A full socket buffer: httplib writes the rest again, and the next wait bounds it.
    return n < 0 && errno == EAGAIN ? 0 : n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    peer_address(fd_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    peer_address(fd_, false, ip, port);
  }
  int socket() const override { return fd_; }

 private:
  bool wait(short events) const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, events, 0};
    int r;
    do r = poll(&p, 1, static_cast<int>(left));
    while (r < 0 && errno == EINTR);
    return r > 0;
  }

  int fd_;
  std::string head_;
  size_t offset_ = 0;
  Clock::time_point deadline_;
};

bool headers_complete(const std::string& head) {
  return head.find("\r\n\r\n") != std::string::npos || head.find("\n\n") != std::string::npos;
}

}  // namespace

GuardedHttpServer::GuardedHttpServer(const HttpGuardLimits& limits)
    : limits_(limits),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      workers_(std::make_unique<httplib::ThreadPool>(limits.workers)) {
  new_task_queue = [] { return new InlineQueue; };
  collector_ = std::thread([this] { collect(); });
}

GuardedHttpServer::~GuardedHttpServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  collector_.join();
  workers_->shutdown();
  for (auto& p : incoming_) close(p.fd);
  if (wake_fd_ >= 0) close(wake_fd_);
}

size_t GuardedHttpServer::dropped_slow() const {
  std::lock_guard lock(mutex_);
  return dropped_slow_;
}

bool GuardedHttpServer::process_and_close_socket(int sock) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      close(sock);
      return false;
    }
    incoming_.push_back({sock, Clock::now() + limits_.deadline, {}});
  }
  wake();
  return true;
}

void GuardedHttpServer::wake() {
  const uint64_t one = 1;
  if (wake_fd_ >= 0 && ::write(wake_fd_, &one, sizeof one) < 0) {
    // Full counter: the collector is being woken anyway.
  }
}

void GuardedHttpServer::collect() {
  std::vector<Pending> pending;
  std::vector<pollfd> fds;
  char buf[4096];
  for (;;) {
    size_t evicted = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      for (auto& p : incoming_) pending.push_back(std::move(p));
      incoming_.clear();
      // No room: the oldest go first, which a trickling client's connections are.
      while (pending.size() > limits_.max_pending) {
        close(pending.front().fd);
        pending.erase(pending.begin());
        ++evicted;
      }
      dropped_slow_ += evicted;
    }
    fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
    auto now = Clock::now();
    long long timeout = -1;
    for (const auto& p : pending) {
      fds.push_back({p.fd, POLLIN, 0});
      const long long left =
          std::chrono::duration_cast<std::chrono::milliseconds>(p.deadline - now).count() + 1;
      timeout = timeout < 0 ? std::max(0LL, left) : std::min(timeout, std::max(0LL, left));
    }
    if (poll(fds.data(), fds.size(), static_cast<int>(timeout)) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      if (::read(wake_fd_, &count, sizeof count) < 0) {
        // EAGAIN: already drained.
      }
    }
    now = Clock::now();
    std::vector<Pending> still;
    size_t slow = 0;
    for (size_t i = 0; i < pending.size(); i++) {
      Pending& p = pending[i];
      bool keep = true;
      if (fds[i + 1].revents) {
        const ssize_t n = recv(p.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
          p.head.append(buf, static_cast<size_t>(n));
          if (headers_complete(p.head)) {
            workers_->enqueue([this, p]() mutable { answer(std::move(p)); });
            continue;
          }
          keep = p.head.size() <= limits_.max_header_bytes;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          keep = false;
        }
      }
      if (keep && now >= p.deadline) {
        keep = false;
        ++slow;
      }
      if (keep)
        still.push_back(std::move(p));
      else
        close(p.fd);
    }
    pending = std::move(still);
    if (slow) {
      std::lock_guard lock(mutex_);
      dropped_slow_ += slow;
    }
  }
  for (auto& p : pending) close(p.fd);
}

void GuardedHttpServer::answer(Pending p) {
  PrefixedStream stream(p.fd, std::move(p.head), Clock::now() + limits_.deadline);
  bool closed = false;
  process_request(stream, true, closed, [](httplib::Request&) {});
  ::shutdown(p.fd, SHUT_RDWR);
  close(p.fd);
}

}  // namespace podtrace::tracer
