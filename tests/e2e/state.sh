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
	expect_status "$want" "$EVTXHUNT" -q -f jsonl --state "$state" --stats-json "$tmp/s.json" "$@"
}

# a log imaged mid-write, then again once it grew
"$EVTXGEN" --damage "truncate $((4096 + 65536 * 6 + 30000))" "$desc" "$log"
hunt 1 "$log"
expect_hits "1 302 603 904" "first run: every hit"
"$EVTXGEN" "$desc" "$log"
hunt 1 "$log"
expect_hits "1205 1506 1807" "the log grew: only the new hits"
expect_stats "$tmp/s.json" "growth" chunks_unchanged=6 hits_known=1
hunt 0 "$log"
expect_hits "" "unchanged: nothing"
expect_stats "$tmp/s.json" "unchanged" files_unchanged=1 chunks=0

# wrap-around: the oldest chunk overwritten by newer records
"$EVTXGEN" "$TESTDATA/fixtures/seed_rule.txt" "$tmp/other.evtx"
dd if="$tmp/other.evtx" of="$log" bs=4096 skip=1 seek=1 count=16 conv=notrunc status=none
hunt 1 "$log"
expect_true "wrapped: the overwritten chunk's hits reported: $(hits)" test -n "$(hits)"
expect_stats "$tmp/s.json" "wrapped" chunks_unchanged=12
# cleared and replaced by another log under the same name
cp "$TESTDATA/logs/security_4688.evtx" "$log"
hunt 1 "$log"
expect_contains "$tmp/err" "none of its chunks is as at the last run: the log was cleared" "a cleared log is recognised"
expect_true "a cleared log: its new hits reported: $(hits)" test -n "$(hits)"

# (each scenario below on a state of its own: they reuse the same events)
# a filtered run reports its hits but covers nothing: the full run after
# it still scans everything and reports the rest
state=$tmp/filtered.db
"$EVTXGEN" "$desc" "$tmp/filtered.evtx"
hunt 1 --from 2024-03-06 "$tmp/filtered.evtx"
expect_hits "1506 1807" "a filtered run"
hunt 1 "$tmp/filtered.evtx"
expect_hits "1 302 603 904 1205" "then an unfiltered one: the rest"

# rotation: the full log archived under another name, a new one begun
state=$tmp/rotation.db
"$EVTXGEN" "$desc" "$tmp/rot.evtx"
hunt 1 "$tmp/rot.evtx"
expect_hits "1 302 603 904 1205 1506 1807" "before rotation"
mv "$tmp/rot.evtx" "$tmp/Archive-rot-2024-03-08.evtx"
"$EVTXGEN" "$TESTDATA/fixtures/seed_rule.txt" "$tmp/rot.evtx"
hunt 1 "$tmp/Archive-rot-2024-03-08.evtx" "$tmp/rot.evtx"
hits | tr ' ' '\n' >"$tmp/ids"
expect_not_contains "$tmp/ids" '^1807$' "rotated: the archive reports nothing again"
expect_contains "$tmp/out" '/rot.evtx"' "rotated: the new log its hits"
expect_stats "$tmp/s.json" "rotated" chunks_unchanged=13

# rules: one more rule rescans, fewer rules do not
state=$tmp/rules.db
"$EVTXGEN" "$desc" "$tmp/rules.evtx"
hunt 1 "$tmp/rules.evtx"
expect_hits "1 302 603 904 1205 1506 1807" "a new log"
mkdir "$tmp/rules"
cp "$TESTDATA/../rules/proc_creation_win_regsvr32_dllregisterserver_exec.yml" "$TESTDATA/rules/never_matches.yml" "$tmp/rules/"
hunt 0 -r "$tmp/rules" "$tmp/rules.evtx"
expect_hits "" "a rule added: rescanned, no hit reported twice"
expect_stats "$tmp/s.json" "rule added" files_unchanged=0 chunks_unchanged=0 hits_known=7
hunt 0 "$tmp/rules.evtx"
expect_stats "$tmp/s.json" "a rule removed: nothing to rescan" files_unchanged=1

# a run killed mid-scan changes nothing; the next one reports everything once
if [ -f "${RESIZE_PRELOAD:-}" ]; then
	state=$tmp/killed.db
	"$EVTXGEN" "$desc" "$tmp/killed.evtx"
	set +e
	RESIZE_PATH=$tmp/killed.evtx RESIZE_AT=$((4096 + 65536 * 8)) RESIZE_TO=kill LD_PRELOAD=$RESIZE_PRELOAD \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$EVTXHUNT" -q -j1 -f jsonl --state "$state" "$tmp/killed.evtx" >"$tmp/out" 2>"$tmp/err"
	st=$?
	set -e
	# (dash writes "Killed" to the command's stderr: not evtxhunt's)
	expect_eq "$st" 137 "SIGKILL mid-scan: status"
	expect_empty "$tmp/out" "SIGKILL mid-scan: nothing printed"
	grep -v '^Killed$' "$tmp/err" >"$tmp/err.ours" || true
	expect_empty "$tmp/err.ours" "SIGKILL mid-scan: no message"
	hunt 1 "$tmp/killed.evtx"
	expect_hits "1 302 603 904 1205 1506 1807" "after the kill: every hit, once"
	hunt 0 "$tmp/killed.evtx"
	expect_hits "" "and then none"

	# killed after checkpoints (one per chunk here): the next run redoes only
	# what was not committed and delivers the hits the killed run found
	state=$tmp/checkpoint.db
	"$EVTXGEN" "$desc" "$tmp/checkpoint.evtx"
	set +e
	EVTXHUNT_STATE_CHECKPOINT=1 RESIZE_PATH=$tmp/checkpoint.evtx RESIZE_AT=$((4096 + 65536 * 10)) RESIZE_TO=kill \
		LD_PRELOAD=$RESIZE_PRELOAD ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$EVTXHUNT" -q -j1 -f jsonl --state "$state" "$tmp/checkpoint.evtx" >"$tmp/out" 2>"$tmp/err"
	st=$?
	set -e
	expect_eq "$st" 137 "killed after checkpoints: status"
	expect_empty "$tmp/out" "killed after checkpoints: nothing printed"
	grep -v '^Killed$' "$tmp/err" >"$tmp/err.ours" || true
	expect_empty "$tmp/err.ours" "killed after checkpoints: no message"
	expect_status 1 "$EVTXHUNT" -f jsonl --state "$state" --stats-json "$tmp/s.json" "$tmp/checkpoint.evtx"
	expect_hits "1 302 603 904 1205 1506 1807" "the next run: every hit, once"
	expect_contains "$tmp/s.json" '"chunks_unchanged":[1-9]' "the committed chunks were not scanned again"
	expect_contains "$tmp/err" "hits found by an interrupted run, not reported then, are in this report" \
		"the killed run's hits delivered, and said so"
	hunt 0 "$tmp/checkpoint.evtx"
	expect_hits "" "and then none"

	# a second run while the first holds the state
	state=$tmp/busy.db
	"$EVTXGEN" "$desc" "$tmp/busy.evtx"
	RESIZE_PATH=$tmp/busy.evtx RESIZE_AT=$((4096 + 65536 * 8)) RESIZE_TO=stop LD_PRELOAD=$RESIZE_PRELOAD \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$EVTXHUNT" -q -j1 -f jsonl --state "$state" "$tmp/busy.evtx" >"$tmp/first" 2>&1 &
	first=$!
	# the run and all its descendants: the hunt's process under the
	# supervising one (isolation), under a wrapper script when make
	# check-break runs; the one the shim stops is one of those
	# (read from /proc: ps is not on every machine, and without it a
	# stopped child would never be continued)
	family() {
		known=" $first "
		echo "$first"
		grew=yes
		while [ "$grew" = yes ]; do
			grew=no
			for procstat in /proc/[0-9]*/stat; do
				pid=${procstat#/proc/}
				pid=${pid%/stat}
				# the fields after "(comm) ": state, then the parent's pid
				ppid=$(sed -n 's/.*) [A-Za-z] \([0-9]*\) .*/\1/p' "$procstat" 2>/dev/null || true)
				case $known in *" $pid "*) continue ;; esac
				case $known in *" ${ppid:-none} "*)
					known="$known$pid "
					echo "$pid"
					grew=yes
					;;
				esac
			done
		done
	}
	# wait (up to 30 s; not a timing assumption) until the shim has stopped it
	n=0
	pstate=
	while [ $n -lt 300 ]; do
		pstate=
		for p in $(family); do
			if [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null || true)" = T ]; then pstate=T; fi
		done
		if [ "$pstate" = T ] || [ ! -d "/proc/$first" ]; then break; fi
		sleep 0.1
		n=$((n + 1))
	done
	expect_eq "$pstate" T "the first run holds the state, stopped mid-scan"
	hunt 2 "$tmp/busy.evtx"
	expect_contains "$tmp/err" "in use by another evtxhunt run" "a concurrent run is refused"
	for p in $(family); do
		kill -CONT "$p" 2>/dev/null || true # (gone already: the checks below say so)
	done
	set +e
	wait "$first"
	st=$?
	set -e
	expect_eq "$st" 1 "the first run then ends normally: status"
	expect_count 7 "$tmp/first" record_id "the first run then ends normally: its hits"
	hunt 0 "$tmp/busy.evtx"
	expect_hits "" "its hits are known"
fi

expect_status 0 "$EVTXHUNT" --state-report "$tmp/state.db"
expect_contains "$tmp/out" "Security.evtx" "--state-report: logs"
expect_contains "$tmp/out" "Regsvr32.EXE Calling of DllRegisterServer" "--state-report: hits per rule"
expect_contains "$tmp/out" '^runs' "--state-report: runs"
printf 'not a database' >"$tmp/junk.db"
expect_status 2 "$EVTXHUNT" -q --state "$tmp/junk.db" "$log"
expect_contains "$tmp/err" "not an evtxhunt state file" "a state that is not ours is refused"
finish
