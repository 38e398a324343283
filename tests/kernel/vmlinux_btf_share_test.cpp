// SPDX-License-Identifier: Apache-2.0
// vmlinux_btf_share_test.cpp: libbpf's loads ask the tracer for the kernel's BTF
// (vmlinux_btf_share.h). While the families start, the file is read and parsed once for all of
// them, and libbpf's frees leave that parse alone; outside a start, libbpf's own functions
// answer, and every family still loads.
#include "vmlinux_btf_share.h"

#include <bpf/bpf.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>

#include "families.h"
#include "family_start.h"
#include "kernel_features.h"
#include "kernel_test_util.h"
#include "probe_config.h"
#include "probes/fileio_probe.h"

namespace podtrace::tracer::testing {
namespace {

TEST(VmlinuxBtfShareTest, FamiliesStartingTogetherReadTheKernelsBtfOnce) {
  LiveKernelFeatures features;
  features.probe_all();
  TestCgroup target("pt-btf-share");
  std::set<std::string> disabled;
  for (const auto& name : family_names())
    if (name != "fileio" && name != "cpu" && name != "process") disabled.insert(name);

  const VmlinuxBtfCounts before = vmlinux_btf_counts();
  auto started = start_families_at_once(probe_config(target, features), disabled);
  const VmlinuxBtfCounts after = vmlinux_btf_counts();
  int enabled = 0;
  for (const auto& s : started) {
    if (!disabled.count(s.status.name)) {
      EXPECT_TRUE(s.status.enabled) << s.status.reason;
    }
    enabled += s.status.enabled;
  }
  EXPECT_EQ(enabled, 3);
  // Each object's load asked (libbpf's own PLT call came here), one parse answered them all, and
  // each load handed it back to btf__free(), which left it to the share.
  EXPECT_GE(after.asked - before.asked, 3u);
  EXPECT_EQ(after.read - before.read, 1u);
  EXPECT_EQ(after.kept_from_free - before.kept_from_free, after.asked - before.asked);
  // The share freed its parse once the families had started.
  EXPECT_EQ(after.freed_by_share - before.freed_by_share, 1u);
  std::vector<std::unique_ptr<Probe>> probes;
  for (auto& s : started)
    if (s.probe) probes.push_back(std::move(s.probe));
  stop_families_at_once(std::move(probes));
}

TEST(VmlinuxBtfShareTest, OutsideAStartLibbpfReadsItAsBefore) {
  LiveKernelFeatures features;
  TestCgroup target("pt-btf-own");
  const VmlinuxBtfCounts before = vmlinux_btf_counts();
  FileioProbe probe;
  auto attach = probe.start(probe_config(target, features));
  ASSERT_TRUE(attach) << attach.error();
  const VmlinuxBtfCounts after = vmlinux_btf_counts();
  EXPECT_GE(after.asked - before.asked, 1u);
  EXPECT_EQ(after.read, before.read);
  EXPECT_EQ(after.kept_from_free, before.kept_from_free);
  EXPECT_EQ(after.freed_by_share, before.freed_by_share);
}

// libbpf 1.1 lists the modules' BTF when an object names a kfunc the kernel's BTF lacks (the
// task cast's weak kfunc before Linux 6.2): the tracer answers that there are none, so the load
// needs no CAP_SYS_ADMIN (which listing does) and parses no module's BTF. Here, as root, the
// kernel would list at least the kernel's own BTF.
TEST(VmlinuxBtfShareTest, LibbpfIsToldThereIsNoModuleBtf) {
  const VmlinuxBtfCounts before = vmlinux_btf_counts();
  __u32 next = 0;
  errno = 0;
  EXPECT_EQ(bpf_btf_get_next_id(0, &next), -ENOENT);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(vmlinux_btf_counts().module_lists_refused - before.module_lists_refused, 1u);
}

}  // namespace
}  // namespace podtrace::tracer::testing
