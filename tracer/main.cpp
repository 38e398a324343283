// SPDX-License-Identifier: Apache-2.0
// main.cpp: podtrace-tracer entry point: parse flags, check privileges, run.
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "feature_cache.h"
#include "kernel_features.h"
#include "malloc_setup.h"
#include "options.h"
#include "privileges.h"
#include "session.h"

namespace {

bool g_verbose = false;

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  if (!g_verbose || level == LIBBPF_DEBUG) return 0;
  return vfprintf(stderr, format, args);
}

// Classic tracepoints need tracefs; node images do not always mount it. Best effort: a failure
// only means the tracepoint attach type is reported unavailable.
void ensure_tracefs() {
  if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
      access("/sys/kernel/debug/tracing/events", F_OK) == 0)
    return;
  mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  podtrace::tracer::exec_with_huge_page_malloc(argv);
  podtrace::tracer::set_malloc_thresholds();
  try {
    auto parsed = podtrace::tracer::parse_options(argc, argv);
    if (!parsed.options) return parsed.exit_code;
    const auto& options = *parsed.options;
    g_verbose = options.verbose;
    libbpf_set_print(libbpf_print);
    if (auto ok = podtrace::tracer::check_privileges(); !ok) {
      std::fprintf(stderr, "podtrace-tracer: %s\n", ok.error().c_str());
      return 1;
    }
    ensure_tracefs();
    podtrace::tracer::LiveKernelFeatures live{podtrace::tracer::CgroupFs(options.roots)};
    // All at once (every family and the report ask for them), or this boot's answers from the
    // cache; --check always probes.
    const auto cache_key = podtrace::tracer::current_feature_cache_key(options.roots);
    podtrace::tracer::probe_features_cached(live, podtrace::tracer::feature_cache_path(), cache_key,
                                            options.check);
    podtrace::tracer::MaskedKernelFeatures features{live, options.no_attach};
    if (options.check) return podtrace::tracer::run_check(features, options.syscall_hooks, stdout);
    return podtrace::tracer::run_session(options, features, stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "podtrace-tracer: fatal: %s\n", e.what());
    return 1;
  }
}
