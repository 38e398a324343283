// SPDX-License-Identifier: Apache-2.0
// kernel_main.cpp: kernel tests need root; they report "skipped" (77) only when not root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "kernel tests need root: skipped\n");
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
