# SPDX-License-Identifier: Apache-2.0
# Entry points for newcomers and CI. Every target installs its dependencies first.
BUILD ?= build
# Line tables only (-g1): backtraces and sanitizer reports keep file:line, and the build takes
# about half the time of full debug info (-g), which CI's 45 minutes need (docs/performance.md,
# CI time). Set when the build directory is first configured: an older one keeps its flags.
MESON_FLAGS ?= --werror -Dcpp_args=-g1 -Dc_args=-g1

.PHONY: deps build test test-kernels test-quarantine fuzz fuzz-smoke test-asan lint test-interrupts test-floods test-accuracy demo cluster cluster-down bench image release clean

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_FLAGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

test: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 1 --no-suite quarantine

# The kernel matrix: the kernel tests on Debian's 6.1 and 6.12 (qemu) and on this host, once per
# rung configuration (--no-attach); writes docs/compatibility.md. Slow under TCG (tests/vm/matrix).
test-kernels: build
	BUILD=$(BUILD) tests/vm/matrix

# Tests taken out of CI until a known problem is understood (see tests/kernel/meson.build).
test-quarantine: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 1 --suite quarantine

# Fuzzing (tests/fuzz, docs/reliability.md): each libFuzzer target for FUZZ_SECONDS in its own
# clang build (build-fuzz). fuzz-smoke is CI's short pass. Every build's `unit` suite also
# replays the committed corpora.
FUZZ_SECONDS ?= 60
fuzz: deps
	scripts/fuzz $(FUZZ_SECONDS)

fuzz-smoke: deps
	scripts/fuzz 10

# The unit and plugin suites under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan).
test-asan: deps
	scripts/test-asan

# clang-tidy (.clang-tidy) and cppcheck (.cppcheck-suppressions) over tracer/, plugin/, report/.
lint: build
	scripts/lint $(BUILD)

# The accuracy scenarios (a known fault must be the first finding, its figure within 10%) five
# times each; writes the hit rate into docs/accuracy.md. CI runs each once in the kernel suite.
test-accuracy: build
	scripts/accuracy-run $(BUILD) 5

demo: build
	ninja -C $(BUILD) images
	scripts/demo $(BUILD)

# The local cluster in the background (containerd node, demo pod); prints the KUBECONFIG.
cluster: build
	ninja -C $(BUILD) images
	scripts/cluster up $(BUILD)

cluster-down:
	scripts/cluster down $(BUILD)

# OCI archives of the tracer, demo and pause images under $(BUILD)/images, digests printed.
image: build
	ninja -C $(BUILD) images

# The krew archive under $(BUILD)/release, and krew/podtrace.yaml with its URL and sha256.
release: build
	ninja -C $(BUILD) images
	scripts/release $(BUILD)

bench: build
	bench/run $(BUILD)

# 100 interrupted runs against the local cluster (CI runs 10 in e2e-interrupts); counts in
# $(BUILD)/interrupts.txt, recorded in docs/reliability.md.
test-interrupts: build
	INTERRUPT_SUMMARY=$(BUILD)/interrupts.txt tests/e2e/interrupt_test.sh $(BUILD)/tests/cluster/podtrace-cluster \
		$(BUILD)/tests/cluster/podtrace-demo-workload $(BUILD)/tracer/podtrace-tracer $(BUILD)/plugin/kubectl-podtrace 100

# The 60 s flood of a million target events a second (CI floods for 5 s in the kernel suite).
test-floods: build
	PODTRACE_FLOOD_SECONDS=60 PODTRACE_TRACER=$(BUILD)/tracer/podtrace-tracer \
		$(BUILD)/tests/kernel/kernel-tests --gtest_filter='ReliabilityTest.AMillion*'
	# Both flooders failing: every target event goes through the ring buffer (consumption).
	PODTRACE_FLOOD_SECONDS=20 PODTRACE_FLOOD_ERRORS_ONLY=1 \
		PODTRACE_TRACER=$(BUILD)/tracer/podtrace-tracer \
		$(BUILD)/tests/kernel/kernel-tests --gtest_filter='ReliabilityTest.AMillion*'

clean:
	rm -rf $(BUILD)
