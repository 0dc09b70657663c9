#!/bin/sh
# Sweeps: the time and computer filters, shards merged back into the
# single run's timeline byte for byte, and JSON Lines Timesketch imports.
# mixed.evtx's seven hits are one a day, 2024-03-01 to 03-07 at 10:00:00.5,
# alternately on HOST-0 and HOST-1.
. "$E2E_LIB"
log=$TESTDATA/logs/mixed.evtx

# --- filters -----------------------------------------------------------------------
expect_status 1 "$EVTXHUNT" -q -f jsonl --from 2024-03-03 --to 2024-03-05 --stats-json "$tmp/s.json" "$log"
expect_hits "603 904 1205" "--from and --to as dates (--to: the whole day)"
expect_contains "$tmp/s.json" '"chunks_filtered":[1-9]' "chunks outside the range are not parsed"
expect_status 1 "$EVTXHUNT" -q -f jsonl --from 2024-03-03T10:00:00.5Z --to 2024-03-05T10:00:00.5Z "$log"
expect_hits "603 904 1205" "bounds are inclusive, to the 100 ns"
expect_status 1 "$EVTXHUNT" -q -f jsonl --from 2024-03-03T10:00:00.6Z --to 2024-03-05T09:59 "$log"
expect_hits "904" "bounds exclude what is outside"
expect_status 1 "$EVTXHUNT" -q -f jsonl --computer host-1 "$log"
expect_hits "302 904 1506" "--computer, any case"
expect_status 1 "$EVTXHUNT" -q -f jsonl --computer HOST-0 --computer nope --to 2024-03-03 "$log"
expect_hits "1 603" "--computer repeated, with --to"
expect_status 0 "$EVTXHUNT" -q -f jsonl --from 7d "$log"
expect_hits "" "--from 7d: nothing from 2024"
expect_status 1 "$EVTXHUNT" -q -f jsonl --from 99999d "$log"
expect_hits "1 302 603 904 1205 1506 1807" "--from 99999d: everything"
expect_status 1 "$EVTXHUNT" -q -f jsonl --no-prefilter --from 2024-03-06 "$log"
expect_hits "1506 1807" "filters without the prefilter"
expect_status 2 "$EVTXHUNT" --from yesterday "$log"
expect_contains "$tmp/err" "neither an ISO-8601 UTC time" "a bad time is refused"
expect_status 2 "$EVTXHUNT" --from 2024-03-05 --to 2024-03-04 "$log"
expect_contains "$tmp/err" "after --to" "an empty range is refused"

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
		expect_true "$format: the single run has hits" test -s "$tmp/single"
		expect_status 1 "$EVTXHUNT" -q --merge -f "$format" "$tmp"/shard*.jsonl
		expect_same "$tmp/out" "$tmp/single" "$n shards merged, $format"
	done
	rm -f "$tmp"/shard*.jsonl
done
expect_status 1 "$EVTXHUNT" -q -f jsonl --shard 2/3 --stats-json "$tmp/s.json" "$logs"
files=$(stat_of "$tmp/s.json" files)
others=$(stat_of "$tmp/s.json" files_other_shards)
expect_true "a shard reads some logs: ${files:-none}" test "${files:-0}" -gt 0
expect_eq "$((${files:-0} + ${others:-0}))" "$(ls "$logs"/*.evtx | wc -l)" "a shard reads its logs and counts the others"
expect_status 2 "$EVTXHUNT" --shard 4/3 "$logs" # refused
expect_status 2 "$EVTXHUNT" --shard x "$logs"   # refused
printf '{"timestamp":"2024-03-01T10:00:00Z"}\nnot json\n' >"$tmp/bad.jsonl"
expect_status 1 "$EVTXHUNT" -q -f jsonl "$log"
cp "$tmp/out" "$tmp/good.jsonl"
expect_status 2 "$EVTXHUNT" -q --merge -f jsonl "$tmp/bad.jsonl" "$tmp/good.jsonl"
expect_same "$tmp/out" "$tmp/good.jsonl" "merge skips bad lines"
expect_contains "$tmp/err" 'bad.jsonl: line 1, column [0-9]*: not an evtxhunt hit' "bad line 1 named with line and column"
expect_contains "$tmp/err" 'bad.jsonl: line 2, column 1:' "bad line 2 named with line and column"

# --- merge keeps what the output of other kinds is made from ------------------------
# A network connection and an unknown kind, read back: merging the merged
# JSON Lines again gives the same output in every format.
cat >"$tmp/kinds.jsonl" <<'KINDS'
{"timestamp":"2024-05-01T12:00:00Z","file":"n.evtx","record_id":1,"computer":"WS7","channel":"Microsoft-Windows-Sysmon/Operational","event_id":3,"rule_id":"n-1","rule_title":"Net","level":"high","rule_category":"network_connection","rule_product":"windows","rule_fields":["DestinationIp"],"fields":{"Image":"C:\\a.exe","DestinationIp":"8.8.8.8","DestinationPort":"53"}}
{"timestamp":"2024-05-01T12:00:01Z","file":"n.evtx","record_id":2,"computer":"WS7","channel":"Other","event_id":77,"rule_id":"u-1","rule_title":"Unknown","rule_category":"new_kind","rule_fields":["B"],"fields":{"A":"1","B":"2"}}
KINDS
expect_status 1 "$EVTXHUNT" -q --merge -f jsonl "$tmp/kinds.jsonl"
cp "$tmp/out" "$tmp/kinds2.jsonl"
expect_contains "$tmp/kinds2.jsonl" '"message":"Unknown \[-\] on WS7: B: 2 .. A: 1"' "an unknown kind: the tested field first"
for format in jsonl csv table; do
	expect_status 1 "$EVTXHUNT" -q --merge -f "$format" "$tmp/kinds.jsonl"
	cp "$tmp/out" "$tmp/once"
	expect_status 1 "$EVTXHUNT" -q --merge -f "$format" "$tmp/kinds2.jsonl"
	expect_same "$tmp/out" "$tmp/once" "other kinds merged twice, $format"
done

# --- progress: on a terminal only, never with -q ---------------------------------------
expect_status 1 "$EVTXHUNT" -f jsonl "$TESTDATA/logs"
expect_not_contains "$tmp/err" "files, " "no progress line when stderr is not a terminal"
expect_contains "$tmp/err" "hits per computer:" "the summary lists hits per computer"
expect_contains "$tmp/err" "HOST-0" "the summary names HOST-0"
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1; then
	script -qec "'$EVTXHUNT' -f jsonl -o '$tmp/p.jsonl' '$TESTDATA/logs'" /dev/null >"$tmp/tty" 2>&1 || true
	nlogs=$(ls "$TESTDATA"/logs/*.evtx | wc -l | tr -d ' ') # the fixtures grow
	expect_contains "$tmp/tty" "evtxhunt: [0-9]*/$nlogs files, .* MB, .* MB/s, ETA .*, [0-9]* hits" "a progress line on a terminal"
	script -qec "'$EVTXHUNT' -q -f jsonl -o '$tmp/q.jsonl' '$TESTDATA/logs'" /dev/null >"$tmp/tty" 2>&1 || true
	expect_not_contains "$tmp/tty" "files, " "no progress line with -q"
	expect_true "-q on a terminal: the report written" test -s "$tmp/q.jsonl"
else
	echo "no pseudo-terminal here (script(1) cannot open one): the progress line is not tested"
fi

# --- Timesketch: message, datetime, timestamp_desc on every line ------------------------
expect_status 1 "$EVTXHUNT" -q -f jsonl "$log"
expect_count 7 "$tmp/out" '' "Timesketch: seven lines"
if command -v python3 >/dev/null 2>&1; then
	expect_true "Timesketch keys on every line" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["datetime"] == o["timestamp"] and o["timestamp_desc"] == "Event Time", o
    assert o["message"].startswith(o["rule_title"] + " [" + o["level"] + "] on " + o["computer"]), o["message"]
' "$tmp/out"
else
	echo "python3 absent: the Timesketch keys are not checked"
fi
finish
