#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile targets, through the real tracer and the plugin's renderers:
#  - a process name, argv and file paths with terminal escapes (CSI, OSC, BEL, raw C1), invalid
#    UTF-8 and 4 KiB of text: the tracer's text output, `kubectl podtrace view` (report and
#    event lines) and both HTML pages hold none of those bytes, are valid UTF-8, and still show
#    each entry (by a plain marker inside it);
#  - a target that forks 10 000 short-lived children: counted exactly, nothing crashes;
#  - a target that lives under a millisecond, and a --pid that is already gone.
# Restarted containers are followed in cri_test.sh (--follow-restarts, exact counts).
# usage: hostile_test.sh TRACER_BIN PLUGIN_BIN
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_require_root
tracer=$(realpath "$1") plugin=$(realpath "$2")
work=$(mktemp -d /tmp/podtrace-hostile.XXXXXX)
v2=$(cgroup_v2_root)
cgs=("$v2/pt-hostile-$$" "$v2/pt-storm-$$" "$v2/pt-brief-$$")
mkdir "${cgs[@]}"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for p in "${cgs[@]}"; do rmdir "$p" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bin" "$work/data"

# The hostile text. Each piece carries a plain marker, so its row can be found once made safe.
comm=$'\e]0;MARKC\a\xff'                                # comm keeps the first 15 bytes
arg1=$'MARKA\e[2J\e[31m\x9b31m\xc2\x9b2J'               # CSI, 8-bit CSI raw and as UTF-8
arg2=$'MARKU\xff\xfe\xc3(\xed\xa0\x80'                  # invalid UTF-8, a UTF-16 surrogate
big=$(printf 'MARKB%4091s' '' | tr ' ' 'B')             # 4 KiB argument
file=$'MARKF\e[1;31m\a\xff\xc2\x9b.dat'
long=$work/missing
for _ in $(seq 19); do long+=/$(printf 'L%.0s' $(seq 200)); done   # a 3.9 KiB path
ln -s /bin/sh "$work/bin/$comm"

# Three targets, each in its own cgroup, waiting for $work/go.
: >"$work/go"
# They wait in one perl process: a shell loop would fork a sleep every 50 ms, and those
# processes would crowd the report's bounded tables.
target() { # cgroup script
	sh -c "echo \$\$ > '$1/cgroup.procs'; perl -e 'select(undef, undef, undef, 0.05) while -e \"$work/go\"'; $2" &
	pids+=($!)
}
export comm arg1 arg2 big file long work
target "${cgs[0]}" '
	"$work/bin/$comm" -c "exit 3" x "$arg1" "$arg2" "$big"
	dd if=/dev/zero of="$work/data/$file" bs=512 count=4 conv=fsync status=none
	cat "$work/missing/$file" "$long/x" 2>/dev/null; exit 0'
hostile=${pids[-1]}
# It waits in perl itself, so that its forks are the storm's only.
sh -c "echo \$\$ > '${cgs[1]}/cgroup.procs'; exec perl -MPOSIX -e '
	select(undef, undef, undef, 0.05) while -e \"$work/go\";
	for (1..10000) { my \$p = fork; POSIX::_exit(0) unless \$p; waitpid(\$p, 0) }'" &
pids+=($!)
storm=${pids[-1]}
# The brief target: the keeper waits, a child lives for one exec of /bin/true.
target "${cgs[2]}" '/bin/true; exec sleep 30'
brief=${pids[-1]}

"$tracer" --cgroup "${cgs[0]}" --duration 60s --html "$work/tracer.html" >"$work/hostile.jsonl" 2>"$work/hostile.err" &
t_json=$!
pids+=($t_json)
"$tracer" --cgroup "${cgs[0]}" --duration 60s -o text >"$work/hostile.txt" 2>"$work/hostile-text.err" &
t_text=$!
pids+=($t_text)
"$tracer" --cgroup "${cgs[1]}" --duration 120s >"$work/storm.jsonl" 2>"$work/storm.err" &
t_storm=$!
pids+=($t_storm)
"$tracer" --cgroup "${cgs[2]}" --duration 60s >"$work/brief.jsonl" 2>"$work/brief.err" &
t_brief=$!
pids+=($t_brief)
for f in hostile storm brief; do
	wait_until 60 grep -q '"type":"start"' "$work/$f.jsonl" || e2e_fail "tracer did not start: $(cat "$work/$f.err")"
done
# The text tracer prints nothing before its report: it is attached once it holds as many BPF
# links as its JSON twin, which has printed its start line.
links() { cat /proc/"$1"/fdinfo/* 2>/dev/null | grep -c '^link_id:' || true; }
text_attached() { [ "$(links "$t_text")" -ge "$(links "$t_json")" ]; }
wait_until 60 text_attached || e2e_fail "the text tracer did not attach: $(cat "$work/hostile-text.err")"
rm "$work/go"
wait "$hostile" "$storm"
pkill -KILL -P "$brief" sleep 2>/dev/null || true
kill -KILL "$brief" 2>/dev/null || true
for t in $t_json $t_text $t_storm $t_brief; do
	rc=0
	timeout 90 tail --pid "$t" -f /dev/null || e2e_fail "a tracer hangs"
	wait "$t" || rc=$?
	[ "$rc" = 0 ] || e2e_fail "tracer $t exit $rc: $(cat "$work"/*.err)"
done
echo "ok: every tracer ended by itself with exit 0"

# --- hostile text ---
"$plugin" view "$work/hostile.jsonl" --events --html "$work/view.html" >"$work/view.txt" 2>&1 ||
	e2e_fail "kubectl podtrace view failed: $(tail -5 "$work/view.txt")"
# What a terminal or browser gets: no C0 control but tab and newline, no DEL, no C1 (raw or
# UTF-8 encoded), valid UTF-8, and every entry still there.
clean() { # name file markers...
	local name=$1 f=$2
	shift 2
	if LC_ALL=C grep -qaP '[\x00-\x08\x0b-\x1f\x7f]' "$f"; then
		e2e_fail "$name: a control byte reached it: $(LC_ALL=C grep -naP '[\x00-\x08\x0b-\x1f\x7f]' "$f" | head -3 | cat -v)"
	fi
	if LC_ALL=C grep -qaP '\xc2[\x80-\x9f]' "$f"; then e2e_fail "$name: a C1 control reached it"; fi
	iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 || e2e_fail "$name: not valid UTF-8"
	local m
	for m in "$@"; do grep -qa "$m" "$f" || e2e_fail "$name: $m is missing: $(head -c 3000 "$f")"; done
	echo "ok: $name: no escape, valid UTF-8, $* shown"
}
clean "tracer -o text" "$work/hostile.txt" MARKC MARKF
clean "kubectl podtrace view --events" "$work/view.txt" MARKA MARKU MARKB MARKC MARKF
clean "tracer --html" "$work/tracer.html" MARKC MARKF
clean "kubectl podtrace view --html" "$work/view.html" MARKC MARKF
# The JSON lines stay JSON, one object a line, with the bytes escaped.
jq -c . "$work/hostile.jsonl" >/dev/null || e2e_fail "the tracer's JSON lines do not parse"
report=$(grep '"type":"report"' "$work/hostile.jsonl")
assert_eq "the hostile process's exit code" 3 "$(jq '[.process.exited[] | select(.comm | test("MARKC")) | .exit_code] | first' <<<"$report")"
assert_eq "the 4 writes to the hostile file" 4 "$(jq '[.fileio.files[] | select((.path | test("MARKF")) and .op == "write") | .count] | add' <<<"$report")"
execs=$(grep '"kind":"exec"' "$work/hostile.jsonl" | jq -r 'select(.argv != null) | .argv | map(length) | add' | sort -n | tail -1)
[ "${execs:-0}" -gt 400 ] || e2e_fail "the exec event lost the hostile argv: $(grep '"exec"' "$work/hostile.jsonl" | head -3)"
echo "ok: the hostile process and file are counted exactly"

# --- 10 000 short-lived children ---
report=$(grep '"type":"report"' "$work/storm.jsonl")
assert_eq "forks of the storm" 10000 "$(jq .process.forks <<<"$report")"
assert_eq "exits: the children and perl" 10001 "$(jq .process.exits <<<"$report")"
assert_eq "the storm ends the trace" target_exited "$(jq -r .end_reason <<<"$report")"
echo "ok: $(jq '.lost_events' -c <<<"$report") lost events while 10 000 children came and went"

# --- a process that lived under a millisecond ---
report=$(grep '"type":"report"' "$work/brief.jsonl")
assert_eq "the brief process's clean exit" 1 "$(jq '[.process.exited[] | select(.comm == "true" and .exit_code == 0)] | length' <<<"$report")"
/bin/true &
gone=$!
wait "$gone"
rc=0
timeout 60 "$tracer" --pid "$gone" --duration 5s >"$work/gone.out" 2>"$work/gone.err" || rc=$?
assert_eq "--pid of a process already gone: an error, not a crash" 1 "$rc"
assert_contains "it says so" "$gone" "$(cat "$work/gone.err")"
echo PASS
