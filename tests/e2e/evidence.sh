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
for args in "-f table" "-f csv" "-f jsonl --no-prefilter" "-j 1 --wide"; do
	set +e
	"$EVTXHUNT" -q $args -o "$tmp/report" --force --stats-json "$tmp/stats.json" "$ev" >/dev/null 2>&1
	set -e
done
set +e
"$EVTXHUNT" -q "$ev"/*.evtx >/dev/null 2>&1
set -e
fingerprint "$tmp/after"
same "$tmp/after" "$tmp/before" "size, times, SHA-256 and directory listing of the inputs"

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
		[ "$st" -gt 128 ] && pass "run ended by SIG$sig (status $st)" || fail "SIG$sig run: status $st"
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
[ "$st" -eq 2 ] && grep -q 'cannot write .*report.csv: File too large; nothing written' "$tmp/err" &&
	pass "failed write: status 2, said" || fail "failed write: status $st: $(cat "$tmp/err")"
gone "failed write"
# and a run that works leaves exactly the report
run 1 "$EVTXHUNT" -q -f csv -o "$out/report.csv" "$log" &&
	[ "$(ls -A "$out")" = report.csv ] && [ "$(wc -l <"$out/report.csv")" -eq 8 ] && pass "complete report: 7 hits"
finish
