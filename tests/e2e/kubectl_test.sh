#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Real kubectl against podtrace-cluster: listing, logs, jobs, RBAC denials and access reviews,
# tokens, Pod Security admission and its events, deletes, cgroups of the pod processes, clean
# shutdown. Runs once per kubectl given (default:
# /usr/bin/kubectl and the oldest one under /usr/lib/google-cloud-sdk/bin).
# usage: kubectl_test.sh CLUSTER_BIN [KUBECTL...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_require_root

cluster_bin=$1
shift
kubectls=("$@")
if [ ${#kubectls[@]} = 0 ]; then
	kubectls=(/usr/bin/kubectl)
	[ -x /usr/lib/google-cloud-sdk/bin/kubectl.1.27 ] && kubectls+=(/usr/lib/google-cloud-sdk/bin/kubectl.1.27)
fi

# Bad flags: one clear line, non-zero exit.
set +e
err=$("$cluster_bin" --dir /tmp/x --port notaport 2>&1 >/dev/null)
rc=$?
set -e
[ "$rc" != 0 ] || e2e_fail "bad --port accepted"
assert_eq "bad flag gives one line" 1 "$(printf '%s\n' "$err" | wc -l)"
assert_contains "bad flag names the option" "--port" "$err"

run_suite() {
	local K=$1
	echo "=== $K ($($K version --client 2>/dev/null | head -1))"
	local files
	files=$(mktemp -d /tmp/podtrace-e2e-files.XXXXXX)
	cat >"$files/pods.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: e2e}
---
apiVersion: v1
kind: Pod
metadata: {name: writer, namespace: e2e}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "printf 'alpha\\nbeta\\n'; printf gamma >&2"]
---
apiVersion: v1
kind: Pod
metadata: {name: failer, namespace: e2e}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: busybox, command: ["sh", "-c", "exit 3"]}
---
apiVersion: v1
kind: Pod
metadata: {name: sleeper, namespace: default}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sleep", "600"]
    resources:
      limits: {cpu: 250m, memory: 100Mi}
      requests: {cpu: 100m, memory: 50Mi}
YAML
	cat >"$files/job.yaml" <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: e2e-job}
spec:
  template:
    spec:
      restartPolicy: Never
      nodeSelector: {kubernetes.io/hostname: node-b}
      containers:
      - {name: c, image: busybox, command: ["sh", "-c", "echo job says hi"]}
YAML
	# What a podtrace tracer pod needs: privileged, the host's PIDs, /proc and /sys.
	cat >"$files/psa-pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: priv, namespace: psa}
spec:
  hostPID: true
  restartPolicy: Never
  containers:
  - name: trace-0
    image: busybox
    command: ["true"]
    securityContext: {privileged: true}
  volumes:
  - {name: host-proc, hostPath: {path: /proc}}
  - {name: host-sys, hostPath: {path: /sys}}
YAML
	cat >"$files/psa-job.yaml" <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: priv-job, namespace: psa}
spec:
  template:
    spec:
      hostPID: true
      restartPolicy: Never
      containers:
      - name: trace-0
        image: busybox
        command: ["true"]
        securityContext: {privileged: true}
      volumes:
      - {name: host-proc, hostPath: {path: /proc}}
      - {name: host-sys, hostPath: {path: /sys}}
YAML
	start_cluster "$cluster_bin" --nodes node-a,node-b --pods "$files/pods.yaml"

	wait_until 20 sh -c "[ \"\$($K get pod -n e2e writer -o jsonpath='{.status.phase}')\" = Succeeded ]" || e2e_fail "writer did not succeed"
	wait_until 20 sh -c "[ \"\$($K get pod -n e2e failer -o jsonpath='{.status.phase}')\" = Failed ]" || e2e_fail "failer did not fail"

	assert_eq "get pods -A" "default sleeper 1/1 Running
e2e failer 0/1 Error
e2e writer 0/1 Completed" "$($K get pods -A --no-headers | awk '{print $1, $2, $3, $4}')"
	assert_eq "get pods -o wide node column" "node-a" "$($K get pods -n default --no-headers -o wide | awk '{print $7}')"
	assert_eq "exit code in status" 3 "$($K get pod -n e2e failer -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')"

	$K logs -n e2e writer >"$files/writer.out"
	printf 'alpha\nbeta\ngamma' >"$files/writer.expected"
	cmp "$files/writer.out" "$files/writer.expected" || e2e_fail "kubectl logs differs from what the process wrote"
	echo "ok: kubectl logs is byte-exact"
	assert_eq "logs --tail=2" "beta" "$($K logs -n e2e writer --tail=2 | head -1)"

	# The pod's process is real and lives in kubelet-style cgroups.
	local uid cid pod_json
	pod_json=$($K get pod sleeper -o json)
	uid=$(jq -r .metadata.uid <<<"$pod_json")
	cid=$(jq -r '.status.containerStatuses[0].containerID' <<<"$pod_json")
	assert_eq "qosClass" Burstable "$(jq -r .status.qosClass <<<"$pod_json")"
	assert_contains "containerID is containerd://<64 hex>" "containerd://" "$cid"
	assert_eq "container id length" 77 "${#cid}"
	local rel="kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid//-/_}.slice/cri-containerd-${cid#containerd://}.scope"
	local v2=/sys/fs/cgroup/$rel quota
	[ -d /sys/fs/cgroup/unified ] && v2=/sys/fs/cgroup/unified/$rel
	local pid
	pid=$(head -1 "$v2/cgroup.procs")
	assert_eq "process in the pod's v2 cgroup runs the command" "sleep 600" "$(tr '\0' ' ' </proc/$pid/cmdline | sed 's/ $//')"
	if [ -d /sys/fs/cgroup/unified ]; then
		quota=$(cat "/sys/fs/cgroup/cpu$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}' /proc/self/cgroup | sed 's|^/$||')/$rel/cpu.cfs_quota_us")
		assert_eq "cpu limit as cfs quota" 25000 "$quota"
		assert_eq "memory limit" 104857600 "$(cat "/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup | sed 's|^/$||')/$rel/memory.limit_in_bytes")"
	fi

	# Jobs.
	assert_eq "create job" 'job.batch/e2e-job created' "$($K create -f "$files/job.yaml")"
	$K wait --for=condition=complete job/e2e-job --timeout=30s >/dev/null
	assert_eq "get jobs" "e2e-job Complete 1/1" "$($K get jobs --no-headers | awk '{print $1, $2, $3}')"
	assert_eq "job pod on its pinned node" node-b "$($K get pods -l job-name=e2e-job -o jsonpath='{.items[0].spec.nodeName}')"
	assert_eq "job logs" "job says hi" "$($K logs job/e2e-job)"

	# Users: restricted gets the API server's Forbidden; the token user has full rights.
	set +e
	err=$($K --context podtrace-restricted create -f "$files/job.yaml" 2>&1 >/dev/null)
	rc=$?
	set -e
	assert_eq "restricted create job exit" 1 "$rc"
	assert_eq "restricted create job message" "Error from server (Forbidden): error when creating \"$files/job.yaml\": jobs.batch is forbidden: User \"restricted\" cannot create resource \"jobs\" in API group \"batch\" in the namespace \"default\"" "$err"
	set +e
	err=$($K --context podtrace-restricted create job x --image=busybox -- true 2>&1 >/dev/null)
	set -e
	assert_eq "restricted kubectl create job" 'error: failed to create job: jobs.batch is forbidden: User "restricted" cannot create resource "jobs" in API group "batch" in the namespace "default"' "$err"
	assert_eq "restricted may list pods" "failer writer" "$($K --context podtrace-restricted get pods -n e2e -o name | sed 's|pod/||' | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "restricted may read logs" "alpha" "$($K --context podtrace-restricted logs -n e2e writer | head -1)"
	assert_eq "token user" "pod/sleeper" "$($K --context podtrace-token get pod sleeper -o name)"
	assert_eq "unauthenticated" "401 Unauthorized" "$(curl -s --cacert "$E2E_WORK/cluster/ca.crt" "https://127.0.0.1:$E2E_PORT/api/v1/pods" | jq -r '"\(.code) \(.reason)"')"

	# Access reviews: `kubectl auth can-i` asks the API server (SelfSubjectAccessReview), which
	# answers by the rules that decide the requests themselves.
	local out
	assert_eq "can-i admin" yes "$($K auth can-i create jobs.batch -n default)"
	set +e
	out=$($K --context podtrace-restricted auth can-i create jobs.batch -n default 2>&1)
	rc=$?
	set -e
	assert_eq "can-i restricted exit" 1 "$rc"
	assert_eq "can-i restricted" no "$out"
	assert_eq "can-i restricted pods/log" yes "$($K --context podtrace-restricted auth can-i get pods --subresource=log -n e2e)"

	# Pod Security admission: a baseline namespace refuses a privileged pod; a privileged Job is
	# created with a warning, and its controller's pod is refused into a FailedCreate event.
	local checks='host namespaces (hostPID=true), hostPath volumes (volumes "host-proc", "host-sys"), privileged (container "trace-0" must not set securityContext.privileged=true)'
	assert_eq "create namespace" 'namespace/psa created' "$($K create namespace psa)"
	assert_eq "label baseline" 'namespace/psa labeled' "$($K label namespace psa pod-security.kubernetes.io/enforce=baseline)"
	set +e
	err=$($K create -f "$files/psa-pod.yaml" 2>&1 >/dev/null)
	rc=$?
	set -e
	assert_eq "privileged pod refused exit" 1 "$rc"
	assert_eq "privileged pod refused" "Error from server (Forbidden): error when creating \"$files/psa-pod.yaml\": pods \"priv\" is forbidden: violates PodSecurity \"baseline:latest\": $checks" "$err"
	out=$($K create -f "$files/psa-job.yaml" 2>"$files/stderr")
	assert_eq "privileged job created" 'job.batch/priv-job created' "$out"
	assert_eq "privileged job warning" "Warning: would violate PodSecurity \"baseline:latest\": $checks" "$(cat "$files/stderr")"
	local events="$K get events -n psa --field-selector involvedObject.name=priv-job"
	wait_until 15 sh -c "[ -n \"\$($events -o name)\" ]" || e2e_fail "no FailedCreate event for priv-job"
	# The controller retries with backoff; a repeat counts on the same event.
	wait_until 15 sh -c "[ \"\$($events -o jsonpath='{.items[0].count}')\" -ge 2 ]" || e2e_fail "the retry was not counted"
	local ev pod_name
	ev=$($events -o jsonpath='{range .items[*]}{.type}|{.reason}|{.source.component}|{.involvedObject.kind}/{.involvedObject.name}|{.message}{"\n"}{end}')
	pod_name=$(sed -n 's/.*Error creating: pods "\([^"]*\)".*/\1/p' <<<"$ev")
	[[ "$pod_name" =~ ^priv-job-[bcdfghjklmnpqrstvwxz2456789]{5}$ ]] || e2e_fail "generated pod name: $pod_name"
	assert_eq "one FailedCreate event" "Warning|FailedCreate|job-controller|Job/priv-job|Error creating: pods \"$pod_name\" is forbidden: violates PodSecurity \"baseline:latest\": $checks" "$ev"
	assert_eq "events table" "Warning FailedCreate job/priv-job" "$($events --no-headers | awk '{print $2, $3, $4}')"
	assert_contains "describe job lists the event" "job-controller  Error creating: pods \"priv-job-" "$($K describe job priv-job -n psa)"
	assert_eq "no pod in psa" "" "$($K get pods -n psa -o name)"
	assert_eq "refused job has no condition" "" "$($K get job priv-job -n psa -o jsonpath='{.status.conditions}')"
	# Relabelled privileged, the next Job's pod is admitted and runs.
	assert_eq "label privileged" 'namespace/psa labeled' "$($K label namespace psa pod-security.kubernetes.io/enforce=privileged --overwrite)"
	out=$(sed 's/name: priv-job,/name: priv-job2,/' "$files/psa-job.yaml" | $K create -f - 2>"$files/stderr")
	assert_eq "job after relabel" 'job.batch/priv-job2 created' "$out"
	assert_eq "no warning after relabel" "" "$(cat "$files/stderr")"
	$K wait --for=condition=complete job/priv-job2 -n psa --timeout=30s >/dev/null
	assert_eq "its pod ran" Succeeded "$($K get pods -n psa -l job-name=priv-job2 -o jsonpath='{.items[0].status.phase}')"
	$K delete job -n psa priv-job priv-job2 >/dev/null
	wait_until 15 sh -c "[ -z \"\$($K get pods -n psa -o name)\" ]" || e2e_fail "psa pods left after delete"

	set +e
	err=$($K get pod nosuch 2>&1 >/dev/null)
	set -e
	assert_eq "not found" 'Error from server (NotFound): pods "nosuch" not found' "$err"

	# Followed logs end when the container does.
	$K run ticker --image=busybox --restart=Never --command -- sh -c 'for i in 1 2 3; do echo tick $i; sleep 0.3; done' >/dev/null
	wait_until 10 sh -c "$K logs ticker" || e2e_fail "ticker never started"
	assert_eq "logs -f" "tick 1
tick 2
tick 3" "$(timeout 20 $K logs -f ticker)"

	# Deletes: the job's pods (and processes) go with it; nodes can be deleted.
	assert_eq "delete job" 'job.batch "e2e-job" deleted' "$($K delete job e2e-job)"
	wait_until 15 sh -c "[ -z \"\$($K get pods -l job-name=e2e-job -o name)\" ]" || e2e_fail "job pods left after delete"
	echo "ok: job pods deleted"
	assert_eq "delete node" 'node "node-b" deleted' "$($K delete node node-b)"
	assert_eq "nodes after delete" "node-a Ready" "$($K get nodes --no-headers | awk '{print $1, $2}')"
	assert_eq "delete pod" 'pod "sleeper" deleted' "$($K delete pod sleeper --grace-period=1)"
	kill -0 "$pid" 2>/dev/null && e2e_fail "sleeper process $pid still alive after delete"
	echo "ok: pod process killed"

	# Fault hook is admin-only.
	assert_eq "fault hook denies tokens of restricted" 403 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$E2E_WORK/cluster/ca.crt" -H "Authorization: Bearer $(cat "$E2E_WORK/cluster/restricted-token")" -d "" -X POST "https://127.0.0.1:$E2E_PORT/harness/v1/faults/drop-log-streams")"

	stop_cluster
	rm -rf "$files" "$E2E_WORK"
	E2E_WORK=
}

for k in "${kubectls[@]}"; do
	run_suite "$k"
done
echo PASS
