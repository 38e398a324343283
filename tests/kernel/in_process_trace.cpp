// SPDX-License-Identifier: Apache-2.0
// in_process_trace.cpp: run_session() on a FixedKernelFeatures, its JSON lines read from a pipe.
#include "in_process_trace.h"

#include <unistd.h>

#include <cstdio>
#include <thread>

#include "options.h"
#include "session.h"

namespace podtrace::tracer::testing {

nlohmann::json InProcessTrace::diagnostic(const std::string& family) const {
  if (lines.empty()) return nullptr;
  for (const auto& d : lines.front()["diagnostics"])
    if (d["name"] == family) return d;
  return nullptr;
}

InProcessTrace trace_with_only(AttachType type, const std::string& cgroup,
                               const std::set<std::string>& disabled,
                               const std::function<void()>& on_start) {
  FixedKernelFeatures features({{type, true}, {AttachType::kRingbuf, true}});
  SessionOptions options;
  options.target.cgroup = cgroup;
  options.disabled = disabled;
  InProcessTrace trace;
  int fds[2];
  if (pipe(fds) != 0) return trace;
  FILE* out = fdopen(fds[1], "w");
  std::thread session([&] {
    trace.exit_code = run_session(options, features, out);
    fclose(out);
  });
  FILE* in = fdopen(fds[0], "r");
  char* buf = nullptr;
  size_t cap = 0;
  while (getline(&buf, &cap, in) > 0) {
    trace.lines.push_back(nlohmann::json::parse(buf));
    if (trace.lines.back()["type"] == "start") on_start();
  }
  free(buf);
  fclose(in);
  session.join();
  return trace;
}

}  // namespace podtrace::tracer::testing
