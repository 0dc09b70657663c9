#!/bin/sh
# Rule selection (issue 16): --exclude-rule, --exclude-rules FILE, --tag;
# what they set aside is counted, a name that selects nothing is warned
# about, and --check-rules takes them too.
. "$E2E_LIB"
seed=$TESTDATA/logs/sysmon_seed_rule.evtx
seed_rule=$TESTDATA/../rules/proc_creation_win_regsvr32_dllregisterserver_exec.yml
a=ce2c44b5-a6ac-412a-afba-9e89326fa972
b=11111111-2222-4333-8444-555555555555
c=66666666-7777-4888-9999-000000000000

# three rules that hit the same 12 events: A (the seed rule: attack.t1218),
# B (attack.execution only), C (no tags)
mkdir "$tmp/rules"
cp "$seed_rule" "$tmp/rules/a.yml"
sed -e "s/^id: .*/id: $b/" -e 's/^title: .*/title: Copy B of the seed rule/' \
	-e '/^    - attack.stealth$/d' -e '/^    - detection.threat-hunting$/d' \
	-e 's/^    - attack.t1218$/    - attack.execution/' "$seed_rule" >"$tmp/rules/b.yml"
sed -e "s/^id: .*/id: $c/" -e 's/^title: .*/title: Copy C/' -e '/^tags:$/,/^logsource:$/{/^logsource:$/!d}' \
	"$seed_rule" >"$tmp/rules/c.yml"
r="-r $tmp/rules"

# shape of the set: 36 hits, 12 a rule
expect_status 1 "$EVTXHUNT" -q -f jsonl $r --stats-json "$tmp/all.json" "$seed"
expect_count 36 "$tmp/out" '"record_id"' "all three rules hit"
expect_stats "$tmp/all.json" "no selection" rules_loaded=3 rules_set_aside=0 rules_excluded=0 rules_untagged=0

# --exclude-rule by id, and by title in any case
expect_status 1 "$EVTXHUNT" -f jsonl $r --exclude-rule "$a" --stats-json "$tmp/s.json" "$seed"
expect_count 24 "$tmp/out" '"record_id"' "--exclude-rule ID: two rules left"
expect_count 0 "$tmp/out" "\"rule_id\":\"$a\"" "--exclude-rule ID: no hit of the excluded rule"
expect_stats "$tmp/s.json" "--exclude-rule ID" rules_loaded=2 rules_set_aside=1 rules_excluded=1
expect_contains "$tmp/err" '^evtxhunt: 1 rules set aside by --exclude-rule or --exclude-rules$' "exclusion in the summary"
expect_not_contains "$tmp/err" 'warning' "a name that matches warns nothing"
expect_status 1 "$EVTXHUNT" -q -f jsonl $r --exclude-rule 'copy b OF THE SEED RULE' --exclude-rule "$c" "$seed"
expect_count 12 "$tmp/out" "\"rule_id\":\"$a\"" "--exclude-rule TITLE (any case) and ID: the other rule's hits"
expect_count 12 "$tmp/out" '"record_id"' "--exclude-rule TITLE: nothing else"

# --exclude-rules FILE: comments, blank lines, blanks and \r around names
printf '# false positives at this site\n\n  %s  \r\nCopy C\n# end\nno-such-rule\n' "$b" >"$tmp/list"
expect_status 1 "$EVTXHUNT" -f jsonl $r --exclude-rules "$tmp/list" --stats-json "$tmp/s.json" "$seed"
expect_count 12 "$tmp/out" "\"rule_id\":\"$a\"" "--exclude-rules: A left"
expect_count 12 "$tmp/out" '"record_id"' "--exclude-rules: B and C out"
expect_stats "$tmp/s.json" "--exclude-rules" rules_loaded=1 rules_excluded=2 rules_set_aside=2
expect_contains "$tmp/err" "warning: $tmp/list:6: 'no-such-rule' is neither the id nor the title of a loaded rule" \
	"an unknown name is warned about, with its file and line"
expect_count 1 "$tmp/err" 'warning' "only the unknown name is warned about"
expect_status 0 "$EVTXHUNT" -q $r --exclude-rule nope --exclude-rule "$a" --exclude-rule "$b" --exclude-rule "$c" "$seed"
expect_contains "$tmp/err" "warning: --exclude-rule: 'nope' is neither" "unknown --exclude-rule warned about, even with -q"

# an exclusion list that cannot be read is an error naming it
expect_status 2 "$EVTXHUNT" -q $r --exclude-rules "$tmp/missing.txt" "$seed"
expect_contains "$tmp/err" "--exclude-rules $tmp/missing.txt: cannot open: No such file" "missing list named"
expect_empty "$tmp/out" "missing list: no hunt"
expect_status 2 "$EVTXHUNT" -q $r --exclude-rules "$tmp/rules" "$seed"
expect_contains "$tmp/err" "--exclude-rules $tmp/rules: cannot read: Is a directory" "a directory as list named"

# --tag: rules with any of the tags, any case
expect_status 1 "$EVTXHUNT" -f jsonl $r --tag ATTACK.T1218 --stats-json "$tmp/s.json" "$seed"
expect_count 12 "$tmp/out" "\"rule_id\":\"$a\"" "--tag: the tagged rule"
expect_count 12 "$tmp/out" '"record_id"' "--tag: only it"
expect_stats "$tmp/s.json" "--tag" rules_loaded=1 rules_untagged=2 rules_set_aside=2 rules_excluded=0
expect_contains "$tmp/err" '^evtxhunt: 2 rules set aside by --tag (none of the tags)$' "--tag in the summary"
expect_status 1 "$EVTXHUNT" -q -f jsonl $r --tag attack.execution --tag attack.t1218 "$seed"
expect_count 24 "$tmp/out" '"record_id"' "two --tags: either tag"
expect_count 0 "$tmp/out" "\"rule_id\":\"$c\"" "two --tags: not the untagged rule"
expect_status 0 "$EVTXHUNT" -q $r --tag attack.t9999 "$seed"
expect_contains "$tmp/err" "warning: --tag: 'attack.t9999' is the tag of no loaded rule" "an unknown tag is warned about"

# together, with --min-level: each counted apart, the total in --stats-json
expect_status 0 "$EVTXHUNT" $r --exclude-rule "$a" --tag attack.execution --min-level high --stats-json "$tmp/s.json" "$seed"
expect_stats "$tmp/s.json" "all selections" rules_loaded=0 rules_excluded=1 rules_untagged=1 rules_set_aside=3
expect_contains "$tmp/err" '1 rules set aside by --min-level or --status' "--min-level counted after the selection"

# --check-rules takes them, the counts on its standard output
expect_status 0 "$EVTXHUNT" --check-rules $r --exclude-rule "$b" --tag attack.t1218
expect_contains "$tmp/out" '^1 loaded, 0 rejected$' "--check-rules: the selected rule loaded"
expect_contains "$tmp/out" '^1 rules set aside by --exclude-rule or --exclude-rules$' "--check-rules: exclusions counted"
expect_contains "$tmp/out" '^1 rules set aside by --tag (none of the tags)$' "--check-rules: --tag counted"

# the built-in rule is excluded like any other
expect_status 0 "$EVTXHUNT" -q --exclude-rule "$a" "$seed"
expect_empty "$tmp/out" "built-in rule excluded: no hits"

# SigmaHQ's rules when present: --tag keeps exactly the rules tagged so
if process_creation_rules "$tmp/sigma"; then
	expect_status 0 "$EVTXHUNT" --check-rules -r "$tmp/sigma" --stats-json "$tmp/x.json"
	expect_status 0 "$EVTXHUNT" --check-rules -r "$tmp/sigma" --tag attack.t1218
	kept=$(sed -n 's/^\([0-9]*\) loaded, 0 rejected$/\1/p' "$tmp/out")
	tagged=$(grep -rli '^ *- attack\.t1218 *$' "$tmp/sigma" | wc -l)
	expect_eq "$kept" "$tagged" "SigmaHQ process_creation rules tagged attack.t1218"
else
	echo "SKIP (part): no $SHARED/sigma, the SigmaHQ check is left out"
fi
finish
