#!/bin/sh
# Over the real logs in ../shared/samples (skipped when absent): no crash,
# no hang, at least as many records as evtxexport reads from every file,
# and the seed rule's hits equal an independent reference's.
. "$E2E_LIB"
samples=${SHARED:-}/samples
[ -d "$samples" ] || skip "no samples at $samples"
command -v evtxexport >/dev/null 2>&1 || skip "evtxexport (libevtx-utils) absent"

# Every file, one at a time: the exit status must be 0, 1 or 2 (never a
# signal), within a time limit, and records >= evtxexport's.
find "$samples" -type f -name '*.evtx' | sort >"$tmp/files"
expect_true "samples found" test -s "$tmp/files"
# evtxexport's record count of every file (cached: see reader_cache.py)
if xargs -d '\n' python3 "$(dirname "$E2E_LIB")/reader_cache.py" evtxexport-count <"$tmp/files" >"$tmp/counts"; then
	pass "evtxexport counted the records of every file"
else
	fail "evtxexport's record counts: reader_cache.py failed"
fi
expect_count "$(wc -l <"$tmp/files")" "$tmp/counts" '' "a record count per file"
n=0
more=0
bad=0
while IFS= read -r f; do
	n=$((n + 1))
	rm -f "$tmp/s.json" # never the previous file's counts
	set +e
	timeout 60 "$EVTXHUNT" -q --stats-json "$tmp/s.json" "$f" >/dev/null 2>&1
	rc=$?
	set -e
	if [ "$rc" -gt 2 ]; then
		fail "exit $rc on $f"
		bad=$((bad + 1))
		continue
	fi
	live=$(stat_of "$tmp/s.json" records)
	recovered=$(stat_of "$tmp/s.json" records_recovered)
	if [ -z "$live" ]; then
		fail "$f: no record count in --stats-json"
		bad=$((bad + 1))
		continue
	fi
	theirs=$(sed -n "${n}s/ .*//p" "$tmp/counts")
	if [ -z "$theirs" ]; then
		fail "$f: no evtxexport count"
		bad=$((bad + 1))
		continue
	fi
	if [ "$live" -lt "$theirs" ]; then
		fail "$f: $live records, evtxexport reads $theirs"
		bad=$((bad + 1))
	elif [ "$live" -gt "$theirs" ]; then
		more=$((more + 1))
		echo "more than evtxexport: $f: $live > $theirs (+${recovered:-?} recovered)"
	else
		# the files where evtxexport stops early must give more
		case $f in
		*issue_201.evtx | *MSExchange_Management_wec.evtx | *CAPI2%4Operational.evtx)
			fail "$f: no more records than evtxexport ($live)"
			bad=$((bad + 1))
			;;
		esac
	fi
done <"$tmp/files"
expect_eq "$bad" 0 "$n files: no crash, records >= evtxexport everywhere, more on $more; files failing"

# Seed-rule hits against the reference over every file.
if command -v python3 >/dev/null 2>&1; then
	expect_status 1 "$EVTXHUNT" -q -f jsonl "$samples"
	# file and record id of every live hit (the reference reads live records)
	if python3 -c 'import json, sys
for o in map(json.loads, sys.stdin):
    if not o["recovered"]:
        print(o["file"], o["record_id"])' <"$tmp/out" >"$tmp/ours.raw"; then
		pass "our hits read"
	else
		fail "our hits: not JSON Lines"
	fi
	sort "$tmp/ours.raw" >"$tmp/ours"
	if xargs -d '\n' python3 "$(dirname "$E2E_LIB")/regsvr32_oracle.py" <"$tmp/files" >"$tmp/reference.raw"; then
		pass "the reference ran"
	else
		fail "the reference failed"
	fi
	sort "$tmp/reference.raw" >"$tmp/reference"
	expect_true "the reference finds hits" test -s "$tmp/reference"
	expect_same "$tmp/ours" "$tmp/reference" "seed-rule hits equal the reference ($(wc -l <"$tmp/reference") hits)"
	expect_contains "$tmp/ours" 'PanacheSysmon_vs_AtomicRedTeam01.evtx 4047$' "record 4047 found"
fi

# Every process_creation rule of ../shared/sigma loads, and all of them run
# over every sample without an error.
if process_creation_rules "$tmp/pc"; then
	expect_status 0 "$EVTXHUNT" --check-rules -r "$tmp/pc"
	expect_contains "$tmp/out" ' loaded, 0 rejected' "all process_creation rules load: $(grep loaded "$tmp/out" || true)"
	expect_status 1 "$EVTXHUNT" -q -f jsonl --stats-json "$tmp/s.json" -r "$tmp/pc" "$samples/evtx-attack-samples"
	expect_true "all process_creation rules over the attack samples: $(wc -l <"$tmp/out") hits, no error" test -s "$tmp/out"
else
	echo "no ../shared/sigma: the process_creation rules are not run"
fi
finish
