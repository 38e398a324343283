// SPDX-License-Identifier: Apache-2.0
// resident_pages_test.cpp: release_read_only_pages unmaps exactly the whole pages inside the
// range (per /proc/self/pagemap), and the data reads back the same afterwards.
#include "resident_pages.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
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

}  // namespace
}  // namespace podtrace::tracer
