// SPDX-License-Identifier: Apache-2.0
// resident_pages_test.cpp: release_read_only_pages unmaps exactly the whole pages inside the
// range (per /proc/self/pagemap), and the data reads back the same afterwards;
// release_library_pages gives back a library's clean mappings only, and the library still works.
#include "resident_pages.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace podtrace::tracer {
namespace {

// Whether this process maps the page at `addr` now (pagemap's bit 63; readable without root).
bool resident(const void* addr) {
  const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) ADD_FAILURE() << "cannot open /proc/self/pagemap";
  uint64_t entry = 0;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const off_t at = static_cast<off_t>(reinterpret_cast<uintptr_t>(addr) / page * sizeof(entry));
  EXPECT_EQ(pread(fd, &entry, sizeof(entry), at), static_cast<ssize_t>(sizeof(entry)));
  close(fd);
  return (entry >> 63) & 1;
}

TEST(ResidentPagesTest, UnmapsTheWholePagesInsideAndTheDataReadsBackTheSame) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  constexpr size_t kPages = 16;
  std::vector<unsigned char> content(kPages * page);
  for (size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<unsigned char>(i * 7 + i / page);
  char path[] = "/tmp/pt-resident-pages.XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  auto* map = static_cast<const unsigned char*>(
      mmap(nullptr, content.size(), PROT_READ, MAP_PRIVATE, fd, 0));
  close(fd);
  unlink(path);
  ASSERT_NE(map, MAP_FAILED);

  const volatile unsigned char* touch = map;
  for (size_t p = 0; p < kPages; ++p) (void)touch[p * page];  // maps every page
  for (size_t p = 0; p < kPages; ++p) ASSERT_TRUE(resident(map + p * page)) << "page " << p;

  // From inside the first page to inside the last: pages 1..14 are whole.
  release_read_only_pages(map + 100, content.size() - 200);
  EXPECT_TRUE(resident(map));
  for (size_t p = 1; p < kPages - 1; ++p) EXPECT_FALSE(resident(map + p * page)) << "page " << p;
  EXPECT_TRUE(resident(map + (kPages - 1) * page));

  EXPECT_EQ(std::vector<unsigned char>(map, map + content.size()), content);
  EXPECT_TRUE(resident(map + 5 * page));  // read again: mapped again
  munmap(const_cast<unsigned char*>(map), content.size());
}

TEST(ResidentPagesTest, ARangeWithinOnePageUnmapsNothing) {
  static const char kText[] = "a constant of the binary, shorter than a page";
  const volatile char first = kText[0];  // maps its page
  (void)first;
  release_read_only_pages(kText, sizeof(kText));
  EXPECT_TRUE(resident(kText));
  EXPECT_EQ(std::string(kText), "a constant of the binary, shorter than a page");
}

// Two libcrypto mappings as the kernel prints them: its code (clean), its relocated RELRO data
// (read-only now, but written by the loader), then a writable one and another library's code.
constexpr std::string_view kSmaps =
    "7f0000000000-7f0000200000 r-xp 00100000 fe:01 1234                       "
    "/usr/lib/x86_64-linux-gnu/libcrypto.so.3\n"
    "Size:               2048 kB\n"
    "Rss:                1548 kB\n"
    "Private_Dirty:         0 kB\n"
    "Anonymous:             0 kB\n"
    "Swap:                  0 kB\n"
    "VmFlags: rd ex mr mw me sd\n"
    "7f0000200000-7f0000262000 r--p 00300000 fe:01 1234                       "
    "/usr/lib/x86_64-linux-gnu/libcrypto.so.3\n"
    "Rss:                 392 kB\n"
    "Private_Dirty:       392 kB\n"
    "Anonymous:           392 kB\n"
    "7f0000262000-7f0000265000 rw-p 00362000 fe:01 1234                       "
    "/usr/lib/x86_64-linux-gnu/libcrypto.so.3\n"
    "Rss:                  12 kB\n"
    "Private_Dirty:        12 kB\n"
    "7f0000300000-7f0000400000 r-xp 00020000 fe:01 99                         "
    "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30\n"
    "Rss:                 900 kB\n"
    "Private_Dirty:         0 kB\n"
    "7f0000500000-7f0000501000 r--p 00000000 00:00 0 \n"
    "Rss:                   4 kB\n"
    // Written in ways the first two lines do not show: anonymous pages alone, swapped pages
    // alone, and a mapping whose "Anonymous:" line is missing (no line, no release).
    "7f0000600000-7f0000601000 r--p 00000000 fe:01 1234 /usr/lib/x86_64-linux-gnu/libcrypto.so.3\n"
    "Rss:                   4 kB\n"
    "Private_Dirty:         0 kB\n"
    "Anonymous:             4 kB\n"
    "7f0000700000-7f0000701000 r--p 00000000 fe:01 1234 /usr/lib/x86_64-linux-gnu/libcrypto.so.3\n"
    "Rss:                   0 kB\n"
    "Private_Dirty:         0 kB\n"
    "Anonymous:             0 kB\n"
    "Swap:                  4 kB\n"
    "7f0000800000-7f0000801000 r-xp 00000000 fe:01 1234 /usr/lib/x86_64-linux-gnu/libcrypto.so.3\n"
    "Rss:                   4 kB\n"
    "Private_Dirty:         0 kB\n";

TEST(ResidentPagesTest, OnlyTheNamedLibrarysUnwrittenMappingsAreClean) {
  constexpr std::array<std::string_view, 1> kCrypto = {"libcrypto.so"};
  const auto clean = clean_library_mappings(kSmaps, kCrypto);
  ASSERT_EQ(clean.size(), 1u);
  EXPECT_EQ(clean[0].start, 0x7f0000000000u);
  EXPECT_EQ(clean[0].end, 0x7f0000200000u);
  EXPECT_EQ(clean[0].rss_bytes, 1548u * 1024);
  constexpr std::array<std::string_view, 1> kNone = {"libssl.so"};
  EXPECT_TRUE(clean_library_mappings(kSmaps, kNone).empty());
  EXPECT_TRUE(clean_library_mappings("not smaps\nat all", kCrypto).empty());
}

// The resident bytes of this process's mappings of `name`, summed, from /proc/self/smaps: clean
// (not writable, unwritten) and the rest.
struct LibraryRss {
  size_t clean = 0;
  size_t other = 0;
};
LibraryRss library_rss(std::string_view name) {
  std::ifstream in("/proc/self/smaps");
  std::stringstream text;
  text << in.rdbuf();
  const std::array<std::string_view, 1> names = {name};
  LibraryRss rss;
  for (const auto& m : clean_library_mappings(text.str(), names)) rss.clean += m.rss_bytes;
  // Every mapping of the library, clean or not: "Rss:" lines after its headers.
  std::istringstream lines(text.str());
  std::string line;
  bool in_library = false;
  size_t all = 0;
  while (std::getline(lines, line)) {
    if (line.find('-') < line.find(' ') && line.find(':') > line.find(' ')) {
      in_library = line.find(std::string("/") + std::string(name)) != std::string::npos;
    } else if (in_library && line.rfind("Rss:", 0) == 0) {
      all += std::stoull(line.substr(4)) * 1024;
    }
  }
  rss.other = all - rss.clean;
  return rss;
}

// The tracer links libcrypto only through cpp-httplib, whose load initialises OpenSSL. This
// binary does not link it: it loads and initialises the same library itself.
TEST(ResidentPagesTest, ALibrarysCleanPagesGoAndItStillWorks) {
  void* crypto = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(crypto, nullptr) << dlerror();
  using InitFn = int (*)(uint64_t, const void*);
  using VersionFn = const char* (*)(int);
  const auto init = reinterpret_cast<InitFn>(dlsym(crypto, "OPENSSL_init_crypto"));
  const auto version = reinterpret_cast<VersionFn>(dlsym(crypto, "OpenSSL_version"));
  ASSERT_NE(init, nullptr);
  ASSERT_NE(version, nullptr);
  ASSERT_EQ(init(0, nullptr), 1);
  const std::string before_text = version(0);
  const LibraryRss before = library_rss("libcrypto.so");
  ASSERT_GT(before.clean, 0u);
  ASSERT_GT(before.other, 0u);  // the relocated data: must stay

  constexpr std::array<std::string_view, 1> kCrypto = {"libcrypto.so"};
  const size_t released = release_library_pages(kCrypto);
  EXPECT_EQ(released, before.clean);
  const LibraryRss after = library_rss("libcrypto.so");
  EXPECT_LT(after.clean, before.clean / 4);  // only what the lines below map again
  EXPECT_EQ(after.other, before.other);
  // Its code and its relocated pointers still work: the call maps what it needs again.
  EXPECT_EQ(std::string(version(0)), before_text);
  EXPECT_EQ(init(0, nullptr), 1);
}

}  // namespace
}  // namespace podtrace::tracer
