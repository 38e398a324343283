# SPDX-License-Identifier: Apache-2.0
# Shared helpers of the end-to-end scripts: root check, harness start/stop, exact assertions.
# Sourced, not executed.

e2e_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Exit 77 (meson: skipped) only when not root; everything else must run.
e2e_require_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: needs root (cgroups, eBPF)" >&2
		exit 77
	fi
}

assert_eq() { # name expected actual
	if [ "$2" != "$3" ]; then
		printf 'FAIL: %s\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3" >&2
		exit 1
	fi
	echo "ok: $1"
}

assert_contains() { # name needle haystack
	case "$3" in
	*"$2"*) echo "ok: $1" ;;
	*) printf 'FAIL: %s\n  expected to contain: %q\n  actual: %q\n' "$1" "$2" "$3" >&2; exit 1 ;;
	esac
}

# Polls a command (given as arguments) until it succeeds or seconds pass.
wait_until() { # seconds cmd...
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# The cgroup v2 hierarchy: unified/ on hybrid hosts, /sys/fs/cgroup on pure v2 ones.
cgroup_v2_root() {
	if [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then echo /sys/fs/cgroup/unified; else echo /sys/fs/cgroup; fi
}

E2E_WORK=
E2E_CLUSTER_PID=
# Starts podtrace-cluster (args after the binary are passed on) in a fresh temp dir and
# exports KUBECONFIG. E2E_WORK is the temp dir, removed on exit.
start_cluster() { # cluster_bin args...
	local bin=$1
	shift
	E2E_WORK=$(mktemp -d /tmp/podtrace-e2e.XXXXXX)
	"$bin" --dir "$E2E_WORK/cluster" "$@" 2>"$E2E_WORK/cluster.log" &
	E2E_CLUSTER_PID=$!
	trap 'e2e_cleanup' EXIT
	wait_until 30 test -f "$E2E_WORK/cluster/ready" || e2e_fail "harness did not start: $(cat "$E2E_WORK/cluster.log")"
	export KUBECONFIG=$E2E_WORK/cluster/kubeconfig
	E2E_PORT=$(cat "$E2E_WORK/cluster/port")
}

# Stops the harness with SIGTERM and checks it exits 0 and leaves no kubepods cgroups of its own.
stop_cluster() {
	[ -n "$E2E_CLUSTER_PID" ] || return 0
	local uids
	uids=$(kubectl get pods -A -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' 2>/dev/null)
	kill -TERM "$E2E_CLUSTER_PID"
	local rc=0
	wait "$E2E_CLUSTER_PID" || rc=$?
	E2E_CLUSTER_PID=
	assert_eq "harness exits 0 on SIGTERM" 0 "$rc"
	local uid
	for uid in $uids; do
		# systemd driver (process kubelet): *pod<uid with _>.slice; cgroupfs (CRI): pod<uid>.
		if find /sys/fs/cgroup/unified /sys/fs/cgroup/cpu /sys/fs/cgroup/memory /sys/fs/cgroup -maxdepth 6 \
			\( -name "*pod${uid//-/_}.slice" -o -name "pod${uid}" \) 2>/dev/null | grep -q .; then
			e2e_fail "cgroups of pod uid $uid left behind"
		fi
	done
	echo "ok: no pod cgroups left"
}

e2e_cleanup() {
	local rc=$?
	if [ -n "$E2E_CLUSTER_PID" ]; then
		kill -TERM "$E2E_CLUSTER_PID" 2>/dev/null || true
		wait "$E2E_CLUSTER_PID" 2>/dev/null || true
	fi
	if [ "$rc" != 0 ] && [ -f "$E2E_WORK/cluster.log" ]; then
		echo "--- harness log" >&2
		tail -20 "$E2E_WORK/cluster.log" >&2
	fi
	[ -n "$E2E_WORK" ] && rm -rf "$E2E_WORK"
	exit "$rc"
}

# curl as the admin client certificate (for the harness's fault endpoints).
admin_curl() { # method path
	curl -sS --cacert "$E2E_WORK/cluster/ca.crt" --cert "$E2E_WORK/cluster/admin.crt" \
		--key "$E2E_WORK/cluster/admin.key" -X "$1" -d "" "https://127.0.0.1:$E2E_PORT$2"
}
