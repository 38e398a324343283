#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real node: the harness with --runtime cri runs every pod, the tracer Job's included, as a
# containerd container through the CRI, from the images of `make image`. Checked here:
#  - a pod gets a containerd id, its own network namespace and a CNI address, kubelet's
#    cgroupfs placement /kubepods/<qos>/pod<uid>/<id> in the v2 and v1 trees with its limits,
#    the node's DNS with the cluster search list and ndots:5, and CRI-format logs;
#  - kubectl podtrace traces it from the tracer image: exactly 200 fsyncs on the path as the
#    container sees it, by the workload's host pid (PID 1 inside its container);
#  - one getaddrinfo() of a short name from inside the pod: the search list's amplification
#    with exact counts;
#  - an image the node lacks: ErrImagePull in the pod status, and the plugin's one line;
#  - stopping the harness leaves no container, network namespace, bridge, mount or cgroup.
# Usage: cri_test.sh CLUSTER_BIN PLUGIN_BIN IMAGES_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_require_root

cluster_bin=$1
plugin_bin=$2
images=$3
tracer_image=docker.io/podtrace/podtrace-tracer:0.1.0
demo_image=docker.io/podtrace/podtrace-demo:0.1.0

start_cluster "$cluster_bin" --runtime cri \
	--images "$images/podtrace-tracer.oci.tar" "$images/podtrace-demo.oci.tar" "$images/podtrace-pause.oci.tar" \
	--dns-record "svc-x.cluster.local,10.88.77.5"
node_dir=$E2E_WORK/cluster/node
data=$E2E_WORK/data
mkdir -p "$data"
plugin_dir=$E2E_WORK/bin
mkdir -p "$plugin_dir"
ln -s "$(realpath "$plugin_bin")" "$plugin_dir/kubectl-podtrace"
export PATH="$plugin_dir:$PATH"

kubectl create namespace e2e >/dev/null
pod() { # name command-json [limits-yaml]
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: e2e}
spec:
  containers:
  - name: app
    image: $demo_image
    command: $2
    resources: {limits: {cpu: 500m, memory: 128Mi}, requests: {cpu: 100m, memory: 64Mi}}
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, hostPath: {path: $data}}]
YAML
}
pod fsync '["podtrace-demo-workload", "run", "--file", "/data/fsync.wal", "--fsyncs", "200", "--trigger", "/data/go"]' | kubectl create -f - >/dev/null
pod resolver '["podtrace-demo-workload", "resolve", "--name", "svc-x", "--trigger", "/data/resolve"]' | kubectl create -f - >/dev/null
kubectl wait -n e2e --for=condition=Ready pod/fsync pod/resolver --timeout=60s >/dev/null ||
	e2e_fail "pods not ready: $(kubectl get pods -n e2e -o wide)"

# --- placement, network, DNS config, logs ---
uid=$(kubectl get pod -n e2e fsync -o jsonpath='{.metadata.uid}')
cid=$(kubectl get pod -n e2e fsync -o jsonpath='{.status.containerStatuses[0].containerID}')
assert_contains "container id from containerd" "containerd://" "$cid"
cid=${cid#containerd://}
[[ $cid =~ ^[0-9a-f]{64}$ ]] || e2e_fail "container id $cid is not 64 hex digits"
ip=$(kubectl get pod -n e2e fsync -o jsonpath='{.status.podIP}')
assert_contains "pod IP from CNI host-local" "10.88.77." "$ip"
assert_eq "QoS class" Burstable "$(kubectl get pod -n e2e fsync -o jsonpath='{.status.qosClass}')"
rel=kubepods/burstable/pod$uid/$cid
v2=$(cgroup_v2_root)
[ -d "$v2/$rel" ] || e2e_fail "no v2 cgroup $v2/$rel"
host_pid=$(head -1 "$v2/$rel/cgroup.procs")
if [ -d /sys/fs/cgroup/cpu/$rel ]; then
	assert_eq "v1 CPU quota from the CPU limit" 50000 "$(cat /sys/fs/cgroup/cpu/$rel/cpu.cfs_quota_us)"
	assert_eq "v1 memory limit" 134217728 "$(cat /sys/fs/cgroup/memory/$rel/memory.limit_in_bytes)"
else
	assert_eq "v2 CPU quota from the CPU limit" "50000 100000" "$(cat "$v2/$rel/cpu.max")"
	assert_eq "v2 memory limit" 134217728 "$(cat "$v2/$rel/memory.max")"
fi
[ "$(readlink /proc/$host_pid/ns/net)" != "$(readlink /proc/self/ns/net)" ] || e2e_fail "the pod shares the host network namespace"
assert_eq "PID 1 inside its own PID namespace" "$host_pid	1" "$(awk '/^NSpid:/ {print $2 "\t" $3}' /proc/$host_pid/status)"
assert_eq "resolv.conf from the sandbox DNS config" \
	"search e2e.svc.cluster.local svc.cluster.local cluster.local|nameserver 10.88.77.1|options ndots:5" \
	"$(paste -sd'|' /proc/$host_pid/root/etc/resolv.conf)"

# --- the tracer Job runs from its image and counts exactly ---
# The Job's hostPath for the tracer's per-boot probe cache (manifests/job.yaml): the first trace
# creates it, the next one reads it without rewriting it.
feature_cache=/run/podtrace/job/kernel-features
rm -rf /run/podtrace/job
kubectl podtrace fsync -n e2e --diagnose 15s -o json --image "$tracer_image" >"$E2E_WORK/report.json" 2>"$E2E_WORK/plugin.err" &
plugin=$!
wait_until 60 sh -c "kubectl logs -n e2e -l app.kubernetes.io/name=podtrace --tail=-1 2>/dev/null | grep -q '\"type\":\"start\"'" ||
	e2e_fail "tracer did not start: $(cat "$E2E_WORK/plugin.err")"
tracer_cid=$(kubectl get pods -n e2e -l app.kubernetes.io/name=podtrace -o jsonpath='{.items[0].status.containerStatuses[0].containerID}')
assert_contains "the tracer runs as a containerd container" "containerd://" "$tracer_cid"
touch "$data/go"
wait_until 30 sh -c "kubectl logs -n e2e fsync | grep -q 'fsyncs=200 path=/data/fsync.wal'" || e2e_fail "workload did not report its fsyncs"
wait "$plugin" || e2e_fail "plugin failed: $(cat "$E2E_WORK/plugin.err")"
report=$E2E_WORK/report.json
assert_eq "fsyncs on the path as the container sees it, by its host pid" 200 \
	"$(jq "[.fileio.files[] | select(.path == \"/data/fsync.wal\" and .op == \"fsync\" and .pid == $host_pid) | .count] | add" "$report")"
for family in fileio cpu process tcp dns udp; do
	assert_eq "$family enabled in the tracer container" true \
		"$(jq --arg f "$family" '.diagnostics[] | select(.name == $f) | .enabled' "$report")"
done
wait_until 30 sh -c "! kubectl get pods -n e2e -l app.kubernetes.io/name=podtrace -o name | grep -q ." ||
	e2e_fail "the tracer pod was not removed"
assert_eq "the tracer container wrote the probe cache to the node, root's only" "root 600" \
	"$(stat -c '%U %a' "$feature_cache")"
cache_stamp=$(stat -c '%i %y' "$feature_cache")

# --- DNS from inside the pod's network namespace: the search list, counted ---
kubectl podtrace resolver -n e2e --diagnose 12s -o json --image "$tracer_image" >"$E2E_WORK/dns.json" 2>"$E2E_WORK/dns.err" &
plugin=$!
wait_until 60 sh -c "kubectl logs -n e2e -l app.kubernetes.io/name=podtrace --tail=-1 2>/dev/null | grep -q '\"type\":\"start\"'" ||
	e2e_fail "tracer did not start: $(cat "$E2E_WORK/dns.err")"
touch "$data/resolve"
wait_until 30 sh -c "kubectl logs -n e2e resolver | grep -q 'resolved name=svc-x rc=0 address=10.88.77.5'" ||
	e2e_fail "lookup failed: $(kubectl logs -n e2e resolver)"
wait "$plugin" || e2e_fail "plugin failed: $(cat "$E2E_WORK/dns.err")"
dns=$E2E_WORK/dns.json
assert_eq "the second tracer container used the cache as it was" "$cache_stamp" "$(stat -c '%i %y' "$feature_cache")"
# ndots:5: svc-x.e2e.svc.cluster.local and svc-x.svc.cluster.local answer NXDOMAIN, then
# svc-x.cluster.local answers; A and AAAA each time.
assert_eq "DNS queries on the wire for one lookup" 6 "$(jq .dns.queries "$dns")"
assert_eq "NXDOMAIN answers" 4 "$(jq '[.dns.names[].rcodes.NXDOMAIN // 0] | add' "$dns")"
assert_eq "getaddrinfo calls" 1 "$(jq '[.dns.lookups[] | select(.host == "svc-x") | .calls] | add' "$dns")"
assert_eq "queries that one getaddrinfo sent" 6 "$(jq '[.dns.lookups[] | select(.host == "svc-x") | .queries] | add' "$dns")"
assert_eq "the answering server is the node DNS" "10.88.77.1:53" \
	"$(jq -r '[.dns.names[] | select(.name == "svc-x.cluster.local" and .qtype == "A") | .server][0]' "$dns")"

# --- a container that restarts during the trace: the trace follows the new container ---
# Each container writes /tmp/after-start (10 blocks, one fsync) 2 s after it starts, then
# sleeps. The trace starts after the first container did so: only the new one's write counts.
kubectl run restarter -n e2e --image "$demo_image" --restart=Always --command -- sh -c \
	'sleep 2; dd if=/dev/zero of=/tmp/after-start bs=4096 count=10 conv=fsync 2>/dev/null; echo workload-done; exec sleep 1000' >/dev/null
kubectl wait -n e2e --for=condition=Ready pod/restarter --timeout=60s >/dev/null
wait_until 20 sh -c "kubectl logs -n e2e restarter | grep -q workload-done" || e2e_fail "the first container did not write"
old_cid=$(kubectl get pod -n e2e restarter -o jsonpath='{.status.containerStatuses[0].containerID}')
kubectl podtrace restarter -n e2e --diagnose 15s -o json --image "$tracer_image" >"$E2E_WORK/restart.json" 2>"$E2E_WORK/restart.err" &
plugin=$!
wait_until 60 sh -c "kubectl logs -n e2e -l app.kubernetes.io/name=podtrace --tail=-1 2>/dev/null | grep -q '\"type\":\"start\"'" ||
	e2e_fail "tracer did not start: $(cat "$E2E_WORK/restart.err")"
assert_eq "the tracer is told to follow restarts" true \
	"$(kubectl get pods -n e2e -l app.kubernetes.io/name=podtrace -o json | jq '[.items[0].spec.containers[0].args[] | select(. == "--follow-restarts")] | length == 1')"
rel=$(find /sys/fs/cgroup/unified /sys/fs/cgroup -maxdepth 5 -type d -name "${old_cid#containerd://}" 2>/dev/null | head -1)
old_pid=$(head -1 "$rel/cgroup.procs")
kill -KILL "$old_pid"
wait_until 20 sh -c "[ \"\$(kubectl get pod -n e2e restarter -o jsonpath='{.status.containerStatuses[0].restartCount}')\" = 1 ]" ||
	e2e_fail "no restart: $(kubectl get pod -n e2e restarter -o json | jq .status.containerStatuses)"
wait "$plugin" || e2e_fail "plugin failed: $(cat "$E2E_WORK/restart.err")"
new_cid=$(kubectl get pod -n e2e restarter -o jsonpath='{.status.containerStatuses[0].containerID}')
[ "$new_cid" != "$old_cid" ] || e2e_fail "the restarted container kept its id $old_cid"
assert_eq "the restart's last state" 137 "$(kubectl get pod -n e2e restarter -o jsonpath='{.status.containerStatuses[0].lastState.terminated.exitCode}')"
assert_eq "running again" true "$(kubectl get pod -n e2e restarter -o jsonpath='{.status.containerStatuses[0].ready}')"
restart=$E2E_WORK/restart.json
assert_eq "the trace runs its full duration" duration "$(jq -r .end_reason "$restart")"
assert_eq "the restart is the first finding" "the traced container restarted during the trace" "$(jq -r '.findings[0].title' "$restart")"
old12=${old_cid#containerd://}
new12=${new_cid#containerd://}
case "$(jq -r '.findings[0].detail' "$restart")" in
"container ${old12:0:12} ended and its pod started ${new12:0:12} at "*) ;;
*) e2e_fail "restart finding names the wrong containers: $(jq -r '.findings[0].detail' "$restart")" ;;
esac
assert_eq "the old container's death is in the report" 9 \
	"$(jq "[.process.exited[] | select(.pid == $old_pid) | .signal] | first" "$restart")"
assert_eq "the new container's fsync was traced" 1 \
	"$(jq '[.fileio.files[] | select(.path == "/tmp/after-start" and .op == "fsync") | .count] | add' "$restart")"
assert_eq "and its 10 writes" 40960 \
	"$(jq '[.fileio.files[] | select(.path == "/tmp/after-start" and .op == "write") | .bytes] | add' "$restart")"

# --- an image the node does not have ---
kubectl run nosuch -n e2e --image docker.io/podtrace/nosuch:1 --restart=Never >/dev/null
wait_until 20 sh -c "kubectl get pod -n e2e nosuch -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' | grep -q ImagePull" ||
	e2e_fail "no ErrImagePull: $(kubectl get pod -n e2e nosuch -o json | jq .status)"
assert_eq "pod stays Pending" Pending "$(kubectl get pod -n e2e nosuch -o jsonpath='{.status.phase}')"
set +e
start=$SECONDS
out=$(timeout 60 kubectl podtrace fsync -n e2e --diagnose 5s --image docker.io/podtrace/nosuch-tracer:1 2>&1)
rc=$?
set -e
assert_eq "plugin exit code when the tracer image cannot be pulled" 1 "$rc"
assert_contains "the reason from the pod status" "ErrImagePull" "$out"
[ $((SECONDS - start)) -lt 20 ] || e2e_fail "the plugin took $((SECONDS - start)) s to report the pull error"
assert_eq "no job left" "No resources found" "$(kubectl get jobs -A 2>&1)"

# --- stop: nothing left behind ---
stop_cluster
[ ! -e "/sys/class/net/ptcni0" ] || e2e_fail "bridge ptcni0 left behind"
assert_eq "mounts under the node's root" "" "$(grep -o "$node_dir[^ ]*" /proc/mounts || true)"
assert_eq "CNI network namespaces" "" "$(ip netns list | grep cni- || true)"
assert_eq "pod cgroups" "" "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "pod$uid" 2>/dev/null)"
assert_eq "containerd of the harness" "" "$(pgrep -f "containerd --config $node_dir" || true)"
echo "PASS"
