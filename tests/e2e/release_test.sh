#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The release as krew installs it: scripts/release builds the archive and a manifest; this
# checks the archive against the manifest's sha256, unpacks it into a krew-style store with the
# manifest's `files` rules, links its `bin` into a bin directory on PATH, and runs
# `kubectl podtrace --version` through the real kubectl, with no library path set, so the
# bundled libraries must be found through the binary's own RUNPATH. The committed
# krew/podtrace.yaml must carry a real URL and hash, no placeholder.
# Usage: release_test.sh BUILD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/podtrace-release.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$src/scripts/release" "$build" "$work/dist" "$work/podtrace.yaml" >/dev/null

# The manifest's amd64 platform, as krew reads it.
read -r uri sha bin < <(/usr/bin/python3 - "$work/podtrace.yaml" <<'PY'
import sys, yaml
m = yaml.safe_load(open(sys.argv[1]))
assert m["kind"] == "Plugin" and m["metadata"]["name"] == "podtrace"
p = [p for p in m["spec"]["platforms"] if p["selector"]["matchLabels"] == {"os": "linux", "arch": "amd64"}][0]
print(p["uri"], p["sha256"], p["bin"])
PY
)
archive="$work/dist/$(basename "$uri")"
assert_eq "archive sha256 matches the manifest" "$sha" "$(sha256sum "$archive" | cut -d' ' -f1)"
assert_contains "release URL pattern" "https://github.com/podtrace/podtrace/releases/download/v" "$uri"

# krew: extract, then move each `files` entry's matches into the install directory.
version=$(/usr/bin/python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["spec"]["version"])' "$work/podtrace.yaml")
store="$work/krew/store/podtrace/$version"
mkdir -p "$work/extract" "$store" "$work/krew/bin"
tar -xzf "$archive" -C "$work/extract"
/usr/bin/python3 - "$work/podtrace.yaml" "$work/extract" "$store" <<'PY'
import glob, os, shutil, sys, yaml
m = yaml.safe_load(open(sys.argv[1]))
p = [p for p in m["spec"]["platforms"] if p["selector"]["matchLabels"]["arch"] == "amd64"][0]
for f in p["files"]:
    matches = glob.glob(os.path.join(sys.argv[2], f["from"]))
    assert matches, f"files: {f['from']} matches nothing in the archive"
    for src in matches:
        dest = os.path.join(sys.argv[3], f["to"], os.path.basename(src))
        shutil.move(src, dest)
PY
ln -s "$store/$bin" "$work/krew/bin/kubectl-podtrace"

out=$(env -u LD_LIBRARY_PATH PATH="$work/krew/bin:/usr/bin:/bin" kubectl podtrace --version 2>&1)
assert_eq "kubectl podtrace --version through kubectl" "kubectl-podtrace $(sed -n "s/^  version : '\(.*\)',/\1/p" "$src/meson.build")" "$out"
assert_contains "kubectl plugin list finds it" "$work/krew/bin/kubectl-podtrace" \
	"$(env PATH="$work/krew/bin:/usr/bin:/bin" kubectl plugin list 2>&1)"
# Run through krew's symlink, the loader resolves $ORIGIN to the store: the bundled copies load.
assert_contains "bundled cpp-httplib is the one loaded" "calling init: $store/lib/libcpp-httplib.so" \
	"$(env LD_DEBUG=libs PATH="$work/krew/bin:/usr/bin:/bin" kubectl podtrace --version 2>&1)"

# The archive pins the tracer image it was built with, by digest; the plugin reads it.
assert_eq "pinned tracer image" "ghcr.io/podtrace/podtrace-tracer:${version#v}@$(cat "$build/images/podtrace-tracer.digest")" \
	"$(cat "$store/tracer-image")"

# The committed manifest: a real archive URL and a 64-hex sha256, never a placeholder.
committed="$src/krew/podtrace.yaml"
/usr/bin/python3 - "$committed" <<'PY' || e2e_fail "krew/podtrace.yaml is not a release manifest"
import re, sys, yaml
m = yaml.safe_load(open(sys.argv[1]))
for p in m["spec"]["platforms"]:
    assert re.fullmatch(r"[0-9a-f]{64}", p["sha256"]) and p["sha256"] != "0" * 64, p["sha256"]
    assert p["uri"].startswith("https://github.com/podtrace/podtrace/releases/download/" + m["spec"]["version"] + "/"), p["uri"]
PY
echo "ok: committed krew manifest has real URLs and hashes"
echo "PASS"
