// SPDX-License-Identifier: Apache-2.0
// family_start.cpp: one thread per family's start.
#include "family_start.h"

#include <libelf.h>

#include <thread>

#include "families.h"
#include "kernel_features.h"
#include "malloc_setup.h"
#include "vmlinux_btf_share.h"

namespace podtrace::tracer {

std::vector<StartedFamily> start_families_at_once(const ProbeConfig& config,
                                                  const std::set<std::string>& disabled,
                                                  const std::string& core_btf) {
  // libelf's one-time initialisation is not thread-safe; families read ELF files as they start.
  (void)elf_version(EV_CURRENT);
  // Every family's object loads with the kernel's BTF read once, not once each.
  VmlinuxBtfShare share(core_btf);
  std::vector<StartedFamily> started;
  for (const auto& family : families()) {
    StartedFamily s;
    s.status = {std::string(family.name), false, "", ""};
    if (disabled.count(s.status.name))
      s.status.reason = "disabled by --disable";
    else
      s.probe = family.make();
    started.push_back(std::move(s));
  }
  std::vector<std::thread> threads;
  for (auto& s : started) {
    if (!s.probe) continue;
    threads.emplace_back([&s, &config] {
      if (auto attach = s.probe->start(config)) {
        s.status.enabled = true;
        s.status.attach = attach_type_name(*attach);
      } else {
        s.status.reason = attach.error();
        s.probe.reset();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& s : started)
    if (s.probe) s.probe->all_started();
  // The loads' buffers (libbpf's ELF and relocation work, the one BTF parse) were freed in the
  // threads' malloc arenas; the free pages stay resident unless given back (with a BTF parse
  // per object, 190 MB of RSS before this).
  settle_malloc_after_start();
  return started;
}

void stop_families_at_once(std::vector<std::unique_ptr<Probe>> probes) {
  std::vector<std::thread> threads;
  for (auto& p : probes) threads.emplace_back([&p] { p.reset(); });
  for (auto& t : threads) t.join();
}

}  // namespace podtrace::tracer
