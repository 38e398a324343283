// SPDX-License-Identifier: Apache-2.0
// profile_aggregate_test.cpp: the CPU profile's pure parts without root: self and inclusive
// shares, folded stacks and their bounds, /proc/PID/maps and kallsyms parsing, the file offset
// to ELF address translation, and symbol lookups in this very (PIE) test binary and its libc.
#include "probes/profile_aggregate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "kernel_features.h"
#include "probes/profile_elf.h"
#include "probes/profile_kallsyms.h"
#include "probes/profile_maps.h"
#include "probes/profile_probe.h"
#include "probes/profile_symbolizer.h"

// Targets for the symbol lookups: real functions of this binary, kept out of line.
extern "C" __attribute__((noinline, used)) int pt_profile_marker(int x) {
  asm volatile("" ::: "memory");
  return x * 3 + 1;
}

namespace pt_profile_test {
__attribute__((noinline, used)) int cxx_marker(int x) {
  asm volatile("" ::: "memory");
  return x * 5 + 2;
}
}  // namespace pt_profile_test

namespace podtrace::tracer {
namespace {

ProfileFrame user(std::string name, std::string module = "app") {
  return {std::move(name), std::move(module), false};
}
ProfileFrame kern(std::string name) { return {std::move(name), "kernel", true}; }

const ProfileFunction* function(const ProfileProcess& p, const std::string& name) {
  for (const auto& f : p.functions)
    if (f.name == name) return &f;
  return nullptr;
}

TEST(ProfileAggregate, SelfAndInclusiveSharesPerProcess) {
  // pid 7: 60 samples in hot (via main;work), 30 in cold (via main), 10 in the kernel's
  // vfs_read under main;work;read. pid 8: 5 samples of its own.
  std::vector<ProfileStack> stacks = {
      {7, "web", 60, {user("hot"), user("work"), user("main")}, {}, 3, false},
      {7, "web", 30, {user("cold"), user("main")}, {}, 2, false},
      {7,
       "web",
       10,
       {user("read", "libc.so.6"), user("work"), user("main")},
       {kern("clear_user"), kern("vfs_read")},
       3,
       false},
      {8, "sidecar", 5, {user("loop", "sidecar")}, {}, 1, false},
  };
  ProfileTotals totals;
  totals.frequency_hz = 99;
  totals.samples = 107;  // 2 samples no map entry held
  totals.user_lost = {1, 2, 3, 4};
  const ProfileReport r = aggregate_profile(stacks, totals);

  EXPECT_EQ(r.frequency_hz, 99u);
  EXPECT_EQ(r.samples, 107u);
  EXPECT_EQ(r.user_stacks_lost, (StackLoss{1, 2, 3, 4}));
  ASSERT_EQ(r.processes.size(), 2u);
  const ProfileProcess& web = r.processes[0];
  EXPECT_EQ(web.pid, 7u);
  EXPECT_EQ(web.comm, "web");
  EXPECT_EQ(web.samples, 100u);
  // The 30 samples with a 2-frame user stack, and the sidecar's 5 with 1 frame.
  EXPECT_EQ(web.short_user_stacks, 30u);
  EXPECT_EQ(r.processes[1].short_user_stacks, 5u);
  EXPECT_EQ(r.short_user_stacks, 35u);

  ASSERT_EQ(web.functions[0].name, "hot");
  EXPECT_EQ(web.functions[0].self_samples, 60u);
  EXPECT_EQ(web.functions[0].self_share, 0.6);
  EXPECT_EQ(web.functions[0].total_share, 0.6);
  EXPECT_EQ(web.functions[1].name, "cold");
  EXPECT_EQ(web.functions[1].self_share, 0.3);
  EXPECT_EQ(web.functions[2].name, "clear_user");  // the kernel leaf holds the kernel samples
  EXPECT_TRUE(web.functions[2].kernel);
  EXPECT_EQ(web.functions[2].self_samples, 10u);
  const auto* main = function(web, "main");
  ASSERT_TRUE(main);
  EXPECT_EQ(main->self_samples, 0u);
  EXPECT_EQ(main->total_samples, 100u);
  EXPECT_EQ(main->total_share, 1.0);
  const auto* work = function(web, "work");
  ASSERT_TRUE(work);
  EXPECT_EQ(work->total_samples, 70u);
  const auto* vfs_read = function(web, "vfs_read");
  ASSERT_TRUE(vfs_read);
  EXPECT_EQ(vfs_read->module, "kernel");
  EXPECT_EQ(vfs_read->total_share, 0.1);

  // Root first, kernel frames last and marked; most samples first.
  ASSERT_EQ(r.folded.size(), 4u);
  EXPECT_EQ(r.folded[0], "web;main;work;hot 60");
  EXPECT_EQ(r.folded[1], "web;main;cold 30");
  EXPECT_EQ(r.folded[2], "web;main;work;read;vfs_read_[k];clear_user_[k] 10");
  EXPECT_EQ(r.folded[3], "sidecar;loop 5");
  EXPECT_EQ(r.folded_dropped_stacks, 0u);
}

TEST(ProfileAggregate, RecursionCountsOnceInclusive) {
  std::vector<ProfileStack> stacks = {
      {1, "r", 10, {user("fib"), user("fib"), user("fib"), user("main")}, {}, 4, false}};
  const ProfileReport r = aggregate_profile(stacks, {});
  const auto* fib = function(r.processes[0], "fib");
  ASSERT_TRUE(fib);
  EXPECT_EQ(fib->self_samples, 10u);
  EXPECT_EQ(fib->total_samples, 10u);  // not 30
  EXPECT_EQ(fib->total_share, 1.0);
  EXPECT_EQ(r.folded[0], "r;main;fib;fib;fib 10");
}

TEST(ProfileAggregate, ShortStacksThatReachTheEntryPointAreWhole) {
  // A libc leaf without a frame pointer hides its caller, but the walk reached the entry point:
  // a shallow program, not one built without frame pointers.
  EXPECT_FALSE(cut_short(
      {1, "a", 1, {user("read", "libc.so.6"), user("__libc_start_call_main")}, {}, 2, false}));
  EXPECT_FALSE(cut_short({1, "a", 1, {user("start_thread")}, {}, 1, false}));
  // The unwinder stopped at a garbage frame pointer.
  EXPECT_TRUE(cut_short({1, "a", 1, {user("hot"), user("[unknown]", "")}, {}, 2, false}));
  EXPECT_TRUE(cut_short({1, "a", 1, {user("hot")}, {}, 1, false}));
  // Three frames, or a stack the kernel could not collect: not this rule's business.
  EXPECT_FALSE(cut_short({1, "a", 1, {user("a"), user("b"), user("c")}, {}, 3, false}));
  EXPECT_FALSE(cut_short({1, "a", 1, {user("[user stack lost]", "")}, {}, 0, false}));
}

TEST(ProfileAggregate, MergesEqualFoldedStacksAndBoundsTheRest) {
  std::vector<ProfileStack> stacks;
  // Two processes with the same name and stack fold into one line.
  stacks.push_back({1, "w", 50, {user("f")}, {}, 1, false});
  stacks.push_back({2, "w", 40, {user("f")}, {}, 1, false});
  for (uint32_t i = 0; i < 5; ++i)
    stacks.push_back({3, "x", 1 + i, {user("g" + std::to_string(i))}, {}, 1, false});
  ProfileLimits limits;
  limits.folded = 3;
  limits.processes = 2;
  const ProfileReport r = aggregate_profile(stacks, {}, limits);
  ASSERT_EQ(r.folded.size(), 3u);
  EXPECT_EQ(r.folded[0], "w;f 90");
  EXPECT_EQ(r.folded[1], "x;g4 5");
  EXPECT_EQ(r.folded[2], "x;g3 4");
  EXPECT_EQ(r.folded_dropped_stacks, 3u);
  EXPECT_EQ(r.folded_dropped_samples, 3u + 2u + 1u);
  ASSERT_EQ(r.processes.size(), 2u);
  EXPECT_EQ(r.processes_dropped, 1u);
  EXPECT_EQ(r.processes[0].pid, 1u);
  EXPECT_EQ(r.samples, 105u);  // counted from the rows when the kernel total is lower
}

// The probe keeps exited processes' stacks in a bounded ProfileTables and starts each report
// from a copy: past the bound the lightest processes and lines are dropped, counted as dropped,
// and the sample total and the folded lines' sum stay exact.
TEST(ProfileAggregate, BoundedTablesOfExitedProcessesKeepExactTotals) {
  ProfileTables exited;
  const uint32_t n = 300;
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    // Process i: i + 1 samples in its own function, so each folded line is its own.
    exited.add({100 + i, "sh", i + 1, {user("f" + std::to_string(i))}, {}, 1, false});
    total += i + 1;
    exited.bound(64, 100);
  }
  ProfileTables tables = exited;
  tables.add({7, "app", 1000, {user("main")}, {}, 1, false});
  const ProfileReport r = std::move(tables).report({});
  ASSERT_EQ(r.processes.size(), 20u);
  EXPECT_EQ(r.processes[0].pid, 7u);
  EXPECT_EQ(r.processes[1].pid, 100 + n - 1);
  EXPECT_EQ(r.processes[1].samples, n);
  EXPECT_EQ(r.processes.size() + r.processes_dropped, n + 1);
  EXPECT_EQ(r.samples, total + 1000);
  uint64_t lines = 0;
  for (const auto& line : r.folded) lines += std::stoull(line.substr(line.rfind(' ') + 1));
  EXPECT_EQ(lines + r.folded_dropped_samples, total + 1000);
  EXPECT_EQ(r.folded.size() + r.folded_dropped_stacks, n + 1);
}

TEST(ProfileAggregate, FoldedFramesCannotBreakTheFormat) {
  ProfileStack s{1, "my app", 1, {user("a;b\nc")}, {}, 1, false};
  EXPECT_EQ(folded_stack(s), "my_app;a_b_c");
  s.comm.clear();
  EXPECT_EQ(folded_stack(s), "pid-1;a_b_c");
}

TEST(ProfileAggregate, ExitedProcessesAreCountedAsUnresolved) {
  std::vector<ProfileStack> stacks = {
      {4, "gone", 12, {user("[unknown]", "")}, {}, 5, true},
      {5, "here", 3, {user("f")}, {}, 5, false},
  };
  EXPECT_EQ(aggregate_profile(stacks, {}).samples_without_maps, 12u);
}

TEST(ProfileAggregate, FindingNamesTheHotFunctionAndShortStacks) {
  std::vector<ProfileStack> stacks = {
      {7, "web", 80, {user("hot")}, {}, 1, false},
      {7, "web", 20, {user("cold"), user("main"), user("_start")}, {}, 3, false},
  };
  ProfileTotals totals;
  totals.frequency_hz = 99;
  const ProfileReport r = aggregate_profile(stacks, totals);
  std::vector<Finding> findings;
  diagnose_section(r, {}, findings);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].severity, "warning");
  EXPECT_EQ(findings[0].title, "hot holds 80.0% of the CPU of web (pid 7)");
  EXPECT_EQ(findings[1].title, "web (pid 7): stacks cut short");
  EXPECT_EQ(findings[1].detail,
            "80 of 100 samples (80.0%) had a user stack of ≤ 2 frames: build with "
            "-fno-omit-frame-pointer");
  // Too few samples to mean anything: no finding.
  stacks = {{7, "web", 10, {user("hot")}, {}, 1, false}};
  findings.clear();
  diagnose_section(aggregate_profile(stacks, totals), {}, findings);
  EXPECT_TRUE(findings.empty());
}

TEST(ProfileMaps, ParsesExecutableMappings) {
  const std::string maps =
      "55d0c4a00000-55d0c4a02000 r--p 00000000 fd:01 1311 /usr/bin/app\n"
      "55d0c4a02000-55d0c4a09000 r-xp 00002000 fd:01 1311 /usr/bin/app\n"
      "7f1e2c028000-7f1e2c1bd000 r-xp 00028000 103:02 77 /usr/lib/libc.so.6\n"
      "7f1e2c400000-7f1e2c401000 r-xp 00000000 00:00 0 \n"
      "7f1e2c500000-7f1e2c501000 r-xp 00001000 08:01 99 /tmp/my lib.so (deleted)\n"
      "7ffd3a9f4000-7ffd3a9f6000 r-xp 00000000 00:00 0                          [vdso]\n"
      "garbage line\n";
  const auto m = parse_executable_mappings(maps);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].start, 0x55d0c4a02000u);
  EXPECT_EQ(m[0].end, 0x55d0c4a09000u);
  EXPECT_EQ(m[0].offset, 0x2000u);
  EXPECT_EQ(m[0].dev, makedev(0xfd, 1));
  EXPECT_EQ(m[0].inode, 1311u);
  EXPECT_EQ(m[0].path, "/usr/bin/app");
  EXPECT_TRUE(m[0].file_backed());
  EXPECT_EQ(m[1].dev, makedev(0x103, 2));
  EXPECT_FALSE(m[2].file_backed());  // anonymous executable memory (a JIT)
  EXPECT_EQ(m[3].path, "/tmp/my lib.so");
  EXPECT_TRUE(m[3].deleted);
  EXPECT_EQ(m[4].path, "[vdso]");
  EXPECT_FALSE(m[4].file_backed());
  EXPECT_EQ(find_mapping(m, 0x55d0c4a02000), &m[0]);
  EXPECT_EQ(find_mapping(m, 0x55d0c4a08fff), &m[0]);
  EXPECT_EQ(find_mapping(m, 0x55d0c4a09000), nullptr);
  EXPECT_EQ(find_mapping(m, 0x1000), nullptr);
}

TEST(ProfileMaps, TranslatesFileOffsetsToElfAddresses) {
  // A PIE's text segment: file offset 0x1000 at vaddr 0x1000, mapped at a random base.
  const std::vector<LoadSegment> pie = {
      {0x0, 0x0, 0x7a0}, {0x1000, 0x1000, 0x1345}, {0x3df0, 0x2df0, 0x220}};
  ProcMapping text;
  text.start = 0x55d0c4a01000;
  text.end = 0x55d0c4a04000;
  text.offset = 0x1000;
  EXPECT_EQ(elf_address(text, pie, 0x55d0c4a01234), 0x1234u);
  // A segment whose vaddr is not its offset (data after a gap): offset - p_offset + p_vaddr.
  ProcMapping data = text;
  data.start = 0x55d0c4a05000;
  data.end = 0x55d0c4a06000;
  data.offset = 0x2000;
  EXPECT_EQ(elf_address(data, pie, 0x55d0c4a05df8), 0x3df8u);
  // A fixed-address executable: vaddr 0x401000 at file offset 0x1000, mapped where it says.
  const std::vector<LoadSegment> exec = {{0x400000, 0x0, 0x500}, {0x401000, 0x1000, 0x800}};
  ProcMapping fixed;
  fixed.start = 0x401000;
  fixed.end = 0x402000;
  fixed.offset = 0x1000;
  EXPECT_EQ(elf_address(fixed, exec, 0x401010), 0x401010u);
  // Past every segment's file bytes, or outside the mapping: no address.
  EXPECT_EQ(elf_address(fixed, exec, 0x401900), std::nullopt);
  EXPECT_EQ(elf_address(fixed, exec, 0x402000), std::nullopt);
}

TEST(ProfileKallsyms, ResolvesTextSymbolsAndModules) {
  const auto k = KernelSymbols::parse(
      "ffffffff81000000 T _stext\n"
      "ffffffff81234560 T vfs_read\n"
      "ffffffff81234700 t rw_verify_area\n"
      "ffffffff82000000 D some_data\n"
      "ffffffffc0a01000 t nft_do_chain\t[nf_tables]\n");
  EXPECT_EQ(k.status(), "");
  EXPECT_EQ(k.function_at(0xffffffff81234561).name, "vfs_read");
  EXPECT_EQ(k.function_at(0xffffffff81234561).module, "");
  EXPECT_EQ(k.function_at(0xffffffff81234700).name, "rw_verify_area");
  EXPECT_EQ(k.function_at(0xffffffffc0a01010).name, "nft_do_chain");
  EXPECT_EQ(k.function_at(0xffffffffc0a01010).module, "nf_tables");
  EXPECT_EQ(k.function_at(0x1000).name, "");
}

// The names are kept compressed in blocks: every symbol of several blocks, listed out of address
// order as kallsyms lists modules, keeps its own name and module.
TEST(ProfileKallsyms, NamesEverySymbolAcrossCompressedBlocks) {
  std::string text;
  constexpr int kSymbols = 1000;
  for (int i = kSymbols - 1; i >= 0; --i) {
    text +=
        fmt::format("{:016x} {} fn_{}", 0xffffffff81000000ull + 0x100ull * i, i % 2 ? 't' : 'T', i);
    if (i < 300) text += fmt::format("\t[mod_{}]", i / 100);
    text += "\n";
    if (i % 7 == 0) text += fmt::format("{:016x} D data_{}\n", 0xffffffff82000000ull + i, i);
  }
  const auto k = KernelSymbols::parse(text);
  ASSERT_EQ(k.size(), static_cast<size_t>(kSymbols));
  for (int i = 0; i < kSymbols; ++i) {
    const auto f = k.function_at(0xffffffff81000000ull + 0x100ull * i + 0x10);
    EXPECT_EQ(f.name, fmt::format("fn_{}", i));
    EXPECT_EQ(f.module, i < 300 ? fmt::format("mod_{}", i / 100) : "");
  }
}

TEST(ProfileKallsyms, SaysWhenAddressesAreHidden) {
  const auto k = KernelSymbols::parse(
      "0000000000000000 T _stext\n"
      "0000000000000000 T vfs_read\n");
  EXPECT_EQ(k.size(), 0u);
  EXPECT_EQ(k.status(),
            "kallsyms addresses read as 0 (kernel.kptr_restrict, or no CAP_SYSLOG): kernel "
            "frames are unresolved");
  EXPECT_EQ(k.function_at(0xffffffff81234561).name, "");
  EXPECT_NE(KernelSymbols::load("/nonexistent/kallsyms").status().find("cannot read"),
            std::string::npos);
}

TEST(ProfileCpuList, ParsesTheOnlineCpuFormat) {
  EXPECT_EQ(parse_cpu_list("0-3,6,8-9\n"), (std::vector<int>{0, 1, 2, 3, 6, 8, 9}));
  EXPECT_EQ(parse_cpu_list("0"), (std::vector<int>{0}));
  EXPECT_EQ(parse_cpu_list(""), std::nullopt);
  EXPECT_EQ(parse_cpu_list("3-1"), std::nullopt);
  EXPECT_EQ(parse_cpu_list("a"), std::nullopt);
}

// This test binary is a PIE (Debian's default): its functions run at a random base, and only
// the PT_LOAD translation maps them back to the addresses its symbol table holds.
TEST(ProfileSymbols, ResolvesThisPieBinarysOwnFunctions) {
  std::ifstream in("/proc/self/maps");
  std::stringstream text;
  text << in.rdbuf();
  const auto maps = parse_executable_mappings(text.str());
  const uint64_t addr = reinterpret_cast<uint64_t>(&pt_profile_marker) + 2;
  const ProcMapping* m = find_mapping(maps, addr);
  ASSERT_TRUE(m) << "no executable mapping holds pt_profile_marker";
  auto elf = ElfSymbols::open("/proc/self/exe", "/", "self");
  ASSERT_TRUE(elf) << elf.error();
  ASSERT_TRUE((*elf)->position_independent()) << "build the test binary as a PIE";
  EXPECT_FALSE((*elf)->build_id().empty());
  const auto elf_addr = elf_address(*m, (*elf)->segments(), addr);
  ASSERT_TRUE(elf_addr);
  EXPECT_NE(*elf_addr, addr);  // the load base is not 0: the translation did something
  EXPECT_EQ((*elf)->function_at(*elf_addr), "pt_profile_marker");
  // The run-time address itself names something else or nothing.
  EXPECT_NE((*elf)->function_at(addr), "pt_profile_marker");
}

TEST(ProfileSymbols, SymbolizerResolvesThisProcessAndItsLibc) {
  UserSymbolizer symbols("/proc");
  const uint32_t pid = static_cast<uint32_t>(getpid());
  ASSERT_TRUE(symbols.snapshot(pid));
  const auto own = symbols.resolve(pid, reinterpret_cast<uint64_t>(&pt_profile_marker) + 1);
  EXPECT_EQ(own.name, "pt_profile_marker");
  EXPECT_EQ(own.module, "tracer-unit-tests");
  const auto cxx = symbols.resolve(pid, reinterpret_cast<uint64_t>(&pt_profile_test::cxx_marker));
  EXPECT_EQ(cxx.name, "pt_profile_test::cxx_marker(int)");  // demangled
  // A shared library, mapped at its own random base.
  const auto libc = symbols.resolve(pid, reinterpret_cast<uint64_t>(&getppid) + 1);
  EXPECT_EQ(libc.module, "libc.so.6");
  EXPECT_TRUE(libc.name == "getppid" || libc.name == "__getppid") << libc.name;
  // Memory that maps no file: a placeholder, never a wrong name.
  EXPECT_EQ(symbols.resolve(pid, 0x10).name, "[unknown]");
  EXPECT_TRUE(symbols.open_errors().empty());
}

TEST(ProfileSymbols, ABinaryMappedByManyProcessesIsReadOnce) {
  // A child of this process maps the same executable and libraries.
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  const pid_t child = fork();
  if (child == 0) {
    char c;
    close(go[1]);
    (void)!read(go[0], &c, 1);
    _exit(0);
  }
  close(go[0]);
  UserSymbolizer symbols("/proc");
  ASSERT_TRUE(symbols.snapshot(static_cast<uint32_t>(getpid())));
  const size_t read_for_one = symbols.binaries_read();
  EXPECT_GE(read_for_one, 2u);  // at least the test binary and libc
  ASSERT_TRUE(symbols.snapshot(static_cast<uint32_t>(child)));
  EXPECT_EQ(symbols.binaries_read(), read_for_one);
  // And the child's frames resolve through the binaries read for the parent.
  EXPECT_EQ(
      symbols.resolve(static_cast<uint32_t>(child), reinterpret_cast<uint64_t>(&pt_profile_marker))
          .name,
      "pt_profile_marker");
  close(go[1]);
  waitpid(child, nullptr, 0);
}

TEST(ProfileSymbols, DemanglesOnlyCxxNames) {
  EXPECT_EQ(demangle("_ZN3foo3barEv"), "foo::bar()");
  EXPECT_EQ(demangle("burn_three_quarters"), "burn_three_quarters");
  EXPECT_EQ(demangle("_Znot a name"), "_Znot a name");
  EXPECT_EQ(demangle(nullptr), "");
}

TEST(ProfileProbe, FailsAloneWithItsReasonWithoutPerfEvents) {
  FixedKernelFeatures none({});
  ProbeConfig config;
  config.features = &none;
  ProfileProbe probe;
  auto r = probe.start(config);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "perf_event: disabled by test");
  EXPECT_EQ(probe.perf_events(), 0u);
}

}  // namespace
}  // namespace podtrace::tracer
