// SPDX-License-Identifier: Apache-2.0
// Remembers every Job this run created and deletes them on every way out (unless --keep).
#pragma once

#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "kube/rest_client.h"

namespace podtrace::plugin {

class JobCleanup {
 public:
  JobCleanup(kube::RestClient& client, std::ostream& err, bool keep)
      : client_(client), err_(err), keep_(keep) {}
  JobCleanup(const JobCleanup&) = delete;
  JobCleanup& operator=(const JobCleanup&) = delete;
  ~JobCleanup() { delete_all(); }

  // Register before the create request: if the answer is lost, the Job may still exist.
  void add(const std::string& ns, const std::string& name);

  // The create request failed: the Job most likely does not exist, so a failure to delete it
  // is not worth a warning (deletion is still attempted in case the answer was lost).
  void mark_uncertain(const std::string& name);

  // Deletes what is left; idempotent. Never throws.
  void delete_all();

 private:
  struct Entry {
    std::string ns;
    std::string name;
    bool done = false;
    bool uncertain = false;
  };
  kube::RestClient& client_;
  std::ostream& err_;
  bool keep_;
  std::mutex mutex_;
  std::vector<Entry> jobs_;
};

// DeleteOptions that let the garbage collector remove the Job's pods too.
nlohmann::json job_delete_options();

}  // namespace podtrace::plugin
