// SPDX-License-Identifier: Apache-2.0
// malloc_setup.h: glibc malloc settings for the tracer's start-up, where the BPF objects load
// from parallel threads (the kernel's BTF, 5 MB, parsed once for all of them since stop 24).
#pragma once

namespace podtrace::tracer {

// Execs the tracer again with glibc's malloc.hugetlb=1 tunable when transparent huge pages can
// be asked for and the tunable is not set yet (tunables are read only at exec); returns if it
// does not apply or the exec fails. Call first in main(), before any thread starts.
void exec_with_huge_page_malloc(char** argv);

// A fixed mmap threshold, so large start-up buffers are mappings returned at free: glibc's
// adaptive threshold moved them into the start-up threads' heaps, where they stayed resident
// (with a BTF parse per object, ~11 MB per thread, 180 MB of RSS; docs/performance.md).
void set_malloc_thresholds();

// Once every family has started: no more huge pages for this process (a 2 MB page of heap
// holds a few KiB of maps and strings for the rest of the run), and the start-up's freed
// memory goes back to the kernel.
void settle_malloc_after_start();

}  // namespace podtrace::tracer
