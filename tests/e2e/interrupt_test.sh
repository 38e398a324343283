#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interrupted runs: RUNS runs of kubectl podtrace against the local cluster, each interrupted at
# a random point (while the Job is being created, while its pod starts, mid-stream) in a random
# way (SIGINT, SIGTERM or SIGKILL of the plugin, SIGKILL of the tracer, a dropped API
# connection). After each run there must be 0 Jobs, 0 tracer pods and processes, none of the
# BPF programs and links the tracer held, and no new cgroups, mounts or qdiscs.
# A SIGKILLed plugin deletes nothing: its Job must end at activeDeadlineSeconds and go
# ttlSecondsAfterFinished later. The harness's Job controller clock is moved forward over both
# (POST /harness/v1/clock/advance) instead of waiting the 6 minutes.
# usage: interrupt_test.sh CLUSTER_BIN WORKLOAD_BIN TRACER_BIN PLUGIN_BIN RUNS [SEED]
# INTERRUPT_SUMMARY=FILE also writes the counts there (make test-interrupts).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_require_root

cluster_bin=$(realpath "$1") workload_bin=$(realpath "$2") tracer_bin=$(realpath "$3") plugin_bin=$(realpath "$4")
runs=$5
RANDOM=${6:-$$}
echo "seed ${6:-$$}"
plugin_dir=$(mktemp -d /tmp/podtrace-e2e-interrupt.XXXXXX)
ln -s "$plugin_bin" "$plugin_dir/kubectl-podtrace"
export PATH=$plugin_dir:$PATH

start_cluster "$cluster_bin" --nodes node-a --tracer-bin "$tracer_bin"
kubectl create namespace e2e >/dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: target, namespace: e2e}
spec:
  restartPolicy: Never
  nodeName: node-a
  containers:
  - name: app
    image: podtrace/demo-workload:dev
    command: ["$workload_bin", "run", "--file", "$E2E_WORK/target.wal", "--fsyncs", "0", "--trigger", "$E2E_WORK/never"]
YAML
kubectl wait -n e2e --for=condition=Ready pod/target --timeout=60s >/dev/null

# podtrace-tracer processes of this harness: it is a subreaper, so orphans stay below it.
our_tracers() {
	local pid p
	for pid in $(pgrep -x podtrace-tracer || true); do
		p=$pid
		while [ "$p" -gt 1 ]; do
			if [ "$p" = "$E2E_CLUSTER_PID" ]; then
				echo "$pid"
				break
			fi
			p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null || echo 1)
		done
	done
}
# The BPF program and link ids our tracers hold now, as "prog:ID" and "link:ID" lines.
held_bpf_ids() {
	local pid
	for pid in $(our_tracers); do
		grep -hs -e '^prog_id:' -e '^link_id:' "/proc/$pid/fdinfo/"* 2>/dev/null |
			sed -e 's/^prog_id:[[:space:]]*/prog:/' -e 's/^link_id:[[:space:]]*/link:/'
	done
}
live_bpf_ids() {
	bpftool prog show -j | jq -r '.[] | "prog:\(.id)"'
	bpftool link show -j | jq -r '.[] | "link:\(.id)"'
}
job_count() { kubectl get jobs -A -o name | wc -l; }
tracer_pod_count() { kubectl get pods -A -l app.kubernetes.io/name=podtrace -o name | wc -l; }
# Mounts the tracer could leave (tracefs) or that name this run's directory.
our_mounts() { grep -c -e ' tracefs ' -e "$E2E_WORK" /proc/mounts || true; }
# The tracer adds no qdisc; an ingress/clsact one on the host would be a leak of a tc program.
tc_qdiscs() { tc -j qdisc show | jq '[.[] | select(.kind == "clsact" or .kind == "ingress")] | length'; }
probe_cgroups() { find "$(cgroup_v2_root)" -maxdepth 1 -name 'podtrace-probe-*' | wc -l; }
has_our_tracer() { [ -n "$(our_tracers)" ]; }
nothing_running() { [ "$(job_count)" = 0 ] && [ "$(tracer_pod_count)" = 0 ] && [ -z "$(our_tracers)" ]; }
clock_offset=0
advance_clock() {
	admin_curl POST "/harness/v1/clock/advance?seconds=$1" >/dev/null
	clock_offset=$((clock_offset + $1))
}
job_field() { kubectl get jobs -A -o json | jq -r ".items[0].spec.$1 // empty"; }
job_finished() { kubectl get jobs -A -o json | jq -e '[.items[0].status.conditions[]? | select(.status == "True" and (.type == "Failed" or .type == "Complete"))] | length > 0' >/dev/null; }

base_mounts=$(our_mounts) base_qdiscs=$(tc_qdiscs) base_probe=$(probe_cgroups)
methods=(SIGINT SIGTERM SIGKILL tracer-kill api-drop)
points=(create start stream)
declare -A tally
ids_seen=0 pod_uids_seen=0 deadline_ends=0 ttl_deletes=0 exit_codes=""

for run in $(seq 1 "$runs"); do
	# Every way in turn, each at a random point.
	method=${methods[(run - 1) % ${#methods[@]}]}
	point=${points[RANDOM % ${#points[@]}]}
	out=$E2E_WORK/run-$run
	# A drop at "create" hits one of the plugin's first requests (pod lookup, access review,
	# Job create): the count decides which.
	[ "$method:$point" = api-drop:create ] && admin_curl POST "/harness/v1/faults/drop-responses?agent=kubectl-podtrace&count=$((1 + RANDOM % 4))" >/dev/null
	kubectl podtrace target -n e2e --diagnose 6s -o json >"$out.json" 2>"$out.err" &
	plugin=$!
	ids=$E2E_WORK/ids-$run
	: >"$ids"
	uids=$E2E_WORK/uids-$run
	: >"$uids"
	# Remembers what this run's tracer holds and its pod's uid, until the plugin is gone.
	(
		while kill -0 "$plugin" 2>/dev/null || ! nothing_running; do
			held_bpf_ids >>"$ids"
			kubectl get pods -A -l app.kubernetes.io/name=podtrace -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' >>"$uids" 2>/dev/null || true
			sleep 0.2
		done
	) &
	watcher=$!
	case $point in
	create) sleep "0.$((RANDOM % 6))" ;;
	start) wait_until 60 sh -c '[ "$(kubectl get jobs -A -o name | wc -l)" != 0 ]' || true ;;
	stream)
		wait_until 60 sh -c "kubectl logs -n e2e -l app.kubernetes.io/name=podtrace --tail=-1 2>/dev/null | grep -q '\"type\":\"start\"'" || true
		sleep "$((RANDOM % 3)).$((RANDOM % 10))"
		;;
	esac
	case $method in
	SIGINT | SIGTERM | SIGKILL) kill -s "$method" "$plugin" 2>/dev/null || true ;;
	tracer-kill)
		wait_until 60 has_our_tracer || true
		for pid in $(our_tracers); do kill -KILL "$pid" 2>/dev/null || true; done
		;;
	api-drop)
		if [ "$point" != create ]; then
			admin_curl POST "/harness/v1/faults/drop-responses?agent=kubectl-podtrace&count=1" >/dev/null
			admin_curl POST /harness/v1/faults/drop-log-streams >/dev/null
		fi
		;;
	esac
	# Never a hang: every way out ends the plugin within the run's 6 s plus the stop grace.
	rc=0
	for _ in $(seq 600); do kill -0 "$plugin" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$plugin" 2>/dev/null && e2e_fail "run $run ($method at $point): the plugin hangs: $(cat "$out.err")"
	wait "$plugin" || rc=$?
	exit_codes+=" $rc"
	case $method in
	SIGINT | SIGTERM) [[ $rc =~ ^(0|130|143)$ ]] || e2e_fail "run $run ($method at $point): exit $rc: $(cat "$out.err")" ;;
	SIGKILL) [ "$rc" = 137 ] || [ "$rc" = 0 ] || e2e_fail "run $run: SIGKILL but exit $rc" ;;
	*) [[ $rc =~ ^(0|1)$ ]] || e2e_fail "run $run ($method at $point): exit $rc: $(cat "$out.err")" ;;
	esac
	if [ "$rc" = 137 ]; then
		# A create request in flight when the plugin died still lands.
		sleep 1
		if [ "$(job_count)" != 0 ]; then
			deadline=$(job_field activeDeadlineSeconds) ttl=$(job_field ttlSecondsAfterFinished)
			[ -n "$deadline" ] && [ -n "$ttl" ] || e2e_fail "run $run: the orphaned Job has no deadline ($deadline) or TTL ($ttl)"
			assert_eq "run $run: the orphaned Job's TTL" 300 "$ttl" >/dev/null
			if ! job_finished; then
				# Two seconds short of its deadline (from status.startTime, whole seconds, by the
				# controller's clock) the Job still runs; past it, it fails.
				start=$(date -d "$(kubectl get jobs -A -o json | jq -r '.items[0].status.startTime')" +%s)
				advance_clock $((start + deadline - $(date +%s) - clock_offset - 2))
				sleep 0.3
				job_finished && [ "$(kubectl get jobs -A -o json | jq -r '.items[0].status.conditions[]? | select(.type == "Failed") | .reason')" = DeadlineExceeded ] &&
					e2e_fail "run $run: the Job failed before its deadline"
				advance_clock 3
				wait_until 10 job_finished || e2e_fail "run $run: the Job outlived its activeDeadlineSeconds ($deadline)"
			fi
			reason=$(kubectl get jobs -A -o json | jq -r '.items[0].status.conditions[]? | select(.type == "Failed" or .type == "Complete") | .reason')
			if [ "$reason" = DeadlineExceeded ]; then
				deadline_ends=$((deadline_ends + 1))
				# The pod is deleted (the tracer gets SIGTERM and detaches); the Job stays until its TTL.
				wait_until 30 sh -c '[ "$(kubectl get pods -A -l app.kubernetes.io/name=podtrace -o name | wc -l)" = 0 ]' ||
					e2e_fail "run $run: the tracer pod outlived its Job's deadline"
			else
				# The tracer ended its --diagnose run before the deadline came: the Job completed and,
				# as in Kubernetes, keeps its finished pod until the TTL deletes both. It must not run.
				wait_until 30 sh -c '[ "$(kubectl get pods -A -l app.kubernetes.io/name=podtrace -o json |
					jq "[.items[] | select(.status.phase == \"Running\" or .status.phase == \"Pending\")] | length")" = 0 ]' ||
					e2e_fail "run $run: the tracer pod of a completed Job ($reason) still runs"
			fi
			[ "$(job_count)" = 1 ] || e2e_fail "run $run: the Job went before its TTL"
			advance_clock $((ttl + 1))
			wait_until 10 sh -c '[ "$(kubectl get jobs -A -o name | wc -l)" = 0 ]' || e2e_fail "run $run: the Job outlived its TTL"
			ttl_deletes=$((ttl_deletes + 1))
		fi
	fi
	wait_until 30 nothing_running ||
		e2e_fail "run $run ($method at $point, exit $rc): left $(job_count) jobs, $(tracer_pod_count) tracer pods, tracers: $(our_tracers); $(cat "$out.err")"
	wait "$watcher" || true
	# Every BPF program and link the tracer held is gone from the kernel. The programs in a prog
	# array (fileio's tail-call handlers) go a moment after the process: the kernel clears the
	# array from a workqueue once its last user is gone. The plugin now returns at the report,
	# while the tracer may still be detaching, so this can be that moment; a leak stays.
	sort -u "$ids" >"$ids.u"
	still_held() { comm -12 "$ids.u" <(live_bpf_ids | sort -u); }
	for _ in $(seq 100); do [ -z "$(still_held)" ] && break; sleep 0.1; done
	leaked=$(still_held | tr '\n' ' ')
	[ -z "$leaked" ] || e2e_fail "run $run ($method at $point): BPF objects left after 10 s: $leaked"
	ids_seen=$((ids_seen + $(wc -l <"$ids.u")))
	for uid in $(sort -u "$uids"); do
		pod_uids_seen=$((pod_uids_seen + 1))
		if find "$(cgroup_v2_root)" /sys/fs/cgroup/cpu /sys/fs/cgroup/memory -maxdepth 6 -name "*pod${uid//-/_}.slice" 2>/dev/null | grep -q .; then
			e2e_fail "run $run ($method at $point): the tracer pod's cgroup is left"
		fi
	done
	[ "$(our_mounts)" = "$base_mounts" ] || e2e_fail "run $run: mounts changed: $(grep -e ' tracefs ' -e "$E2E_WORK" /proc/mounts)"
	[ "$(tc_qdiscs)" = "$base_qdiscs" ] || e2e_fail "run $run: qdiscs changed: $(tc qdisc show)"
	[ "$(probe_cgroups)" = "$base_probe" ] || e2e_fail "run $run: a podtrace-probe cgroup is left"
	tally[$method:$point]=$((${tally[$method:$point]:-0} + 1))
	echo "ok: run $run: $method at $point, exit $rc, $(wc -l <"$ids.u") BPF objects released"
done

summary=$E2E_WORK/summary
{
	echo "runs: $runs"
	for m in "${methods[@]}"; do
		line="$m:"
		for p in "${points[@]}"; do line+=" $p=${tally[$m:$p]:-0}"; done
		echo "$line"
	done
	echo "exit codes:$(tr ' ' '\n' <<<"$exit_codes" | grep . | sort -n | uniq -c | awk '{printf " %s×%s", $2, $1}')"
	echo "BPF programs and links held then released: $ids_seen; tracer pod cgroups removed: $pod_uids_seen"
	echo "orphaned Jobs ended by activeDeadlineSeconds: $deadline_ends; deleted by ttlSecondsAfterFinished: $ttl_deletes"
	echo "left over: 0 Jobs, 0 tracer pods, 0 tracer processes, 0 BPF programs/links, 0 cgroups, 0 mounts, 0 qdiscs"
} >"$summary"
cat "$summary"
[ -z "${INTERRUPT_SUMMARY:-}" ] || cp "$summary" "$INTERRUPT_SUMMARY"
stop_cluster
rm -rf "$plugin_dir"
echo PASS
