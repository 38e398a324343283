#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The HTML report (--html) opened in headless Chromium: it renders with no console message
# (no script, no blocked load: its CSP forbids both), the DOM holds the report's exact numbers,
# traced text is escaped, and a screenshot is kept for people to look at.
# usage: html_test.sh TRACER_BIN PLUGIN_BIN OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_require_root
tracer=$(realpath "$1") plugin=$(realpath "$2") out=$3
mkdir -p "$out"
work=$(mktemp -d /tmp/podtrace-html.XXXXXX)
cg=/sys/fs/cgroup/unified/pt-html-$$
[ -d /sys/fs/cgroup/unified ] || cg=/sys/fs/cgroup/pt-html-$$
mkdir "$cg"
cleanup() {
	rmdir "$cg" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# A workload with an exact count (50 fsyncs, in two halves more than a second apart, so the
# timeline has them in two points) and a file name that tries to be markup.
evil='<script>alert(1)<\script>'
mkdir -p "$work/data"
: >"$work/go"
sh -c "echo \$\$ > $cg/cgroup.procs; while [ -e $work/go ]; do sleep 0.05; done
	i=0; while [ \$i -lt 50 ]; do dd if=/dev/zero of='$work/data/$evil' bs=512 count=1 conv=fsync status=none; i=\$((i+1)); [ \$i -ne 25 ] || sleep 1.5; done" &
workload=$!
"$tracer" --cgroup "$cg" --duration 30s --html "$work/tracer.html" >"$work/trace.jsonl" 2>"$work/tracer.err" &
tracer_pid=$!
wait_until 30 grep -q '"type":"start"' "$work/trace.jsonl" || e2e_fail "tracer did not start: $(cat "$work/tracer.err")"
rm "$work/go"
wait "$workload"
wait "$tracer_pid" || e2e_fail "tracer failed: $(cat "$work/tracer.err")"

# The same trace through the plugin: kubectl podtrace view --html.
"$plugin" view "$work/trace.jsonl" --html "$work/view.html" >/dev/null

chrome() { # page: DOM on stdout, Chromium's log (console messages included) in page.log
	timeout 90 chromium --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
		--dump-dom "file://$1" 2>"$1.log"
}
for page in tracer view; do
	dom=$(chrome "$work/$page.html")
	# The fsync row of the file I/O table: op, then its count.
	assert_contains "$page: fsync count in the op table" '<td class="text ">fsync</td><td class="num ">50</td>' "$dom"
	assert_contains "$page: an SVG histogram" '<svg class="hist"' "$dom"
	# The timeline chart: its fsync lane holds the report's per-second fsync counts, bar for bar.
	printf '%s' "$dom" >"$work/$page.dom"
	python3 - "$work/$page.dom" "$work/trace.jsonl" <<-'EOF' || e2e_fail "$page: timeline chart"
		import json, re, sys
		dom = open(sys.argv[1]).read()
		report = json.loads(open(sys.argv[2]).read().splitlines()[-1])
		series = next(s for s in report["timeline"]["series"]
		              if s["family"] == "fileio" and s["name"] == "fsync")
		assert series["total"] == 50, series
		lane = re.search(r'<g class="series" data-family="fileio" data-name="fsync" '
		                 r'data-metric="values" data-total="(\d+)"[^>]*>(.*?)</g>', dom, re.S)
		assert lane, "no fsync lane in the timeline chart"
		assert int(lane.group(1)) == 50, lane.group(1)
		bars = {int(p): int(v) for p, v in
		        re.findall(r'data-point="(\d+)" data-value="(\d+)"', lane.group(2))}
		want = {i: v for i, v in enumerate(series["values"]) if v}
		assert bars == want, (bars, want)
		assert len(bars) >= 2, ("the two halves share a point", bars)
		print("ok: timeline chart lane fileio fsync:", bars)
	EOF
	assert_contains "$page: the traced file, its markup escaped" "$work/data/&lt;script&gt;alert(1)&lt;\script&gt;" "$dom"
	case "$dom" in *'<script'*) e2e_fail "$page: a <script> element reached the page" ;; esac
	if grep -q 'CONSOLE' "$work/$page.html.log"; then
		e2e_fail "$page: console messages: $(grep CONSOLE "$work/$page.html.log")"
	fi
	echo "ok: $page page renders in Chromium with no console message"
done
timeout 90 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1300,2000 \
	--screenshot="$out/html-report.png" "file://$work/tracer.html" >/dev/null 2>&1
[ -s "$out/html-report.png" ] || e2e_fail "no screenshot"
cp "$work/tracer.html" "$out/html-report.html"
echo "ok: screenshot in $out/html-report.png"
echo PASS
