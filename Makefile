# SPDX-License-Identifier: Apache-2.0
# Entry points for newcomers and CI. Every target installs its dependencies first.
BUILD ?= build
MESON_FLAGS ?= --werror

.PHONY: deps build test test-quarantine demo cluster cluster-down bench image release clean

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_FLAGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

test: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 1 --no-suite quarantine

# Tests taken out of CI until a known problem is understood (see tests/kernel/meson.build).
test-quarantine: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 1 --suite quarantine

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

clean:
	rm -rf $(BUILD)
