#!/bin/sh
# Rule values and what rules expand into are input too: a NUL in a value
# beside another literal (it crashed the prefilter's Hyperscan build), an
# IOC list of 100,000 values (quadratic start-up), and windash and
# base64offset expansions past the bound of one rule (refused with
# file:line:column and the limit; the other rules still run), with
# --check-rules saying what the hunt says. The big rules are written here.
. "$E2E_LIB"
log=$TESTDATA/logs/sysmon_seed_rule.evtx
good=$TESTDATA/../rules/proc_creation_win_regsvr32_dllregisterserver_exec.yml
head='title: bounds
id: 00000000-0000-4000-8000-0000000000b0
status: test
level: high
logsource: {category: process_creation, product: windows}
detection:
'
# the seed rule's hits: the reference every run below is held to
expect_status 1 "$EVTXHUNT" -q -f jsonl -r "$good" "$log"
expect_count 12 "$tmp/out" '"record_id"' "the seed rule's hits"
seed_hits=$(hits)

# a NUL value beside another literal: no crash, the hits of the other
mkdir "$tmp/nul"
{
	printf '%s' "$head"
	printf '  sel1:\n    Image|endswith: "\\\\regsvr32.exe"\n    CommandLine|contains: " /s "\n'
	printf '  sel2:\n    CommandLine|contains: "\\0"\n  condition: 1 of sel*\n'
} >"$tmp/nul/nul.yml"
# the same without the NUL selection: the hits it must give
{
	printf '%s' "$head"
	printf '  sel1:\n    Image|endswith: "\\\\regsvr32.exe"\n    CommandLine|contains: " /s "\n  condition: sel1\n'
} >"$tmp/nul_ref.yml"
expect_status 1 "$EVTXHUNT" -q -f jsonl --no-prefilter -j1 -r "$tmp/nul_ref.yml" "$log"
base_hits=$(hits)
expect_count 23 "$tmp/out" '"rule_title":"bounds"' "the reference rule's hits"
expect_status 0 "$EVTXHUNT" -q --check-rules -r "$tmp/nul"
expect_contains "$tmp/out" '^1 loaded, 0 rejected' "the NUL rule loads"
for opts in "" "-j1" "--no-prefilter"; do
	# shellcheck disable=SC2086 # OPTS are words
	expect_status 1 timeout 60 "$EVTXHUNT" -q -f jsonl $opts -r "$tmp/nul" "$log"
	expect_eq "$(hits)" "$base_hits" "NUL rule ${opts:-(defaults)}: the hits of its other selection"
done

# 100,000 plain values, one of which hits: loads fast, finds the hits
mkdir "$tmp/ioc"
python3 -c '
import sys
out = [sys.argv[1], "  sel:\n    Image|endswith: \"\\\\regsvr32.exe\"\n    CommandLine|contains:\n"]
out += ["      - \"ioc%06d.example\"\n" % i for i in range(100000)]
out += ["      - \" /s \"\n", "  condition: sel\n"]
sys.stdout.write("".join(out))' "$head" >"$tmp/ioc/ioc.yml"
# (how fast is a figure for the README, not a timed test: the timeout
# only stops a run that would never end, as the quadratic dedupe did)
expect_status 1 timeout 300 "$EVTXHUNT" -q -f jsonl -r "$tmp/ioc" "$log"
expect_eq "$(hits)" "$base_hits" "100,000 values: the hits"
expect_status 1 timeout 300 "$EVTXHUNT" -q -f jsonl -j1 --no-prefilter -r "$tmp/ioc" "$log"
expect_eq "$(hits)" "$base_hits" "100,000 values, --no-prefilter -j1: the hits"

# over the bound of one rule: windash (625 values of each), base64offset
# (3 of each); refused where the value is, the good rule still hunts
mkdir "$tmp/over"
python3 -c '
import sys
out = [sys.argv[1], "  sel:\n    CommandLine|windash|contains:\n"]
out += ["      - \" -a%d -b -c -d\"\n" % i for i in range(1000)]
out += ["  condition: sel\n"]
sys.stdout.write("".join(out))' "$head" >"$tmp/over/windash.yml"
python3 -c '
import sys
out = [sys.argv[1], "  sel:\n    CommandLine|wide|base64offset|contains:\n"]
out += ["      - \"v%d\"\n" % i for i in range(30000)]
out += ["  condition: sel\n"]
sys.stdout.write("".join(out))' "$head" >"$tmp/over/b64.yml"
cp "$good" "$tmp/over/good.yml"
# windash: the 81st value takes 81 x 625 - 81 past 50,000 (line 8 + 81)
windash_err="windash.yml:89:9: windash, base64offset and expand make more than 50000 values of the 81 written (the limit for one rule)"
b64_err="b64.yml:25009:9: windash, base64offset and expand make more than 50000 values of the 25001 written (the limit for one rule)"
start=$(date +%s)
expect_status 2 timeout 60 "$EVTXHUNT" -q -f jsonl -r "$tmp/over" "$log"
took=$(($(date +%s) - start))
expect_true "over the bounds: refused in under 10 s (took $took s)" test "$took" -lt 10
expect_contains "$tmp/err" "$windash_err" "windash refused with its place and the limit"
expect_contains "$tmp/err" "$b64_err" "base64offset refused with its place and the limit"
expect_eq "$(hits)" "$seed_hits" "the good rule beside them still hits"
expect_status 2 timeout 60 "$EVTXHUNT" -q --check-rules -r "$tmp/over"
expect_contains "$tmp/out" "$windash_err" "--check-rules: windash refused as in the hunt"
expect_contains "$tmp/out" "$b64_err" "--check-rules: base64offset refused as in the hunt"
expect_contains "$tmp/out" '^1 loaded, 2 rejected' "--check-rules: the counts"

# one 1 MiB windash value: refused before it is expanded (625 MiB)
mkdir "$tmp/big"
python3 -c '
import sys
sys.stdout.write(sys.argv[1] + "  sel:\n    CommandLine|windash|contains: \" -a -b -c -d " + "x" * (1 << 20) + "\"\n  condition: sel\n")' \
	"$head" >"$tmp/big/big.yml"
expect_status 2 timeout 60 "$EVTXHUNT" -q --check-rules -r "$tmp/big"
expect_contains "$tmp/out" 'big.yml:8:35: more than 67108864 bytes of values after modifiers (the limit for one rule)' \
	"a 1 MiB windash value refused by size"
finish
