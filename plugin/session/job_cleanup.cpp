// SPDX-License-Identifier: Apache-2.0
// Job deletion with Background propagation: the Job goes at once, its pod follows (the tracer
// gets SIGTERM and still writes its report).
#include "session/job_cleanup.h"

#include <fmt/format.h>

#include "kube/api_paths.h"

namespace podtrace::plugin {

nlohmann::json job_delete_options() {
  return {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
}

void JobCleanup::add(const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  jobs_.push_back({ns, name, false});
}

void JobCleanup::mark_uncertain(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& job : jobs_)
    if (job.name == name) job.uncertain = true;
}

void JobCleanup::delete_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& job : jobs_) {
    if (job.done) continue;
    job.done = true;
    try {
      if (keep_ && !job.uncertain) {
        err_ << fmt::format(
            "kept job {} in namespace {} (--keep); delete it with: kubectl delete job -n {} {}\n",
            job.name, job.ns, job.ns, job.name);
        continue;
      }
      auto res = client_.del(kube::job_path(job.ns, job.name) + "?propagationPolicy=Background",
                             job_delete_options(), {"delete", "jobs", "batch", job.ns, job.name});
      if (res)
        err_ << "deleted job " << job.name << "\n";
      else if (!job.uncertain && res.error().find("not found") == std::string::npos)
        err_ << fmt::format(
            "warning: could not delete job {} in namespace {}: {}\n  delete it with: "
            "kubectl delete job -n {} {}\n",
            job.name, job.ns, res.error(), job.ns, job.name);
    } catch (const std::exception& e) {
      err_ << "warning: could not delete job " << job.name << ": " << e.what() << "\n";
    }
  }
  err_.flush();
}

}  // namespace podtrace::plugin
