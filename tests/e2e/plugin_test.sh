#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kubectl podtrace through real kubectl against podtrace-cluster, with the real tracer:
# exact report content, documented errors, Ctrl-C cleanup, API connection drops.
# usage: plugin_test.sh CLUSTER_BIN WORKLOAD_BIN TRACER_BIN PLUGIN_BIN [IMAGES_DIR]
# With IMAGES_DIR the node is real: the harness runs every pod, the tracer's included, as a
# containerd container (--runtime cri) from the images of `make image`; the workload then
# sees its data directory as /data.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_require_root

# Absolute: pod commands run from the simulated kubelet, not from this directory.
cluster_bin=$(realpath "$1") workload_bin=$(realpath "$2") tracer_bin=$(realpath "$3") plugin_bin=$(realpath "$4")
plugin_dir=$(mktemp -d /tmp/podtrace-e2e-plugin.XXXXXX)
# kubectl finds plugins by name on PATH.
ln -s "$(cd "$(dirname "$plugin_bin")" && pwd)/$(basename "$plugin_bin")" "$plugin_dir/kubectl-podtrace"
export PATH=$plugin_dir:$PATH

images=${5:-}
if [ -n "$images" ]; then
	start_cluster "$cluster_bin" --nodes node-a,node-b --runtime cri \
		--images "$images/podtrace-tracer.oci.tar" "$images/podtrace-demo.oci.tar" "$images/podtrace-pause.oci.tar" \
		--image-alias docker.io/podtrace/podtrace-tracer:0.1.0=ghcr.io/podtrace/podtrace-tracer:0.1.0 \
		--dns-record kubernetes.default.svc.cluster.local,10.96.0.1
else
	start_cluster "$cluster_bin" --nodes node-a,node-b --tracer-bin "$tracer_bin"
fi
data=$E2E_WORK/data
mkdir -p "$data"
# Where the workload sees $data.
seen=$data
[ -n "$images" ] && seen=/data

# The workload's command and data volume: from the demo image with $data mounted at /data on the
# containerd node, the host binary and $data itself in process mode.
if [ -n "$images" ]; then
	image=docker.io/podtrace/podtrace-demo:0.1.0 workload=podtrace-demo-workload
	volumes="
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, hostPath: {path: $data}}]"
else
	image=podtrace/demo-workload:dev workload=$workload_bin volumes=
fi
pod_manifest() { # name node fsyncs trigger-file-name
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: e2e}
spec:
  restartPolicy: Never
  nodeName: $2
  containers:
  - name: app
    image: $image
    command: ["$workload", "run", "--file", "$seen/$1.wal", "--fsyncs", "$3", "--trigger", "$seen/$4"]$volumes
YAML
}
tracer_started() { kubectl logs -n e2e -l app.kubernetes.io/name=podtrace --tail=-1 2>/dev/null | grep -q '"type":"start"'; }
no_jobs() { [ -z "$(kubectl get jobs -A -o name)" ]; }

kubectl create namespace e2e >/dev/null
pod_manifest fsync node-a 200 go | kubectl create -f - >/dev/null
pod_manifest elsewhere node-b 0 never | kubectl create -f - >/dev/null
kubectl wait -n e2e --for=condition=Ready pod/fsync pod/elsewhere --timeout=60s >/dev/null

# 1. The report counts exactly the 200 fsyncs the workload did on its file.
timeout 120 kubectl podtrace fsync -n e2e --diagnose 15s -o json >"$E2E_WORK/report.json" 2>"$E2E_WORK/plugin.err" &
plugin=$!
wait_until 60 tracer_started || e2e_fail "tracer never started: $(cat "$E2E_WORK/plugin.err")"
touch "$data/go"
wait_until 30 sh -c "kubectl logs -n e2e fsync | grep -q 'fsyncs=200 path=$seen/fsync.wal'" || e2e_fail "workload did not report its fsyncs"
rc=0
wait "$plugin" || rc=$?
assert_eq "plugin exit code" 0 "$rc"
assert_eq "fsync count for the file" 200 "$(jq "[.fileio.files[] | select(.path == \"$seen/fsync.wal\" and .op == \"fsync\") | .count] | add" "$E2E_WORK/report.json")"
assert_eq "fsync op total" 200 "$(jq '[.fileio.ops[] | select(.op == "fsync") | .count] | add' "$E2E_WORK/report.json")"
assert_eq "end reason" duration "$(jq -r .end_reason "$E2E_WORK/report.json")"
wait_until 15 no_jobs || e2e_fail "job left after a normal run: $(kubectl get jobs -A)"
echo "ok: no job left"

# 2. Documented errors, each with exit code 1.
expect_error() { # name expected-substring args...
	local name=$1 want=$2
	shift 2
	local out rc=0
	out=$(timeout 90 kubectl podtrace "$@" 2>&1) || rc=$?
	assert_eq "$name: exit code" 1 "$rc"
	assert_contains "$name: message" "$want" "$out"
}
expect_error "wrong namespace" 'pod "fsync" not found in namespace "default"' fsync -n default --diagnose 5s
expect_error "missing pod" 'pod "nosuch" not found in namespace "e2e"' nosuch -n e2e --diagnose 5s
expect_error "forbidden user" 'forbidden' fsync -n e2e --diagnose 5s --context podtrace-restricted
kubectl delete node node-b >/dev/null
expect_error "node gone" 'cannot be scheduled' elsewhere -n e2e --diagnose 5s
wait_until 15 no_jobs || e2e_fail "job left after the node-gone error: $(kubectl get jobs -A)"
echo "ok: no job left after errors"

# 3. Ctrl-C while streaming: exit 130, the Job is deleted.
set -m
timeout 120 kubectl podtrace fsync -n e2e --diagnose 60s >"$E2E_WORK/int.out" 2>&1 &
plugin=$!
set +m
wait_until 60 tracer_started || e2e_fail "tracer never started for the Ctrl-C test"
kill -INT "$plugin"
rc=0
wait "$plugin" || rc=$?
assert_eq "exit code after Ctrl-C" 130 "$rc"
wait_until 15 no_jobs || e2e_fail "job left after Ctrl-C: $(kubectl get jobs -A)"
assert_eq "kubectl get jobs -A after Ctrl-C" "No resources found" "$(kubectl get jobs -A 2>&1)"

# 4. The API connection drops mid-stream: resumed or reported, never a hang.
timeout 90 kubectl podtrace fsync -n e2e --diagnose 10s -o json >"$E2E_WORK/drop.json" 2>"$E2E_WORK/drop.err" &
plugin=$!
wait_until 60 tracer_started || e2e_fail "tracer never started for the drop test"
sleep 1
dropped=$(admin_curl POST /harness/v1/faults/drop-log-streams | jq .dropped)
[ "$dropped" -ge 1 ] || e2e_fail "no stream was open to drop"
rc=0
wait "$plugin" || rc=$?
[ "$rc" != 124 ] || e2e_fail "kubectl podtrace hung after the connection drop"
if [ "$rc" = 0 ]; then
	assert_eq "report after reconnect" duration "$(jq -r .end_reason "$E2E_WORK/drop.json")"
else
	assert_eq "drop reported with exit 1" 1 "$rc"
fi
wait_until 15 no_jobs || e2e_fail "job left after the drop: $(kubectl get jobs -A)"
echo "ok: connection drop handled (exit $rc)"

# 5. --live: a top-like screen on a terminal (driven in tmux), plain lines elsewhere.
tmux_live() { tmux -L "ptlive-$$" "$@"; }
tmux_live new-session -d -x 110 -y 45 \
	"kubectl podtrace fsync -n e2e --live --diagnose 8s; echo LIVE-EXIT=\$?; sleep 60"
screen_has() { tmux_live capture-pane -p | grep -qF -- "$1"; }
wait_until 60 screen_has "FINDINGS SO FAR" || e2e_fail "no live screen: $(tmux_live capture-pane -p)"
# The workload's process in the time table (its name cut to the column).
wait_until 15 screen_has "podtrace-de…" || e2e_fail "no process row on the live screen: $(tmux_live capture-pane -p)"
screen=$(tmux_live capture-pane -p)
assert_contains "live header" "podtrace live · " "$screen"
assert_contains "live pod" "pod e2e/fsync" "$screen"
assert_contains "live time legend" "C on CPU · R waiting for a CPU · T throttled · F file I/O" "$screen"
assert_contains "live busiest rows" "BUSIEST" "$screen"
wait_until 60 screen_has "LIVE-EXIT=" || e2e_fail "the live run did not end: $(tmux_live capture-pane -p)"
screen=$(tmux_live capture-pane -p -S -200)
assert_contains "live exit code" "LIVE-EXIT=0" "$screen"
assert_contains "the report follows the live screen" "WHERE THE TIME WENT" "$screen"
tmux_live kill-server
timeout 60 kubectl podtrace fsync -n e2e --live --diagnose 4s >"$E2E_WORK/live.out" 2>/dev/null
lines=$(grep -c '^[0-9]*s e2e/fsync: ' "$E2E_WORK/live.out" || true)
[ "$lines" -ge 2 ] || e2e_fail "off a terminal, --live should print a line a second: $(cat "$E2E_WORK/live.out")"
case "$(cat "$E2E_WORK/live.out")" in *$'\x1b['*) e2e_fail "escape sequences off a terminal" ;; esac
wait_until 15 no_jobs || e2e_fail "job left after --live: $(kubectl get jobs -A)"
echo "ok: --live on a terminal and off it"

# 6. kubectl podtrace smoke (containerd node only: its canary runs from the tracer image).
if [ -n "$images" ]; then
	no_canary() { [ -z "$(kubectl get pods -A -l app.kubernetes.io/name=podtrace-canary -o name)" ]; }
	smoke() { # name expected-exit args...: runs the smoke check, -o json into $E2E_WORK/smoke-NAME.json
		local name=$1 want=$2 rc=0
		shift 2
		timeout 180 kubectl podtrace smoke -o json "$@" >"$E2E_WORK/smoke-$name.json" 2>"$E2E_WORK/smoke-$name.err" || rc=$?
		# On a surprise, say which check failed and what the plugin printed.
		[ "$rc" = "$want" ] || {
			jq -r '.checks[]? | select(.result != "pass") | "smoke \(.name): \(.result): \(.detail)"' "$E2E_WORK/smoke-$name.json" >&2 || true
			cat "$E2E_WORK/smoke-$name.err" >&2
		}
		assert_eq "smoke $name exit code" "$want" "$rc"
		wait_until 15 no_jobs || e2e_fail "smoke $name left a job: $(kubectl get jobs -A)"
		wait_until 15 no_canary || e2e_fail "smoke $name left its canary: $(kubectl get pods -A)"
	}
	check() { jq -r --arg n "$2" '.checks[] | select(.name == $n) | "\(.result): \(.detail)"' "$E2E_WORK/smoke-$1.json"; }

	smoke pass 0 -n e2e
	assert_eq "smoke passes" true "$(jq .passed "$E2E_WORK/smoke-pass.json")"
	assert_eq "smoke file counts" "pass: 20 writes (81920 bytes) and 20 fsyncs of /tmp/podtrace-canary.dat, as done" "$(check pass file-io)"
	assert_eq "smoke DNS counts" "pass: 3 getaddrinfo calls for kubernetes.default.svc.cluster.local., 3 A queries, 3 answers" "$(check pass dns)"
	assert_eq "smoke families" "pass: all $(jq '.diagnostics | length' "$E2E_WORK/smoke-pass.json") enabled" "$(check pass families)"
	assert_eq "smoke: every family reported" 11 "$(jq '.diagnostics | length' "$E2E_WORK/smoke-pass.json")"
	assert_eq "smoke kernel table" "$(uname -r)" "$(jq -r .kernel.release "$E2E_WORK/smoke-pass.json")"
	# The 11 attach types and the hash_on_demand, task_storage and task_cast rules
	# (tracer/kernel_features.h).
	assert_eq "smoke kernel table lists every attach type" 14 "$(jq '.kernel.features | length' "$E2E_WORK/smoke-pass.json")"
	assert_eq "smoke kernel table: hash maps on demand here" true \
		"$(jq '.kernel.features[] | select(.attach == "hash_on_demand") | .works' "$E2E_WORK/smoke-pass.json")"
	assert_eq "smoke kernel table: task storage here" true \
		"$(jq '.kernel.features[] | select(.attach == "task_storage") | .works' "$E2E_WORK/smoke-pass.json")"
	assert_eq "smoke kernel table: task reads through a cast here" true \
		"$(jq '.kernel.features[] | select(.attach == "task_cast") | .works' "$E2E_WORK/smoke-pass.json")"
	assert_eq "smoke checks, in order" "rbac pod-security canary tracer canary-workload file-io dns families kernel cleanup" \
		"$(jq -r '[.checks[].name] | join(" ")' "$E2E_WORK/smoke-pass.json")"
	echo "ok: smoke passes with exact counts"

	smoke rbac 1 -n e2e --context podtrace-restricted
	assert_eq "smoke without RBAC" "fail: not allowed: create jobs.batch in namespace e2e, delete jobs.batch in namespace e2e, get jobs.batch in namespace e2e, create pods in namespace e2e, delete pods in namespace e2e (manifests/rbac.yaml: bind podtrace-user, and podtrace-smoke for the canary)" "$(check rbac rbac)"
	assert_eq "nothing else ran" "rbac" "$(jq -r '[.checks[].name] | join(" ")' "$E2E_WORK/smoke-rbac.json")"

	smoke pull 1 -n e2e --image docker.io/podtrace/nosuch:1
	case "$(check pull canary)" in
	"fail: the tracer container canary cannot start (ErrImagePull): "*) ;;
	*) e2e_fail "smoke with a missing image: $(check pull canary)" ;;
	esac
	assert_eq "the canary was deleted" "pass" "$(check pull cleanup | cut -d: -f1)"

	kubectl create namespace e2e-baseline >/dev/null
	kubectl label namespace e2e-baseline pod-security.kubernetes.io/enforce=baseline >/dev/null
	smoke psa 1 -n e2e --job-namespace e2e-baseline
	assert_eq "smoke in a baseline namespace" 'fail: namespace e2e-baseline enforces Pod Security "baseline", which refuses the tracer'"'"'s privileged pod: use --job-namespace with a namespace labelled pod-security.kubernetes.io/enforce=privileged' "$(check psa pod-security)"
	echo "ok: smoke fails with the reason (RBAC, image pull, Pod Security) and cleans up"

	# A plain run whose Job lands in that namespace: the Job controller's FailedCreate event
	# names the reason within seconds, and the Job is deleted.
	rc=0
	start=$(date +%s)
	err=$(timeout 60 kubectl podtrace fsync -n e2e --job-namespace e2e-baseline --diagnose 5s 2>&1 >/dev/null) || rc=$?
	assert_eq "PodSecurity refusal exit code" 1 "$rc"
	[ $(($(date +%s) - start)) -lt 20 ] || e2e_fail "the PodSecurity refusal took $(($(date +%s) - start)) s"
	case "$err" in
	*'error: the Job controller cannot create the tracer pod: Error creating: pods "podtrace-'*'" is forbidden: violates PodSecurity "baseline:latest": '*'(use --job-namespace with a namespace labelled pod-security.kubernetes.io/enforce=privileged)'*) ;;
	*) e2e_fail "PodSecurity refusal message: $err" ;;
	esac
	wait_until 15 no_jobs || e2e_fail "job left after the PodSecurity refusal: $(kubectl get jobs -A)"
	echo "ok: a namespace that refuses privileged pods is named as the reason"
fi

stop_cluster
rm -rf "$plugin_dir"
echo PASS
