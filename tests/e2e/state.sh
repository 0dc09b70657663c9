#!/bin/sh
# --state: a rerun scans only what is new or changed and reports only new
# hits, through growth, wrap-around, clearing, rule changes, a killed run
# and a concurrent one. mixed.txt: 13 chunks, the built-in rule hits
# records 1, 302, 603, 904, 1205, 1506 and 1807 (chunks 0, 2, ... 12).
. "$E2E_LIB"
: "${EVTXGEN:?run through make check}"
desc=$TESTDATA/fixtures/mixed.txt
state=$tmp/state.db
log=$tmp/Security.evtx
hunt() { # STATUS ARGS...: a run on the state, JSON Lines in $tmp/out
	want=$1
	shift
	run "$want" "$EVTXHUNT" -q -f jsonl --state "$state" --stats-json "$tmp/s.json" "$@"
}
hits() {
	grep -o '"record_id":[0-9]*' "$tmp/out" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//'
}
expect() {
	if [ "$(hits)" = "$2" ]; then pass "$1"; else fail "$1: hits '$(hits)', expected '$2'"; fi
}
counts() { # WHAT KEY=VALUE...
	what=$1
	shift
	for kv in "$@"; do
		grep -q "\"${kv%%=*}\":${kv#*=}[,}]" "$tmp/s.json" || fail "$what: ${kv%%=*} is not ${kv#*=}: $(cat "$tmp/s.json")"
	done
}

# a log imaged mid-write, then again once it grew
"$EVTXGEN" --damage "truncate $((4096 + 65536 * 6 + 30000))" "$desc" "$log"
hunt 1 "$log" && expect "first run: every hit" "1 302 603 904"
"$EVTXGEN" "$desc" "$log"
hunt 1 "$log" && expect "the log grew: only the new hits" "1205 1506 1807"
counts "growth" chunks_unchanged=6 hits_known=1
hunt 0 "$log" && expect "unchanged: nothing" ""
counts "unchanged" files_unchanged=1 chunks=0

# wrap-around: the oldest chunk overwritten by newer records
"$EVTXGEN" "$TESTDATA/fixtures/seed_rule.txt" "$tmp/other.evtx"
dd if="$tmp/other.evtx" of="$log" bs=4096 skip=1 seek=1 count=16 conv=notrunc status=none
hunt 1 "$log" && [ -n "$(hits)" ] && pass "wrapped: the overwritten chunk's hits reported: $(hits)"
counts "wrapped" chunks_unchanged=12
# cleared and replaced by another log under the same name
cp "$TESTDATA/logs/security_4688.evtx" "$log"
hunt 1 "$log" && grep -q "none of its chunks is as at the last run: the log was cleared" "$tmp/err" &&
	pass "a cleared log is recognised, its new hits reported: $(hits)"

# (each scenario below on a state of its own: they reuse the same events)
# a filtered run reports its hits but covers nothing: the full run after
# it still scans everything and reports the rest
state=$tmp/filtered.db
"$EVTXGEN" "$desc" "$tmp/filtered.evtx"
hunt 1 --from 2024-03-06 "$tmp/filtered.evtx" && expect "a filtered run" "1506 1807"
hunt 1 "$tmp/filtered.evtx" && expect "then an unfiltered one: the rest" "1 302 603 904 1205"

# rotation: the full log archived under another name, a new one begun
state=$tmp/rotation.db
"$EVTXGEN" "$desc" "$tmp/rot.evtx"
hunt 1 "$tmp/rot.evtx" && expect "before rotation" "1 302 603 904 1205 1506 1807"
mv "$tmp/rot.evtx" "$tmp/Archive-rot-2024-03-08.evtx"
"$EVTXGEN" "$TESTDATA/fixtures/seed_rule.txt" "$tmp/rot.evtx"
hunt 1 "$tmp/Archive-rot-2024-03-08.evtx" "$tmp/rot.evtx" && ! hits | grep -qw 1807 &&
	pass "rotated: the archive reports nothing again, the new log its hits"
counts "rotated" chunks_unchanged=13

# rules: one more rule rescans, fewer rules do not
state=$tmp/rules.db
"$EVTXGEN" "$desc" "$tmp/rules.evtx"
hunt 1 "$tmp/rules.evtx" && expect "a new log" "1 302 603 904 1205 1506 1807"
mkdir "$tmp/rules"
cp "$TESTDATA/../rules/proc_creation_win_regsvr32_dllregisterserver_exec.yml" "$TESTDATA/rules/never_matches.yml" "$tmp/rules/"
hunt 0 -r "$tmp/rules" "$tmp/rules.evtx" && expect "a rule added: rescanned, no hit reported twice" ""
counts "rule added" files_unchanged=0 chunks_unchanged=0 hits_known=7
hunt 0 "$tmp/rules.evtx" && counts "a rule removed" files_unchanged=1 && pass "a rule removed: nothing to rescan"

# a run killed mid-scan changes nothing; the next one reports everything once
if [ -f "${RESIZE_PRELOAD:-}" ]; then
	state=$tmp/killed.db
	"$EVTXGEN" "$desc" "$tmp/killed.evtx"
	set +e
	RESIZE_PATH=$tmp/killed.evtx RESIZE_AT=$((4096 + 65536 * 8)) RESIZE_TO=kill LD_PRELOAD=$RESIZE_PRELOAD \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$EVTXHUNT" -q -j1 -f jsonl --state "$state" "$tmp/killed.evtx" >"$tmp/out" 2>&1
	st=$?
	set -e
	[ "$st" -eq 137 ] && [ ! -s "$tmp/out" ] && pass "SIGKILL mid-scan: nothing printed"
	hunt 1 "$tmp/killed.evtx" && expect "after the kill: every hit, once" "1 302 603 904 1205 1506 1807"
	hunt 0 "$tmp/killed.evtx" && expect "and then none" ""

	# killed after checkpoints (one per chunk here): the next run redoes only
	# what was not committed and delivers the hits the killed run found
	state=$tmp/checkpoint.db
	"$EVTXGEN" "$desc" "$tmp/checkpoint.evtx"
	set +e
	EVTXHUNT_STATE_CHECKPOINT=1 RESIZE_PATH=$tmp/checkpoint.evtx RESIZE_AT=$((4096 + 65536 * 10)) RESIZE_TO=kill \
		LD_PRELOAD=$RESIZE_PRELOAD ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$EVTXHUNT" -q -j1 -f jsonl --state "$state" "$tmp/checkpoint.evtx" >"$tmp/out" 2>&1
	st=$?
	set -e
	[ "$st" -eq 137 ] && [ ! -s "$tmp/out" ] && pass "killed after checkpoints: nothing printed"
	run 1 "$EVTXHUNT" -f jsonl --state "$state" --stats-json "$tmp/s.json" "$tmp/checkpoint.evtx" &&
		expect "the next run: every hit, once" "1 302 603 904 1205 1506 1807"
	grep -q '"chunks_unchanged":[1-9]' "$tmp/s.json" && pass "the committed chunks were not scanned again" ||
		fail "all chunks scanned again: $(cat "$tmp/s.json")"
	grep -q "hits found by an interrupted run, not reported then, are in this report" "$tmp/err" &&
		pass "the killed run's hits delivered, and said so"
	hunt 0 "$tmp/checkpoint.evtx" && expect "and then none" ""

	# a second run while the first holds the state
	state=$tmp/busy.db
	"$EVTXGEN" "$desc" "$tmp/busy.evtx"
	RESIZE_PATH=$tmp/busy.evtx RESIZE_AT=$((4096 + 65536 * 8)) RESIZE_TO=stop LD_PRELOAD=$RESIZE_PRELOAD \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$EVTXHUNT" -q -j1 -f jsonl --state "$state" "$tmp/busy.evtx" >"$tmp/first" 2>&1 &
	first=$!
	n=0
	while [ "$(cut -d' ' -f3 "/proc/$first/stat" 2>/dev/null)" != T ] && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	hunt 2 "$tmp/busy.evtx" && grep -q "in use by another evtxhunt run" "$tmp/err" &&
		pass "a concurrent run is refused"
	kill -CONT "$first"
	set +e
	wait "$first"
	st=$?
	set -e
	[ "$st" -eq 1 ] && [ "$(grep -c record_id "$tmp/first")" -eq 7 ] && pass "the first run then ends normally" ||
		fail "first run: status $st"
	hunt 0 "$tmp/busy.evtx" && expect "its hits are known" ""
fi

run 0 "$EVTXHUNT" --state-report "$tmp/state.db"
grep -q "Security.evtx" "$tmp/out" && grep -q "Regsvr32.EXE Calling of DllRegisterServer" "$tmp/out" &&
	grep -q '^runs' "$tmp/out" && pass "--state-report: logs, runs, hits per rule"
printf 'not a database' >"$tmp/junk.db"
run 2 "$EVTXHUNT" -q --state "$tmp/junk.db" "$log" && grep -q "not an evtxhunt state file" "$tmp/err" &&
	pass "a state that is not ours is refused"
finish
