#!/bin/sh
# Sweeps: the time and computer filters, shards merged back into the
# single run's timeline byte for byte, and JSON Lines Timesketch imports.
# mixed.evtx's seven hits are one a day, 2024-03-01 to 03-07 at 10:00:00.5,
# alternately on HOST-0 and HOST-1.
. "$E2E_LIB"
log=$TESTDATA/logs/mixed.evtx
hits() {
	grep -o '"record_id":[0-9]*' "$tmp/out" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//'
}
expect() { # WHAT IDS
	if [ "$(hits)" = "$2" ]; then pass "$1"; else fail "$1: hits '$(hits)', expected '$2'"; fi
}

# --- filters -----------------------------------------------------------------------
run 1 "$EVTXHUNT" -q -f jsonl --from 2024-03-03 --to 2024-03-05 --stats-json "$tmp/s.json" "$log" &&
	expect "--from and --to as dates (--to: the whole day)" "603 904 1205"
grep -q '"chunks_filtered":[1-9]' "$tmp/s.json" && pass "chunks outside the range are not parsed" ||
	fail "no chunk filtered: $(cat "$tmp/s.json")"
run 1 "$EVTXHUNT" -q -f jsonl --from 2024-03-03T10:00:00.5Z --to 2024-03-05T10:00:00.5Z "$log" &&
	expect "bounds are inclusive, to the 100 ns" "603 904 1205"
run 1 "$EVTXHUNT" -q -f jsonl --from 2024-03-03T10:00:00.6Z --to 2024-03-05T09:59 "$log" &&
	expect "bounds exclude what is outside" "904"
run 1 "$EVTXHUNT" -q -f jsonl --computer host-1 "$log" && expect "--computer, any case" "302 904 1506"
run 1 "$EVTXHUNT" -q -f jsonl --computer HOST-0 --computer nope --to 2024-03-03 "$log" &&
	expect "--computer repeated, with --to" "1 603"
run 0 "$EVTXHUNT" -q -f jsonl --from 7d "$log" && expect "--from 7d: nothing from 2024" ""
run 1 "$EVTXHUNT" -q -f jsonl --from 99999d "$log" && expect "--from 99999d: everything" "1 302 603 904 1205 1506 1807"
run 1 "$EVTXHUNT" -q -f jsonl --no-prefilter --from 2024-03-06 "$log" && expect "filters without the prefilter" "1506 1807"
run 2 "$EVTXHUNT" --from yesterday "$log" && grep -q "neither an ISO-8601 UTC time" "$tmp/err" && pass "a bad time is refused"
run 2 "$EVTXHUNT" --from 2024-03-05 --to 2024-03-04 "$log" && grep -q "after --to" "$tmp/err" &&
	pass "an empty range is refused"

# --- shards and merge ----------------------------------------------------------------
logs=$TESTDATA/logs
for n in 1 3 7; do
	k=1
	while [ "$k" -le "$n" ]; do
		set +e
		"$EVTXHUNT" -q -f jsonl --shard "$k/$n" "$logs" >"$tmp/shard$k.jsonl" 2>/dev/null
		set -e
		k=$((k + 1))
	done
	for format in jsonl csv table; do
		set +e
		"$EVTXHUNT" -q -f "$format" "$logs" >"$tmp/single" 2>/dev/null
		set -e
		run 1 "$EVTXHUNT" -q --merge -f "$format" "$tmp"/shard*.jsonl && same "$tmp/out" "$tmp/single" "$n shards merged, $format"
	done
	rm -f "$tmp"/shard*.jsonl
done
run 1 "$EVTXHUNT" -q -f jsonl --shard 2/3 --stats-json "$tmp/s.json" "$logs"
files=$(grep -o '"files":[0-9]*' "$tmp/s.json" | cut -d: -f2)
others=$(grep -o '"files_other_shards":[0-9]*' "$tmp/s.json" | cut -d: -f2)
[ $((files + others)) -eq "$(ls "$logs"/*.evtx | wc -l)" ] && pass "a shard reads its logs and counts the others"
run 2 "$EVTXHUNT" --shard 4/3 "$logs" && pass "--shard 4/3 refused"
run 2 "$EVTXHUNT" --shard x "$logs" && pass "--shard x refused"
printf '{"timestamp":"2024-03-01T10:00:00Z"}\nnot json\n' >"$tmp/bad.jsonl"
"$EVTXHUNT" -q -f jsonl "$log" >"$tmp/good.jsonl" || true
run 2 "$EVTXHUNT" -q --merge -f jsonl "$tmp/bad.jsonl" "$tmp/good.jsonl" && same "$tmp/out" "$tmp/good.jsonl" "merge skips bad lines"
grep -q 'bad.jsonl: line 1, column [0-9]*: not an evtxhunt hit' "$tmp/err" && grep -q 'bad.jsonl: line 2, column 1:' "$tmp/err" &&
	pass "bad lines named with line and column"

# --- progress: on a terminal only, never with -q ---------------------------------------
run 1 "$EVTXHUNT" -f jsonl "$TESTDATA/logs" && ! grep -q "files, " "$tmp/err" && pass "no progress line when stderr is not a terminal"
grep -q "hits per computer:" "$tmp/err" && grep -q "HOST-0" "$tmp/err" && pass "the summary lists hits per computer"
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1; then
	script -qec "'$EVTXHUNT' -f jsonl -o '$tmp/p.jsonl' '$TESTDATA/logs'" /dev/null >"$tmp/tty" 2>&1 || true
	grep -aq "evtxhunt: [0-9]*/14 files, .* MB, .* MB/s, ETA .*, [0-9]* hits" "$tmp/tty" && pass "a progress line on a terminal" ||
		fail "no progress line on a terminal: $(head -c 300 "$tmp/tty")"
	script -qec "'$EVTXHUNT' -q -f jsonl -o '$tmp/q.jsonl' '$TESTDATA/logs'" /dev/null >"$tmp/tty" 2>&1 || true
	! grep -aq "files, " "$tmp/tty" && pass "none with -q"
else
	echo "no pseudo-terminal here (script(1) cannot open one): the progress line is not tested"
fi

# --- Timesketch: message, datetime, timestamp_desc on every line ------------------------
run 1 "$EVTXHUNT" -q -f jsonl "$log"
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["datetime"] == o["timestamp"] and o["timestamp_desc"] == "Event Time", o
    assert o["message"].startswith(o["rule_title"] + " [" + o["level"] + "] on " + o["computer"]), o["message"]
' "$tmp/out" && pass "Timesketch keys on every line"
fi
finish
