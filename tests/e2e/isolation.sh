#!/bin/sh
# Isolation: a record on which libevtx crashes, overflows its stack, hangs
# or allocates without bound costs that record, not the run. A sweep of a
# share holding the seed-rule log, a log with a bad chunk checksum (a
# warning before the crash) and a log whose record 9002 misbehaves
# (tests/e2e/crash_preload.c, an LD_PRELOAD shim around libevtx) reports
# every hit once, names the record unreadable with its reason, and exits 1,
# on one thread and two; without isolation the same sweep dies.
. "$E2E_LIB"
[ -f "${CRASH_PRELOAD:-}" ] || skip "no crash_preload.so (built by make check)"
share=$tmp/share
mkdir "$share"
cp "$TESTDATA/logs/sysmon_seed_rule.evtx" "$TESTDATA/logs/damaged_chunk_crc.evtx" "$TESTDATA/logs/security_4688.evtx" \
	"$share/"
# --no-prefilter: record 9002 holds none of the seed rule's literals, and
# the shim only acts on records libevtx is asked to parse; --no-decode:
# live records go to libevtx, not evtxhunt's own decoder
hunt() { # WANT HOW RECORD OPTIONS...: the sweep with libevtx misbehaving
	want=$1 how=$2 record=$3
	shift 3
	expect_status "$want" env CRASH_HOW="$how" CRASH_RECORD="$record" LD_PRELOAD="$CRASH_PRELOAD" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		timeout 60 "$EVTXHUNT" --no-prefilter --no-decode "$@" "$share"
}
no_duplicates() { # FILE WHAT
	expect_eq "$(sort "$1" | uniq -d | wc -l | tr -d ' ')" 0 "$2: no line twice"
}

# what the sweep reports when nothing misbehaves
expect_status 1 "$EVTXHUNT" --no-isolation --no-prefilter --no-decode -f jsonl "$share"
cp "$tmp/out" "$tmp/ref.jsonl"
expect_count 20 "$tmp/ref.jsonl" '' "unaffected: 12 hits of the seed log, 7 of the damaged one, 1 of the 4688 log"
expect_count 1 "$tmp/err" 'checksum mismatch' "unaffected: the bad checksum said"
expect_status 1 "$EVTXHUNT" --no-isolation --no-prefilter --no-decode -f csv "$share"
cp "$tmp/out" "$tmp/ref.csv"

# without isolation, one crash ends the sweep: nothing reported (139,
# SIGSEGV; under AddressSanitizer, its report and exit status instead)
died=139
if command -v ldd >/dev/null 2>&1 && ldd "$EVTXHUNT" 2>/dev/null | grep -q libasan; then died=97; fi
hunt "$died" segv 9002 --no-isolation -f jsonl
expect_empty "$tmp/out" "not isolated: the crash takes the run, no report"

for how in segv overflow spin alloc; do
	# the time limit short only where it is the one to strike: on a loaded
	# machine, allocating 400 MB can take more than a second
	limits="--record-timeout 30 --memory-limit 400"
	case $how in
	segv | overflow) reason='libevtx crashed on it (SIGSEGV)' ;;
	spin)
		reason='libevtx took over 1 s on it'
		limits="--record-timeout 1"
		;;
	alloc) reason='the hunt passed 400 MB of memory while libevtx was on it' ;;
	esac
	for j in 1 2; do
		what="$how, -j$j"
		hunt 1 "$how" 9002 -j"$j" $limits -f jsonl --stats-json "$tmp/stats.json"
		expect_same "$tmp/out" "$tmp/ref.jsonl" "$what: every hit, as an unaffected run reports them"
		no_duplicates "$tmp/out" "$what: jsonl"
		expect_contains "$tmp/err" \
			"security_4688.evtx: chunk 0: record 9002 (index 1 in the chunk): $reason in an earlier attempt; skipped" \
			"$what: the record named unreadable, with its reason"
		expect_count 1 "$tmp/err" "$reason; the hunt starts again without it (restart 1 of at most 16)" \
			"$what: one restart, said once"
		expect_count 1 "$tmp/err" ' files (0 failed)' "$what: one summary, the final attempt's"
		expect_count 1 "$tmp/err" 'checksum mismatch' "$what: a warning before the crash, said once"
		expect_stats "$tmp/stats.json" "$what" records_unreadable=1 hits=20 errors=0 files_failed=0
	done
	rm -f "$tmp/hits.csv"
	hunt 1 "$how" 9002 -j2 $limits -f csv -o "$tmp/hits.csv"
	expect_same "$tmp/hits.csv" "$tmp/ref.csv" "$how: -o FILE as an unaffected run writes it"
	no_duplicates "$tmp/hits.csv" "$how: -o FILE"
	expect_empty "$tmp/out" "$how: -o FILE: nothing on stdout"
done

# the real thing, when ../shared is there: records crafted to overflow
# libfwevt's stack (live, and in slack) and to expand templates without
# bound. The binary XML walk (src/bxcheck.c) refuses them before libevtx
# sees them: no attempt fails, no restart
findings=${SHARED:-}/findings
if [ -f "$findings/self-substitution/self_nodep.evtx" ] && [ -f "$findings/template-expansion/k30d4L.evtx" ]; then
	mkdir "$tmp/real"
	cp "$findings/self-substitution/self_nodep.evtx" "$findings/self-substitution/self_nodep_slack.evtx" \
		"$findings/template-expansion/k30d4L.evtx" "$TESTDATA/logs/sysmon_seed_rule.evtx" "$tmp/real/"
	expect_status 1 timeout 120 "$EVTXHUNT" --memory-limit 400 --record-timeout 60 -f jsonl \
		--stats-json "$tmp/stats.json" "$tmp/real"
	expect_count 12 "$tmp/out" '' "crafted records: the seed log's 12 hits"
	expect_contains "$tmp/err" 'self_nodep.evtx: chunk 0: record 1 (chunk offset 512): its binary XML nests past the depth limit' \
		"self-substitution, live: named"
	expect_contains "$tmp/err" 'self_nodep_slack.evtx: chunk 0: a record in slack space, id 1 (chunk offset 512): its binary XML nests past the depth limit' \
		"self-substitution, in slack: named"
	expect_contains "$tmp/err" 'k30d4L.evtx: chunk 0: record 1 (chunk offset 512): its binary XML expands past the node limit' \
		"template expansion: named"
	expect_not_contains "$tmp/err" 'the hunt starts again' "crafted records: refused before libevtx, no restart"
	expect_stats "$tmp/stats.json" "crafted records" records_unreadable=2 hits=12 errors=0
fi

# a libevtx that fails on every record: restarts are bounded, then an error
hunt 2 segv all -j1 -f jsonl
expect_contains "$tmp/err" 'libevtx crashed on it (SIGSEGV); too many restarts, no report written' \
	"every record crashes: given up after the restarts allowed"
expect_count 16 "$tmp/err" 'the hunt starts again without it' "every record crashes: 16 restarts"
expect_empty "$tmp/out" "every record crashes: no report"
finish
