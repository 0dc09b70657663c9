#!/bin/sh
# The command line: options, exit status, inputs, output files, rules.
. "$E2E_LIB"
logs=$TESTDATA/logs
seed=$logs/sysmon_seed_rule.evtx

run 0 "$EVTXHUNT" --help && grep -q '^Usage: evtxhunt' "$tmp/out" && pass "--help"
run 0 "$EVTXHUNT" --version && grep -q '^evtxhunt [0-9]' "$tmp/out" && pass "--version"
run 2 "$EVTXHUNT" && grep -q 'no PATH' "$tmp/err" && pass "no PATH: status 2"
run 2 "$EVTXHUNT" --bogus "$seed" && pass "unknown option: status 2"
run 2 "$EVTXHUNT" -f xml "$seed" && grep -q "unknown format 'xml'" "$tmp/err" && pass "bad format: status 2"
run 2 "$EVTXHUNT" -j 0 "$seed" && pass "bad thread count: status 2"

# Exit status: 1 with hits, 0 without.
run 1 "$EVTXHUNT" -q "$seed" && pass "hits: status 1"
run 0 "$EVTXHUNT" -q -r "$TESTDATA/rules/never_matches.yml" "$seed" && [ ! -s "$tmp/out" ] && pass "no hits: status 0"

# -j and --no-prefilter are accepted and change nothing.
"$EVTXHUNT" -q -f jsonl "$seed" >"$tmp/base" || true
run 1 "$EVTXHUNT" -q -f jsonl -j 2 --no-prefilter "$seed" && same "$tmp/out" "$tmp/base" "-j 2 --no-prefilter"

# An input that cannot be read: status 2, the others still scanned.
run 2 "$EVTXHUNT" -q -f jsonl /nonexistent/a.evtx "$TESTDATA/hostile/not_evtx.evtx" "$seed" &&
	same "$tmp/out" "$tmp/base" "hits of the good input still printed"
grep -q '/nonexistent/a.evtx: cannot open: No such file' "$tmp/err" && pass "missing input named"
grep -q 'not_evtx.evtx: not an EVTX file' "$tmp/err" && pass "non-EVTX input named"

# Directory walk: *.evtx in any case, recursively; other names ignored;
# a symlink loop reported and skipped.
mkdir -p "$tmp/tree/sub/deeper"
cp "$seed" "$tmp/tree/sub/deeper/UPPER.EVTX"
cp "$seed" "$tmp/tree/ignored.log"
ln -s .. "$tmp/tree/sub/loop"
run 1 "$EVTXHUNT" -q --stats-json "$tmp/stats.json" "$tmp/tree" &&
	grep -q '"files":1,' "$tmp/stats.json" && pass "walk finds UPPER.EVTX only"
grep -q 'sub/loop: symlink loop' "$tmp/err" && pass "symlink loop reported"
# An explicitly named file is read whatever its name.
run 1 "$EVTXHUNT" -q "$tmp/tree/ignored.log" && pass "explicit file read whatever its name"

# Unreadable entries (not as root: root reads everything).
if [ "$(id -u)" -ne 0 ]; then
	cp "$seed" "$tmp/tree/locked.evtx"
	chmod 000 "$tmp/tree/locked.evtx"
	run 2 "$EVTXHUNT" -q "$tmp/tree" && grep -q 'locked.evtx: cannot open: Permission denied' "$tmp/err" &&
		pass "unreadable file: status 2"
	rm -f "$tmp/tree/locked.evtx"
fi

# -o: written atomically, an existing file kept unless --force.
run 1 "$EVTXHUNT" -q -f csv -o "$tmp/report.csv" "$seed" && [ ! -s "$tmp/out" ] &&
	head -1 "$tmp/report.csv" | grep -q '^timestamp,computer,rule_title' && pass "-o writes the file"
echo keep >"$tmp/existing"
run 2 "$EVTXHUNT" -q -o "$tmp/existing" "$seed" && [ "$(cat "$tmp/existing")" = keep ] &&
	grep -q 'exists; use --force' "$tmp/err" && pass "existing output kept"
run 1 "$EVTXHUNT" -q --force -o "$tmp/existing" "$seed" && [ "$(cat "$tmp/existing")" != keep ] &&
	pass "--force replaces"
[ -z "$(ls -A "$tmp" | grep '^\.evtxhunt-' || true)" ] && pass "no temporary files left"

# --stats-json: one object with the counters.
run 1 "$EVTXHUNT" -q --stats-json "$tmp/s.json" "$logs" || true
for key in files files_failed chunks chunks_skipped records records_unreadable events_matched hits \
	rules_loaded rules_rejected seconds; do
	grep -q "\"$key\":" "$tmp/s.json" || fail "stats-json lacks $key"
done
grep -q '"records_unreadable":1,' "$tmp/s.json" && grep -q '"chunks_skipped":2,' "$tmp/s.json" &&
	pass "stats-json counts what was skipped"

# --check-rules
run 0 "$EVTXHUNT" --check-rules && grep -qx '1 loaded, 0 rejected' "$tmp/out" && pass "--check-rules built-in"
cd "$TESTDATA"
run 2 "$EVTXHUNT" --check-rules -r rules && {
	[ "${1:-}" = --update ] && cp "$tmp/out" golden/check-rules.txt
	same "$tmp/out" golden/check-rules.txt "--check-rules on testdata/rules"
}
# A rule that cannot be loaded: status 2, reported, the good rules still run.
run 2 "$EVTXHUNT" -q -r rules/bad_modifier.yml -r "$TESTDATA/../rules" logs/sysmon_seed_rule.evtx &&
	grep -q "bad_modifier.yml:9:9: unknown modifier 'contians'" "$tmp/err" &&
	[ "$(grep -c 'Regsvr32' "$tmp/out")" -eq 12 ] && pass "bad rule: status 2, good rules still hunt"
# --min-level and --status set rules aside, and say how many.
run 0 "$EVTXHUNT" -q --min-level high logs/sysmon_seed_rule.evtx && pass "--min-level high: the medium seed rule is set aside"
run 1 "$EVTXHUNT" --min-level medium --status test,stable logs/sysmon_seed_rule.evtx && pass "--min-level medium --status test keeps it"
run 0 "$EVTXHUNT" --status stable logs/sysmon_seed_rule.evtx && grep -q '1 rules set aside by --min-level or --status' "$tmp/err" &&
	pass "set-aside rules are counted"
run 2 "$EVTXHUNT" --min-level severe logs/sysmon_seed_rule.evtx && pass "unknown level: status 2"
finish
