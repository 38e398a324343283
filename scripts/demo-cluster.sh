# SPDX-License-Identifier: Apache-2.0
# demo-cluster.sh: sourced by scripts/demo and scripts/cluster, so both run the same local
# cluster: a containerd node with the images of `make image`, the tracer image also under the
# plugin's default name, and the node DNS record that tests/cluster/demo-pod.yaml relies on.

# The harness flags after --dir, for the images in $1.
demo_cluster_args() {
	DEMO_CLUSTER_ARGS=(--nodes node-a --runtime cri
		--images "$1/podtrace-tracer.oci.tar" "$1/podtrace-demo.oci.tar" "$1/podtrace-pause.oci.tar"
		--image-alias docker.io/podtrace/podtrace-tracer:0.1.0=ghcr.io/podtrace/podtrace-tracer:0.1.0
		--dns-record api.demo.svc.cluster.local,10.88.77.1)
}

# The demo pod's HTTP server: on the node, at the CNI bridge's address its DNS record names.
DEMO_HTTP_LISTEN=10.88.77.1:8080

# create_demo_pod DATA_DIR: creates the demo pod with its data in DATA_DIR and waits until it is
# Ready; kubectl's own lines go to stdout.
create_demo_pod() {
	sed -e "s|@DATA@|$1|" "$(dirname "${BASH_SOURCE[0]}")/../tests/cluster/demo-pod.yaml" | kubectl create -f -
	kubectl wait -n demo --for=condition=Ready pod/demo --timeout=60s >/dev/null
}
