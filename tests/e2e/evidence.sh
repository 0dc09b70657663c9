#!/bin/sh
# Evidence stays untouched: after runs over good, damaged and hostile logs,
# every input has the same size, modification time, access time and
# SHA-256, and nothing was written beside it. A report is complete or
# absent: a run killed, terminated or failing to write leaves no report
# and no temporary file.
. "$E2E_LIB"
ev=$tmp/evidence
mkdir "$ev"
cp "$TESTDATA"/logs/*.evtx "$TESTDATA"/hostile/* "$ev/"
chmod 444 "$ev"/*
# access times older than the modification times: an ordinary read would
# update them even under relatime
touch -a -d '2020-01-01 00:00:00' "$ev"/*

# times first, then hashes (hashing reads the files: their access times
# are set back after the first fingerprint)
fingerprint() {
	(cd "$ev" && ls -la --time-style=+%s.%N . | grep -v ' \.\.$' && for f in *; do
		printf '%s %s\n' "$f" "$(stat -c '%s %Y.%y %X.%x' "$f")"
	done && for f in *; do
		printf '%s %s\n' "$f" "$(sha256sum <"$f")"
	done) >"$1"
}
fingerprint "$tmp/before"
touch -a -d '2020-01-01 00:00:00' "$ev"/*
# (status 2: the hostile inputs include files that are not logs; each run
# must have read the evidence, or an unchanged fingerprint proves nothing)
for args in "-f table" "-f csv" "-f jsonl --no-prefilter" "-j 1 --wide"; do
	rm -f "$tmp/stats.json"
	# shellcheck disable=SC2086
	expect_status 2 "$EVTXHUNT" -q $args -o "$tmp/report" --force --stats-json "$tmp/stats.json" "$ev"
	expect_true "$args: the evidence read: $(stat_of "$tmp/stats.json" records) records" \
		test "$(stat_of "$tmp/stats.json" records)" -gt 0
done
expect_status 2 "$EVTXHUNT" -q "$ev"/*.evtx
expect_true "every input named: hits printed" test -s "$tmp/out"
fingerprint "$tmp/after"
expect_same "$tmp/after" "$tmp/before" "size, times, SHA-256 and directory listing of the inputs"

# --- complete or absent -------------------------------------------------------------
out=$tmp/reports
mkdir "$out"
log=$tmp/mixed.evtx # a copy: the shim below acts on the file it names
cp "$TESTDATA/logs/mixed.evtx" "$log"
gone() { # WHAT: the output directory is empty
	if [ -z "$(ls -A "$out")" ]; then pass "$1: no report, no temporary file"; else
		fail "$1: left $(ls -A "$out" | tr '\n' ' ')"
	fi
}
if [ -f "${RESIZE_PRELOAD:-}" ]; then
	for sig in kill term; do
		set +e
		RESIZE_PATH=$log RESIZE_AT=300000 RESIZE_TO=$sig LD_PRELOAD=$RESIZE_PRELOAD \
			ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
			"$EVTXHUNT" -q -j1 -f csv -o "$out/report.csv" "$log" >/dev/null 2>&1
		st=$?
		set -e
		expect_true "run ended by SIG$sig (status $st)" test "$st" -gt 128
		gone "SIG$sig mid-run"
	done
fi
# a write that fails (file size limit): status 2, nothing left
set +e
(
	trap '' XFSZ
	ulimit -f 2
	exec "$EVTXHUNT" -q -f csv -o "$out/report.csv" "$log"
) >/dev/null 2>"$tmp/err"
st=$?
set -e
expect_eq "$st" 2 "failed write: status"
expect_contains "$tmp/err" 'cannot write .*report.csv: File too large; nothing written' "failed write: said"
gone "failed write"
# and a run that works leaves exactly the report
expect_status 1 "$EVTXHUNT" -q -f csv -o "$out/report.csv" "$log"
expect_eq "$(ls -A "$out")" report.csv "a run that works leaves exactly the report"
expect_count 8 "$out/report.csv" '' "complete report: 7 hits and the header"
finish
