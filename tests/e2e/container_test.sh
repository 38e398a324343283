#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The tracer as users run it: from its own OCI image (make image), as a privileged container
# under a containerd of its own, with the host's PID namespace and /host/sys and /host/proc
# mounted as manifests/job.yaml does. It must count exactly what a workload in a host cgroup
# did: 200 fsyncs on a known path, by the workload's host pid, and see the pod's network
# families (cgroup_skb, sockops) through /host/sys.
# Usage: container_test.sh IMAGES_DIR WORKLOAD_BIN
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_require_root

images=$1
workload=$2
work=$(mktemp -d /tmp/podtrace-ctr.XXXXXX)
sock=$work/containerd.sock
ctr_() { ctr -a "$sock" -n podtrace-test "$@"; }
v2=$(cgroup_v2_root)
target=$v2/podtrace-ctr-target-$$
workload_pid=
containerd_pid=

cleanup() {
	[ -n "$workload_pid" ] && kill "$workload_pid" 2>/dev/null || true
	if [ -n "$containerd_pid" ]; then
		ctr_ tasks kill -s SIGKILL tracer 2>/dev/null || true
		ctr_ tasks rm -f tracer 2>/dev/null || true
		ctr_ containers rm tracer 2>/dev/null || true
		kill "$containerd_pid" 2>/dev/null || true
		wait "$containerd_pid" 2>/dev/null || true
	fi
	# Snapshots are overlay mounts under the private root; none may stay behind.
	grep -o "$work[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	[ -d "$target" ] && rmdir "$target" 2>/dev/null || true
	# The tracer container's cgroup, in every hierarchy (v2 and the v1 controllers).
	find /sys/fs/cgroup -maxdepth 3 -type d -name "podtrace-ctr-$$" 2>/dev/null |
		while read -r d; do find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

# A containerd of our own: its own root, state, socket; nothing shared with the machine's.
cat > "$work/config.toml" <<TOML
version = 2
root = "$work/root"
state = "$work/state"
[grpc]
  address = "$sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable_cgroup = false
TOML
containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
containerd_pid=$!
wait_until 20 ctr_ version || e2e_fail "containerd did not start: $(tail -5 "$work/containerd.log")"

ctr_ images import "$images/podtrace-tracer.oci.tar" >/dev/null
image=$(ctr_ images ls -q | grep podtrace-tracer)
assert_eq "image digest as built" "$(cat "$images/podtrace-tracer.digest")" \
	"$(ctr_ images ls | awk -v i="$image" '$1 == i {print $3}')"

# The workload: in its own cgroup on the host, waiting for a trigger file.
mkdir "$target"
mkdir "$work/data"
"$workload" run --file "$work/data/ctr.wal" --fsyncs 200 --trigger "$work/go" >"$work/workload.out" 2>&1 &
workload_pid=$!
echo "$workload_pid" > "$target/cgroup.procs"

# hostPID: the namespace of this script, which is the host's for the tracer (PID 1 of this
# machine may be out of reach).
ctr_ run --rm --privileged --with-ns "pid:/proc/$$/ns/pid" --cgroup "/podtrace-ctr-$$/tracer" \
	--mount "type=bind,src=/sys,dst=/host/sys,options=rbind:ro" \
	--mount "type=bind,src=/proc,dst=/host/proc,options=rbind:ro" \
	"$image" tracer /usr/bin/podtrace-tracer --output jsonl \
	--cgroup-root /host/sys/fs/cgroup --proc-root /host/proc \
	--cgroup "/host${target}" --duration 60s >"$work/trace.jsonl" 2>"$work/trace.err" &
tracer_pid=$!
wait_until 60 grep -q '"type":"start"' "$work/trace.jsonl" ||
	e2e_fail "tracer did not start: $(cat "$work/trace.err")"
touch "$work/go"
wait_until 30 grep -q "fsyncs=200" "$work/workload.out" || e2e_fail "workload: $(cat "$work/workload.out")"
kill "$workload_pid"
wait "$workload_pid" 2>/dev/null || true
pid=$workload_pid
workload_pid=
wait "$tracer_pid" || e2e_fail "tracer exited non-zero: $(cat "$work/trace.err")"

report=$(grep '"type":"report"' "$work/trace.jsonl")
assert_eq "end reason" target_exited "$(jq -r .end_reason <<<"$report")"
assert_eq "fsyncs on the workload's file, by its host pid" 200 \
	"$(jq "[.fileio.files[] | select(.path == \"$work/data/ctr.wal\" and .op == \"fsync\" and .pid == $pid) | .count] | add" <<<"$report")"
assert_eq "fsync op total" 200 "$(jq '[.fileio.ops[] | select(.op == "fsync") | .count] | add' <<<"$report")"
for family in fileio cpu process tcp dns udp; do
	assert_eq "$family enabled in the container" true \
		"$(jq --arg f "$family" '.diagnostics[] | select(.name == $f) | .enabled' <<<"$report")"
done
wait_until 10 sh -c "! ctr -a $sock -n podtrace-test containers ls -q | grep -q tracer" ||
	e2e_fail "the tracer container was not removed"
assert_eq "no cgroup left by the tracer container" "" \
	"$(find /sys/fs/cgroup -maxdepth 3 -type d -name tracer -path "*podtrace-ctr-$$*" 2>/dev/null)"
echo "PASS"
