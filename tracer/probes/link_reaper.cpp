// SPDX-License-Identifier: Apache-2.0
// link_reaper.cpp: owned links, and their parallel and background closing.
#include "probes/link_reaper.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

namespace podtrace::tracer {

OwnedLink OwnedLink::from_fd(int fd) {
  OwnedLink l;
  l.fd_ = fd;
  return l;
}

OwnedLink::OwnedLink(OwnedLink&& other) noexcept
    : link_(std::move(other.link_)), fd_(std::exchange(other.fd_, -1)) {}

OwnedLink& OwnedLink::operator=(OwnedLink&& other) noexcept {
  if (this != &other) {
    reset();
    link_ = std::move(other.link_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void OwnedLink::reset() {
  link_.reset();
  if (fd_ >= 0) close(std::exchange(fd_, -1));
}

void destroy_links_in_parallel(std::vector<OwnedLink> links) {
  const size_t workers = std::min<size_t>(links.size(), 32);
  if (workers <= 1) return;  // one link or none: closed as `links` goes out of scope
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w)
    threads.emplace_back([&links, w, workers] {
      for (size_t i = w; i < links.size(); i += workers) links[i].reset();
    });
  for (auto& t : threads) t.join();
}

LinkReaper::~LinkReaper() { wait(); }

void LinkReaper::wait() {
  for (auto& f : pending_) f.wait();
  pending_.clear();
}

void LinkReaper::retire(std::vector<OwnedLink> links) {
  if (links.empty()) return;
  std::erase_if(pending_, [](const std::future<void>& f) {
    return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  });
  pending_.push_back(std::async(std::launch::async, [links = std::move(links)]() mutable {
    destroy_links_in_parallel(std::move(links));
  }));
}

}  // namespace podtrace::tracer
