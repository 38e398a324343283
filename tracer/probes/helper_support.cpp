// SPDX-License-Identifier: Apache-2.0
// helper_support.cpp: whether a program type may call a helper, from the verifier's answer to a
// two-instruction program; cached.
#include "probes/helper_support.h"

#include <linux/bpf.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <mutex>
#include <utility>

namespace podtrace::tracer {

namespace {

// libbpf_probe_bpf_helper() recognizes only "invalid func" and "unknown func" as a refusal and
// takes any other error for support. Linux 6.12 refuses e.g. bpf_get_current_comm in sockops
// with "program of this type cannot use helper", so the log is read here.
bool probe_helper(bpf_prog_type type, bpf_func_id helper) {
  const bpf_insn insns[] = {
      {.code = BPF_JMP | BPF_CALL, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = helper},
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = 0},
      {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
  };
  char log[4096] = {};
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 1, .log_size = sizeof(log), .log_buf = log);
  const int fd = bpf_prog_load(type, nullptr, "GPL", insns, 3, &opts);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  // Any other complaint (the arguments of this dummy call) means the call itself is allowed.
  return !std::strstr(log, "invalid func ") && !std::strstr(log, "unknown func ") &&
         !std::strstr(log, "cannot use helper");
}

}  // namespace

bool helper_available(bpf_prog_type type, bpf_func_id helper) {
  static std::mutex mutex;
  static std::map<std::pair<int, int>, bool> cache;
  std::lock_guard lock(mutex);
  auto [it, inserted] = cache.try_emplace({type, helper}, false);
  if (inserted) it->second = probe_helper(type, helper);
  return it->second;
}

CurrentHelpers current_helpers(bpf_prog_type type) {
  return {helper_available(type, BPF_FUNC_get_current_pid_tgid),
          helper_available(type, BPF_FUNC_get_current_comm)};
}

}  // namespace podtrace::tracer
