#!/bin/sh
# Correlation rules (issue 14) on testdata/logs/correlation.evtx
# (testdata/fixtures/correlation.txt says what each event is for) with the
# rules of testdata/correlation/. The expected hits are written by hand
# below, each with why; the same with -j1 and -j2, with and without the
# prefilter; in every format; and the correlations that cannot be used
# are named with file:line:column.
. "$E2E_LIB"
log=$TESTDATA/logs/correlation.evtx
rules=$TESTDATA/correlation

# rows FILE: "TIME RULE-ID" for each JSON line of FILE
rows() {
	sed -n 's/^{"timestamp":"\([^"]*\)".*"rule_id":"\([^"]*\)".*/\1 \2/p' "$1"
}
# row FILE TIME ID: the JSON line of rule ID at TIME
row() {
	grep "^{\"timestamp\":\"2024-06-01T$2.0000000Z\".*\"rule_id\":\"$3\"" "$1" >"$tmp/row" || true
}

expect_status 0 "$EVTXHUNT" --check-rules -r "$rules"
expect_contains "$tmp/out" '^6 correlation rules can be used$' "check-rules: every correlation of the set can be used"
expect_contains "$tmp/out" '^8 loaded, 0 rejected$' "check-rules: 8 rules (and the 6 correlations)"

expect_status 1 "$EVTXHUNT" -r "$rules" -f jsonl -j1 --stats-json "$tmp/stats.json" "$log"
cp "$tmp/out" "$tmp/j1.jsonl"
expect_contains "$tmp/stats.json" '"correlations_usable":6,"correlation_hits":9,' "--stats-json: 6 correlations, 9 correlation hits (the a-rows below)"
cp "$tmp/err" "$tmp/j1.err"
rows "$tmp/j1.jsonl" >"$tmp/rows"
# Ids: base rules 6a0e6b48-...-00000000NNNN (NNNN the event id), the
# correlations 0b9b4c1e-...-0000000000aN (a1 brute force, a2 spraying, a3
# brute force then logon, a4 account persistence, a5 lateral movement, a6
# privileged logons in a range). A correlation hit is timed at the event
# that made its condition hold.
B=6a0e6b48-5b6c-4d8a-9e40-00000000 C=0b9b4c1e-7f0e-4a57-9c1e-0000000000
cat >"$tmp/want" <<EOF
2024-06-01T09:50:00.0000000Z ${B}4624
2024-06-01T10:02:00.0000000Z ${C}a1
2024-06-01T10:05:00.0000000Z ${C}a3
2024-06-01T10:05:00.0000000Z ${B}4624
2024-06-01T11:04:00.0000000Z ${B}4624
2024-06-01T14:00:04.0000000Z ${C}a1
2024-06-01T15:00:30.0000000Z ${C}a2
2024-06-01T16:59:00.0000000Z ${B}4624
2024-06-01T17:01:04.0000000Z ${C}a1
2024-06-01T18:10:00.0000000Z ${C}a4
2024-06-01T19:20:00.0000000Z ${C}a5
2024-06-01T20:20:00.0000000Z ${C}a6
2024-06-01T21:02:00.0000000Z ${C}a6
EOF
# Why, row by row:
#  4624 rows: a3 (generate: true) shows the rules it refers to, so every
#    successful logon is there; 4625, 4720, 4732, 4648, 7045, Sysmon 1 and
#    4672 are held back (their correlations leave generate false).
#  a1 10:02: alice's 5th failure (09:58 .. 10:02, across the hour); the 6th
#    at 10:03 extends that burst, not a second hit. bob (4 failures) is one
#    short; carol's 5 span 5m01s; dave and erin interleaved are 3 each.
#  a3 10:05: alice's brute force, then her 4624 within 10m (at the same
#    time as the 4624 row, before it: its first event is record 1002).
#    frank's 4624 comes before his brute force: no a3 for him.
#  a1 14:00:04: alice again, hours later: a second burst.
#  a2 15:00:30: 10.0.0.66 fails u1, u2, u3, u4 in 30 s; 10.0.0.77 fails 6
#    times but only v1..v3.
#  a1 17:01:04: frank's 5 failures in 4 s.
#  a4 18:10: eve's 4720 (TargetSid) then 4732 (MemberSid), through the
#    alias; mallory's 4732 is 20 minutes after, outside 15m.
#  a5 19:20: WS01 has 4648, 7045, whoami in order; WS02 in reverse.
#  a6 20:20: svc_backup's 3rd 4672 (more than 2, at most 4); 21:02:
#    admin's 3rd; his 5th makes 5, out of the range, and ends the burst.
expect_same "$tmp/rows" "$tmp/want" "correlation hits and shown rule hits, in time order"

row "$tmp/j1.jsonl" 10:02:00 "${C}a1"
expect_contains "$tmp/row" '"TargetUserName":"alice","correlation_type":"event_count","count":"6"' "a1: alice, 6 failures at most in one window"
expect_contains "$tmp/row" '"first_event":"2024-06-01T09:58:00.0000000Z","last_event":"2024-06-01T10:03:00.0000000Z","events":"6"' "a1: first and last event, 6 contributing"
expect_contains "$tmp/row" '"contributing_events":"[^"]*/correlation.evtx#1002,1003,1004,1005,1006,1007"' "a1: every contributing event, file and record"
expect_contains "$tmp/row" '"level":"high"' "a1: the correlation's level"
row "$tmp/j1.jsonl" 15:00:30 "${C}a2"
expect_contains "$tmp/row" '"IpAddress":"10.0.0.66","correlation_type":"value_count","count":"4","values":"u1, u2, u3, u4"' "a2: 4 distinct accounts"
expect_contains "$tmp/row" '"events":"5"' "a2: u1's second failure extends the burst"
row "$tmp/j1.jsonl" 10:05:00 "${C}a3"
expect_contains "$tmp/row" '"level":"critical".*"events":"2"' "a3: the chain lists the brute-force hit and the logon"
row "$tmp/j1.jsonl" 18:10:00 "${C}a4"
expect_contains "$tmp/row" '"account":"S-1-5-21-1-2-3-1337".*"events":"3"' "a4: grouped by the alias, 3 events"
row "$tmp/j1.jsonl" 19:20:00 "${C}a5"
expect_contains "$tmp/row" '"computer":"WS01.corp.example"' "a5: one computer"
row "$tmp/j1.jsonl" 21:02:00 "${C}a6"
expect_contains "$tmp/row" '"count":"4".*"last_event":"2024-06-01T21:03:00.0000000Z","events":"4"' "a6: the range holds at the 3rd and 4th only"
expect_contains "$tmp/j1.err" "Password spraying.*: 1 events of its rules lack a group-by field; not counted" "the failure without IpAddress is said, not dropped silently"
expect_contains "$tmp/j1.err" '^evtxhunt:  *3  Brute force' "summary: hits per correlation rule"

# --min-level: a correlation below it is set aside, and the rules only it
# refers to; a kept correlation keeps the rules (and correlations) it
# refers to, whatever their level. critical keeps a3 alone, then brute_force
# (high, a3 refers to it) and failed_logon and successful_logon (low)
expect_status 1 "$EVTXHUNT" -r "$rules" -f jsonl --min-level critical "$log"
expect_contains "$tmp/err" "10 rules set aside by --min-level" "--min-level critical: 4 correlations and the 6 rules only they need"
grep -v " ${C}a[2456]\$" "$tmp/want" >"$tmp/want.critical"
rows "$tmp/out" >"$tmp/rows.critical"
expect_same "$tmp/rows.critical" "$tmp/want.critical" "--min-level critical: a3, the brute force it chains and the 4624 it shows"

# the same whatever the threads and the prefilter
expect_status 1 "$EVTXHUNT" -r "$rules" -f jsonl -j2 "$log"
expect_same "$tmp/out" "$tmp/j1.jsonl" "-j2 gives what -j1 gives"
expect_status 1 "$EVTXHUNT" -r "$rules" -f jsonl -j2 --no-prefilter "$log"
expect_same "$tmp/out" "$tmp/j1.jsonl" "--no-prefilter gives the same"
# the timeline spilled to disk (a hit in memory at a time): read back in
# order, once per level of the chain
expect_status 1 env EVTXHUNT_SPILL_LIMIT=1 "$EVTXHUNT" -r "$rules" -f jsonl -j2 "$log"
expect_same "$tmp/out" "$tmp/j1.jsonl" "a spilled timeline gives the same"
expect_contains "$tmp/err" "hits spilled to a temporary file" "the timeline was spilled"
# two copies of the log, scanned in parallel: each event twice, in one
# timeline: bob's 4 failures are 8 now, carol's 4 in the window 8, dave's
# and erin's 3 are 6: 7 brute-force hits, alice's first burst one of them
mkdir "$tmp/two"
cp "$log" "$tmp/two/a.evtx"
cp "$log" "$tmp/two/b.evtx"
expect_status 1 "$EVTXHUNT" -r "$rules" -f jsonl -j2 "$tmp/two"
expect_count 7 "$tmp/out" "\"rule_id\":\"${C}a1\"" "two copies: 7 brute-force hits"
row "$tmp/out" 10:02:00 "${C}a1"
expect_count 0 "$tmp/row" '' "two copies: alice's 5th failure comes sooner (two at each time)"
row "$tmp/out" 10:00:00 "${C}a1"
expect_contains "$tmp/row" '"events":"12".*"contributing_events":"[^"]*a.evtx#1002; [^"]*b.evtx#1002; [^"]*a.evtx#1003;' "two copies: alice's first burst has 12 events from two files, in time order"

cp "$tmp/out" "$tmp/two.jsonl"
# shards write every rule's hits; --merge -r correlates across them and
# gives what one run over both logs gives, byte for byte
expect_status 1 "$EVTXHUNT" -r "$rules" -f jsonl --shard 1/2 "$tmp/two"
cp "$tmp/out" "$tmp/s1.jsonl"
expect_contains "$tmp/err" "correlation rules are not evaluated here but by --merge" "a shard says it leaves correlation to --merge"
expect_count 67 "$tmp/s1.jsonl" '' "a shard writes a hit per event of its log, none held back"
expect_count 0 "$tmp/s1.jsonl" "\"rule_id\":\"${C}" "a shard writes no correlation hit"
expect_status 1 "$EVTXHUNT" -r "$rules" -f jsonl --shard 2/2 "$tmp/two"
cp "$tmp/out" "$tmp/s2.jsonl"
expect_status 1 "$EVTXHUNT" --merge -r "$rules" -f jsonl "$tmp/s1.jsonl" "$tmp/s2.jsonl"
expect_same "$tmp/out" "$tmp/two.jsonl" "--merge -r over two shards gives the unsharded run"
expect_status 1 "$EVTXHUNT" --merge -f jsonl "$tmp/s1.jsonl" "$tmp/s2.jsonl"
expect_count 134 "$tmp/out" '' "--merge without -r: the shards' hits as they are"

# --state: a run killed after checkpoints leaves hits it found but never
# reported; the next run carries them (their rules rebuilt from JSON
# lines) into the correlation with the hits of the chunks it scans: 3
# failures (in the chunks committed before the kill) and 2 are one burst.
: "${EVTXGEN:?run through make check}"
# the kill comes from an LD_PRELOAD shim, which a static binary ignores
if [ -f "${RESIZE_PRELOAD:-}" ]; then
	for t in 09:58:00 09:59:00 10:00:00 10:01:00 10:02:00; do
		printf 'event\nprovider Microsoft-Windows-Security-Auditing\nguid {54849625-5478-4994-A5BA-3E3B0328C30D}\n'
		printf 'channel Security\nid 4625\ntime 2024-06-01T%s.0000000Z\ncomputer DC01\n' "$t"
		printf 'data TargetUserName=alice\ndata IpAddress=10.0.0.5\nend\n'
		# 1500 logoffs no rule wants: the next failure 3 or 4 chunks on
		printf 'repeat 1500\nevent\nprovider Microsoft-Windows-Security-Auditing\nguid {54849625-5478-4994-A5BA-3E3B0328C30D}\n'
		printf 'channel Security\nid 4634\ntime 2024-06-01T%s.5000000Z\ncomputer DC01\ndata TargetUserName=x\nend\n' "$t"
	done >"$tmp/state.txt"
	"$EVTXGEN" "$tmp/state.txt" "$tmp/state.evtx"
	set +e
	EVTXHUNT_STATE_CHECKPOINT=1 RESIZE_PATH=$tmp/state.evtx RESIZE_AT=$((4096 + 65536 * 15)) RESIZE_TO=kill \
		LD_PRELOAD=$RESIZE_PRELOAD ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$EVTXHUNT" -q -j1 -r "$rules" -f jsonl --state "$tmp/state.db" "$tmp/state.evtx" >"$tmp/out" 2>"$tmp/err"
	st=$?
	set -e
	expect_eq "$st" 137 "--state: the first run is killed at chunk 15 (of 17)"
	expect_status 1 "$EVTXHUNT" -r "$rules" -f jsonl --state "$tmp/state.db" "$tmp/state.evtx"
	expect_contains "$tmp/err" "3 hits found by an interrupted run" "--state: the killed run's 3 failures are carried"
	expect_eq "$(rows "$tmp/out")" "2024-06-01T10:02:00.0000000Z ${C}a1" "--state: carried and new failures are one brute-force hit, the failures held back"
	row "$tmp/out" 10:02:00 "${C}a1"
	expect_contains "$tmp/row" '"events":"5"' "--state: all 5 failures contribute"
else
	echo "SKIP (part): the killed --state run needs the LD_PRELOAD shim (a static binary ignores it)"
fi

# --state sweeps: a burst that spans two runs is found (the first run's
# failures are kept in the state as context), and a hit is not reported
# twice (a burst started by an earlier run's events is that run's)
fail4625() { # TIME RECORD USER COMPUTER
	printf 'event\nprovider Microsoft-Windows-Security-Auditing\nguid {54849625-5478-4994-A5BA-3E3B0328C30D}\n'
	printf 'channel Security\nid 4625\ntime 2024-06-01T%s.0000000Z\ncomputer %s\nrecord %s\n' "$1" "$4" "$2"
	printf 'data TargetUserName=%s\ndata IpAddress=10.0.0.5\nend\n' "$3"
}
mkdir "$tmp/sweep"
# alice fails on DC01; bob on DC02, hours later (the state keeps each
# computer's last horizon: 1h, the longest timespan, times 2, the deepest chain)
{ fail4625 09:58:00 1 alice DC01; fail4625 09:59:00 2 alice DC01; fail4625 10:00:00 3 alice DC01
  for i in 0 1 2 3 4 5; do fail4625 12:0$i:00 $((i + 4)) bob DC02; done; } >"$tmp/night1.txt"
{ fail4625 10:01:00 1 alice DC01; fail4625 10:02:00 2 alice DC01; fail4625 12:06:30 3 bob DC02; } >"$tmp/night2.txt"
"$EVTXGEN" "$tmp/night1.txt" "$tmp/sweep/night1.evtx"
sweep() { expect_status "$1" "$EVTXHUNT" -r "$rules" -f jsonl --state "$tmp/sweep.db" "$tmp/sweep"; }
sweep 1
# alice: 3 failures, none yet; bob: 6 in 5 minutes, a hit at his 5th
expect_eq "$(rows "$tmp/out")" "2024-06-01T12:04:00.0000000Z ${C}a1" "--state night 1: bob's burst"
"$EVTXGEN" "$tmp/night2.txt" "$tmp/sweep/night2.evtx"
sweep 1
# alice's 2 more make 5 with night 1's 3: a hit at 10:02; bob's 7th
# extends the burst night 1 reported: not again
expect_eq "$(rows "$tmp/out")" "2024-06-01T10:02:00.0000000Z ${C}a1" "--state night 2: alice's burst across the nights, bob's not again"
row "$tmp/out" 10:02:00 "${C}a1"
expect_contains "$tmp/row" '"first_event":"2024-06-01T09:58:00.0000000Z".*"events":"5".*night1.evtx#1,2,3; [^"]*night2.evtx#1,2"' "--state night 2: the hit lists both nights' events"
expect_contains "$tmp/err" "1 hits started in an earlier run (--state): not again" "--state night 2: bob's said, not reported"
sweep 0
expect_empty "$tmp/out" "--state night 3: nothing new, nothing reported"

# table and CSV: the count and the first few, not the whole list
expect_status 1 "$EVTXHUNT" -r "$rules" --wide "$log" # long paths: not cut at 80 columns
expect_contains "$tmp/out" '^  Brute force - 5 failed logons of one account in 5 minutes$' "table: the correlation's title"
expect_contains "$tmp/out" '^  events: 6$' "table: the count of contributing events"
expect_contains "$tmp/out" '^  sample: .*/correlation.evtx#1002,1003,1004,1005,1006$' "table: the first 5 contributing events"
expect_not_contains "$tmp/out" 'contributing_events' "table: not the whole list"
expect_status 1 "$EVTXHUNT" -r "$rules" -f csv "$log"
expect_count 14 "$tmp/out" '' "csv: a header and 13 rows"
expect_contains "$tmp/out" 'Password spraying.*count: 4.*sample: ' "csv: the count and the sample in details"
expect_not_contains "$tmp/out" 'contributing_events' "csv: not the whole list"

# the specification's own example: one file, several documents, names
cat >"$tmp/spec.yml" <<'EOF'
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - TargetUserName
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - TargetUserName
    timespan: 10m
    condition:
        gte: 5
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
EOF
expect_status 1 "$EVTXHUNT" -r "$tmp/spec.yml" -f jsonl "$log"
# only alice's brute force at 10:02 is followed by a logon in 10 minutes;
# the inner rules are not generated (generate defaults to false)
expect_eq "$(rows "$tmp/out")" "2024-06-01T10:05:00.0000000Z b180ead8-d58f-40b2-ae54-c8940995b9b6" "spec example: one hit"

# correlations that cannot be used: named with file:line:column and why
mkdir "$tmp/bad"
cp "$rules/failed_logon.yml" "$rules/successful_logon.yml" "$tmp/bad/"
cat >"$tmp/bad/broken.yml" <<'EOF'
title: Unknown rule
id: bad-1
correlation:
    type: event_count
    rules:
        - failed_logon
        - no_such_rule
    timespan: 5m
    condition:
        gte: 3
---
title: Unknown type
correlation:
    type: event_sum
    rules: [failed_logon]
    timespan: 5m
---
title: Unknown operator
correlation:
    type: event_count
    rules: [failed_logon]
    timespan: 5m
    condition:
        more: 3
---
title: No field
correlation:
    type: value_count
    rules: [failed_logon]
    timespan: 5m
    condition:
        gte: 3
---
title: Cycle one
id: cycle-1
correlation:
    type: temporal
    rules: [cycle-2, failed_logon]
    timespan: 5m
---
title: Cycle two
id: cycle-2
correlation:
    type: temporal
    rules: [cycle-1, failed_logon]
    timespan: 5m
---
title: Fine
correlation:
    type: event_count
    rules: [successful_logon]
    timespan: 1h
    condition:
        gte: 2
EOF
sed 's/^id: .*/id: 11111111-2222-4333-8444-555555555555/' "$rules/successful_logon.yml" >"$tmp/bad/again.yml"
expect_status 2 "$EVTXHUNT" --check-rules -r "$tmp/bad"
b=$tmp/bad/broken.yml
expect_contains "$tmp/out" "^$b:7:11: correlation 'Unknown rule': no rule has the id or name 'no_such_rule'" "unknown referred rule"
expect_contains "$tmp/out" "^$b:14:11: unknown correlation type 'event_sum'" "unknown type"
expect_contains "$tmp/out" "^$b:24:9: unknown condition operator 'more'" "unknown operator"
expect_contains "$tmp/out" "^$b:32:9: a value_count correlation needs 'field'" "value_count without field"
expect_contains "$tmp/out" "^$b:3[0-9]:5: correlation 'Cycle .*cycle" "a cycle"
expect_contains "$tmp/out" "^$b:5[0-9]:13: correlation 'Fine': 'successful_logon' is ambiguous: 2 rules" "ambiguous referred rule"
expect_contains "$tmp/out" '^0 correlation rules can be used$' "none of them can be used"
# at the start of a run too, and the run goes on without them
expect_status 2 "$EVTXHUNT" -r "$tmp/bad" -f jsonl "$log"
expect_contains "$tmp/err" "^$b:7:11: correlation 'Unknown rule'" "the run names them on stderr"
expect_count 43 "$tmp/out" '"rule_id":"6a0e6b48-5b6c-4d8a-9e40-000000004625"' "no correlation used: the 4625 hits are not held back"
finish
