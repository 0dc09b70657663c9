#!/bin/sh
# The timeline of every fixture in testdata/logs, in each output format,
# against the golden files (run from testdata/ so paths are relative).
# To accept a deliberate change: tests/e2e/golden.sh --update
. "$E2E_LIB"
cd "$TESTDATA"
for format in table csv jsonl; do
	golden=golden/hunt.$format
	run 1 "$EVTXHUNT" -q -f "$format" logs || continue
	if [ "${1:-}" = --update ]; then
		cp "$tmp/out" "$golden"
	fi
	same "$tmp/out" "$golden" "format $format"
done
# Hits spilled to disk in many small sorted runs come out the same.
EVTXHUNT_SPILL_LIMIT=4096 run 1 "$EVTXHUNT" -f jsonl logs && grep -q 'sorted runs' "$tmp/err" &&
	same "$tmp/out" golden/hunt.jsonl "spilled to disk and merged"

# The wide table keeps long values whole.
run 1 "$EVTXHUNT" -q --wide logs/sysmon_seed_rule.evtx && {
	[ "${1:-}" = --update ] && cp "$tmp/out" golden/seed_rule.wide
	same "$tmp/out" golden/seed_rule.wide "table --wide"
}
# The warnings name file, chunk and record. With the prefilter, records
# that cannot match are not parsed and their damage is not seen: the full
# account is --no-prefilter's.
run 1 "$EVTXHUNT" -q --no-prefilter logs && {
	[ "${1:-}" = --update ] && cp "$tmp/err" golden/hunt.warnings
	same "$tmp/err" golden/hunt.warnings "warnings"
}
finish
