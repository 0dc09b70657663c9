#!/bin/sh
# The timeline of every fixture in testdata/logs, in each output format,
# against the golden files (run from testdata/ so paths are relative).
# To accept a deliberate change: tests/e2e/golden.sh --update
. "$E2E_LIB"
cd "$TESTDATA"
update=${1:-}
for format in table csv jsonl; do
	golden=golden/hunt.$format
	expect_status 1 "$EVTXHUNT" -q -f "$format" logs
	if [ "$update" = --update ]; then cp "$tmp/out" "$golden"; fi
	expect_same "$tmp/out" "$golden" "format $format"
done
# Hits spilled to disk in many small sorted runs come out the same.
expect_status 1 env EVTXHUNT_SPILL_LIMIT=4096 "$EVTXHUNT" -f jsonl logs
expect_contains "$tmp/err" 'sorted runs' "hits spilled to disk"
expect_same "$tmp/out" golden/hunt.jsonl "spilled to disk and merged"

# The wide table keeps long values whole.
expect_status 1 "$EVTXHUNT" -q --wide logs/sysmon_seed_rule.evtx
if [ "$update" = --update ]; then cp "$tmp/out" golden/seed_rule.wide; fi
expect_same "$tmp/out" golden/seed_rule.wide "table --wide"
# The warnings name file, chunk and record. With the prefilter, records
# that cannot match are not parsed and their damage is not seen: the full
# account is --no-prefilter's.
expect_status 1 "$EVTXHUNT" -q --no-prefilter logs
if [ "$update" = --update ]; then cp "$tmp/err" golden/hunt.warnings; fi
expect_same "$tmp/err" golden/hunt.warnings "warnings"
finish
