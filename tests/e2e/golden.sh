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
# One CSV layout: a CSV reader sees every row as long as the header, and
# the header is the documented one.
if command -v python3 >/dev/null 2>&1; then
	expect_true "csv golden: every row as long as the header" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows), [len(r) for r in rows]
' golden/hunt.csv
fi
expect_eq "$(head -1 golden/hunt.csv | tr -d '\r')" \
	"timestamp,computer,rule_title,level,rule_id,event_id,record_id,channel,details,file,recovered,user,image,command_line,parent_image" \
	"csv header"
finish
