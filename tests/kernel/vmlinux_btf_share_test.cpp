// SPDX-License-Identifier: Apache-2.0
// vmlinux_btf_share_test.cpp: libbpf's loads ask the tracer for the kernel's BTF
// (vmlinux_btf_share.h). While the families start, the file is read and parsed once for all of
// them, and libbpf's frees leave that parse alone; outside a start, libbpf's own functions
// answer, and every family still loads.
#include "vmlinux_btf_share.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
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

// Whether this kernel lets /sys/kernel/btf/vmlinux be mapped: Linux 6.16 and later. Asked of the
// release, not of the file, so that a mapping that stopped working fails the tests below.
bool kernel_btf_mappable() {
  utsname u{};
  int major = 0, minor = 0;
  if (uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 16);
}

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
  // Where the kernel lets the file be mapped, the one parse is of the mapping.
  EXPECT_EQ(after.mapped - before.mapped, kernel_btf_mappable() ? 1u : 0u);
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

// The parse of the mapping is libbpf's own parse of the file, byte for byte; where the kernel
// cannot map the file there is none, and the share falls back to libbpf's read.
TEST(VmlinuxBtfShareTest, TheMappedParseIsTheFileLibbpfReads) {
  using BtfPtr = std::unique_ptr<btf, decltype(&btf__free)>;
  const BtfPtr mapped(parse_mapped_vmlinux_btf(), btf__free);
  if (!kernel_btf_mappable()) {
    EXPECT_EQ(mapped, nullptr);
    return;
  }
  ASSERT_NE(mapped, nullptr);
  const BtfPtr read(btf__parse("/sys/kernel/btf/vmlinux", nullptr), btf__free);
  ASSERT_NE(read, nullptr);
  EXPECT_GT(btf__type_cnt(mapped.get()), 1000u);
  EXPECT_EQ(btf__type_cnt(mapped.get()), btf__type_cnt(read.get()));
  __u32 mapped_size = 0, read_size = 0;
  const void* mapped_data = btf__raw_data(mapped.get(), &mapped_size);
  const void* read_data = btf__raw_data(read.get(), &read_size);
  ASSERT_EQ(mapped_size, read_size);
  EXPECT_EQ(std::memcmp(mapped_data, read_data, read_size), 0);
  EXPECT_GT(btf__find_by_name_kind(mapped.get(), "task_struct", BTF_KIND_STRUCT), 0);
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
