#!/bin/sh
# The command line: options, exit status, inputs, output files, rules.
. "$E2E_LIB"
logs=$TESTDATA/logs
seed=$logs/sysmon_seed_rule.evtx

expect_status 0 "$EVTXHUNT" --help
expect_contains "$tmp/out" '^Usage: evtxhunt' "--help"
expect_status 0 "$EVTXHUNT" --version
expect_contains "$tmp/out" '^evtxhunt [0-9]' "--version"
expect_status 2 "$EVTXHUNT"
expect_contains "$tmp/err" 'no PATH' "no PATH: status 2"
expect_status 2 "$EVTXHUNT" --bogus "$seed"                    # unknown option
expect_status 2 "$EVTXHUNT" -f xml "$seed"
expect_contains "$tmp/err" "unknown format 'xml'" "bad format: status 2"
expect_status 2 "$EVTXHUNT" -j 0 "$seed"                       # bad thread count

# Exit status: 1 with hits, 0 without.
expect_status 1 "$EVTXHUNT" -q "$seed"
expect_status 0 "$EVTXHUNT" -q -r "$TESTDATA/rules/never_matches.yml" "$seed"
expect_empty "$tmp/out" "no hits: nothing printed"

# -j and --no-prefilter are accepted and change nothing.
expect_status 1 "$EVTXHUNT" -q -f jsonl "$seed"
cp "$tmp/out" "$tmp/base"
expect_count 12 "$tmp/base" '"record_id"' "the seed rule's hits"
expect_status 1 "$EVTXHUNT" -q -f jsonl -j 2 --no-prefilter "$seed"
expect_same "$tmp/out" "$tmp/base" "-j 2 --no-prefilter"

# An input that cannot be read: status 2, the others still scanned.
expect_status 2 "$EVTXHUNT" -q -f jsonl /nonexistent/a.evtx "$TESTDATA/hostile/not_evtx.evtx" "$seed"
expect_same "$tmp/out" "$tmp/base" "hits of the good input still printed"
expect_contains "$tmp/err" '/nonexistent/a.evtx: cannot open: No such file' "missing input named"
expect_contains "$tmp/err" 'not_evtx.evtx: not an EVTX file' "non-EVTX input named"

# Directory walk: *.evtx in any case, recursively; other names ignored;
# a symlink loop reported and skipped.
mkdir -p "$tmp/tree/sub/deeper"
cp "$seed" "$tmp/tree/sub/deeper/UPPER.EVTX"
cp "$seed" "$tmp/tree/ignored.log"
ln -s .. "$tmp/tree/sub/loop"
expect_status 1 "$EVTXHUNT" -q --stats-json "$tmp/stats.json" "$tmp/tree"
expect_contains "$tmp/stats.json" '"files":1,' "walk finds UPPER.EVTX only"
expect_contains "$tmp/err" 'sub/loop: symlink loop' "symlink loop reported"
# An explicitly named file is read whatever its name.
expect_status 1 "$EVTXHUNT" -q "$tmp/tree/ignored.log"

# Unreadable entries (not as root: root reads everything; damaged.sh
# tests this as root through setpriv).
if [ "$(id -u)" -ne 0 ]; then
	cp "$seed" "$tmp/tree/locked.evtx"
	chmod 000 "$tmp/tree/locked.evtx"
	expect_status 2 "$EVTXHUNT" -q "$tmp/tree"
	expect_contains "$tmp/err" 'locked.evtx: cannot open: Permission denied' "unreadable file: status 2"
	rm -f "$tmp/tree/locked.evtx"
fi

# -o: written atomically, an existing file kept unless --force.
expect_status 1 "$EVTXHUNT" -q -f csv -o "$tmp/report.csv" "$seed"
expect_empty "$tmp/out" "-o: nothing on stdout"
head -1 "$tmp/report.csv" >"$tmp/head" 2>/dev/null || true
expect_contains "$tmp/head" '^timestamp,computer,rule_title' "-o writes the file"
echo keep >"$tmp/existing"
expect_status 2 "$EVTXHUNT" -q -o "$tmp/existing" "$seed"
expect_eq "$(cat "$tmp/existing")" keep "existing output kept"
expect_contains "$tmp/err" 'exists; use --force' "existing output: said"
expect_status 1 "$EVTXHUNT" -q --force -o "$tmp/existing" "$seed"
expect_not_contains "$tmp/existing" '^keep$' "--force replaces"
expect_contains "$tmp/existing" 'Regsvr32' "--force: the report written"
ls -A "$tmp" >"$tmp/ls"
expect_not_contains "$tmp/ls" '^\.evtxhunt-' "no temporary files left"

# --stats-json: one object with the counters; with --no-prefilter the full
# account of the damage (golden/hunt.warnings): damaged_chunk_header's chunk
# skipped (carved), records 605 and 604-722 unreadable.
expect_status 1 "$EVTXHUNT" -q --no-prefilter --stats-json "$tmp/s.json" "$logs"
for key in files files_failed chunks chunks_skipped records records_unreadable events_matched hits \
	rules_loaded rules_rejected seconds; do
	expect_contains "$tmp/s.json" "\"$key\":" "stats-json has $key"
done
expect_stats "$tmp/s.json" "stats-json counts what was skipped" records_unreadable=120 chunks_skipped=1

# --check-rules
expect_status 0 "$EVTXHUNT" --check-rules
expect_contains "$tmp/out" '^1 loaded, 0 rejected$' "--check-rules built-in"
cd "$TESTDATA"
expect_status 2 "$EVTXHUNT" --check-rules -r rules
if [ "${1:-}" = --update ]; then cp "$tmp/out" golden/check-rules.txt; fi
expect_same "$tmp/out" golden/check-rules.txt "--check-rules on testdata/rules"
# A rule that cannot be loaded: status 2, reported, the good rules still run.
expect_status 2 "$EVTXHUNT" -q -r rules/bad_modifier.yml -r "$TESTDATA/../rules" logs/sysmon_seed_rule.evtx
expect_contains "$tmp/err" "bad_modifier.yml:9:9: unknown modifier 'contians'" "bad rule reported"
expect_count 12 "$tmp/out" 'Regsvr32' "bad rule: the good rules still hunt"
# --min-level and --status set rules aside, and say how many.
expect_status 0 "$EVTXHUNT" -q --min-level high logs/sysmon_seed_rule.evtx # the medium seed rule set aside
expect_status 1 "$EVTXHUNT" --min-level medium --status test,stable logs/sysmon_seed_rule.evtx # kept
expect_status 0 "$EVTXHUNT" --status stable logs/sysmon_seed_rule.evtx
expect_contains "$tmp/err" '1 rules set aside by --min-level or --status' "set-aside rules are counted"
expect_status 2 "$EVTXHUNT" --min-level severe logs/sysmon_seed_rule.evtx # unknown level
# --from after --to is refused before any output file is opened.
expect_status 2 "$EVTXHUNT" --from 2024-03-02 --to 2024-03-01 -o "$tmp/never.csv" "$TESTDATA/logs"
expect_contains "$tmp/err" '^evtxhunt: --from is after --to: nothing could match$' "--from after --to: said"
expect_empty "$tmp/out" "--from after --to: nothing printed"
expect_true "--from after --to: no report file" test ! -e "$tmp/never.csv"
expect_eq "$(ls -A "$tmp" | grep -c '^\.evtxhunt-' || true)" 0 "--from after --to: no temporary file"
# Paths in messages are escaped: an existing -o file, a --state-report file.
esc=$(printf 'a\033[31mb')
touch "$tmp/$esc.csv"
expect_status 2 "$EVTXHUNT" -q -o "$tmp/$esc.csv" "$TESTDATA/logs"
expect_contains "$tmp/err" 'a\\x1B\[31mb.csv exists; use --force to replace it' "existing -o named, escaped"
expect_not_contains "$tmp/err" "$(printf '\033')" "no raw escape byte in the message"
expect_status 2 "$EVTXHUNT" --state-report "$tmp/$(printf 'no\tpe').db"
expect_contains "$tmp/err" 'no\\tpe.db: cannot open the state' "--state-report file named, escaped"
finish
