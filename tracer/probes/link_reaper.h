// SPDX-License-Identifier: Apache-2.0
// link_reaper.h: owning BPF links, and detaching many at once. Closing a uprobe link waits for
// an RCU tasks-trace grace period (~70 ms each on the CI kernel, serialized by the kernel's
// perf-event BPF mutex): one by one, the 18 per-function pthread probes of one process took 4 s.
// Links are closed from many threads together (what can overlap does), in the background while
// the trace goes on.
#pragma once

#include <future>
#include <vector>

#include "libbpf_util.h"

namespace podtrace::tracer {

// A BPF link owned as a libbpf bpf_link, or as a bare link fd (links libbpf 1.1 cannot make,
// such as uprobe_multi).
class OwnedLink {
 public:
  OwnedLink() = default;
  explicit OwnedLink(LinkPtr link) : link_(std::move(link)) {}
  static OwnedLink from_fd(int fd);
  OwnedLink(OwnedLink&& other) noexcept;
  OwnedLink& operator=(OwnedLink&& other) noexcept;
  OwnedLink(const OwnedLink&) = delete;
  OwnedLink& operator=(const OwnedLink&) = delete;
  ~OwnedLink() { reset(); }
  void reset();

 private:
  LinkPtr link_;
  int fd_ = -1;
};

// Closes every link, from up to 32 threads at once; returns when all are closed.
void destroy_links_in_parallel(std::vector<OwnedLink> links);

class LinkReaper {
 public:
  LinkReaper() = default;
  LinkReaper(const LinkReaper&) = delete;
  LinkReaper& operator=(const LinkReaper&) = delete;
  // Waits for the links still being closed.
  ~LinkReaper();
  // Closes the links in the background: the poll tick does not wait for it.
  void retire(std::vector<OwnedLink> links);
  // Waits for every link retired so far to be closed.
  void wait();

 private:
  std::vector<std::future<void>> pending_;
};

}  // namespace podtrace::tracer
