#!/bin/sh
# Fields of any event (issue 13), on testdata/logs/fields.evtx: a rule on
# EventID, on Computer, on a UserData leaf and on an unnamed Data value each
# hit their record and not its near miss (see testdata/fixtures/fields.txt),
# the same with and without the prefilter; and the expand modifier with
# --placeholders.
. "$E2E_LIB"
log=$TESTDATA/logs/fields.evtx
# the rules, here: testdata/rules is what the --check-rules golden counts
rules=$tmp/rules
mkdir -p "$tmp/rules"
# rule NAME TITLE N: writes $rules/NAME.yml, a process_creation rule whose
# one selection is read from standard input (indented as under it)
rule() {
	{
		printf 'title: %s\nid: 0f1e1d00-0000-4000-8000-%012d\nstatus: test\n' "$2" "$3"
		printf "description: evtxhunt's end-to-end test of fields of any event (tests/e2e/fields.sh)\n"
		printf 'logsource:\n    category: process_creation\n    product: windows\n'
		printf 'detection:\n    selection:\n'
		cat
		printf '    condition: selection\nlevel: low\n'
	} >"$rules/$1.yml"
}
rule computer 'Computer FIELDS-HOST' 3 <<'YML'
        Computer: FIELDS-HOST
YML
rule eventid_1_whoami 'EventID 1 running whoami' 2 <<'YML'
        EventID: 1
        Image|endswith: '\whoami.exe'
YML
rule eventid_4688 'EventID 4688' 1 <<'YML'
        EventID: 4688
YML
cat >"$tmp/rules/provider.yml" <<'YML'
title: Provider_Name and not Security_UserID
id: 0f1e1d00-0000-4000-8000-000000000006
status: test
description: evtxhunt's end-to-end test of fields of any event (tests/e2e/fields.sh)
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Provider_Name: Microsoft-Windows-Security-Auditing
    filter:
        Data|contains: needle
    condition: selection and not filter
level: low
YML
rule unnamed_data 'An unnamed Data value' 4 <<'YML'
        Data: needle-in-unnamed-data
YML
rule userdata_leaf 'A UserData leaf' 5 <<'YML'
        SubjectUserName: fields-user
YML

rule level_4688 'Level of a normalized 4688' 7 <<'YML'
        Level: 4
        Computer: DC-FIELDS
YML
rule eventid_and_user 'EventID and a mapped field of 4688' 8 <<'YML'
        EventID: 4688
        User: 'CORP\DC-FIELDS$'
YML

# RULE IDS WHAT: the rule's hits, prefilter on and off, are exactly IDS
check() {
	expect_status 1 "$EVTXHUNT" -q -f jsonl -r "$rules/$1.yml" "$log"
	expect_hits "$2" "$3"
	cp "$tmp/out" "$tmp/with"
	expect_status 1 "$EVTXHUNT" -q -f jsonl --no-prefilter -r "$rules/$1.yml" "$log"
	expect_same "$tmp/out" "$tmp/with" "$3: the same without the prefilter"
}
check eventid_4688 7 "EventID: 4688 (not Sysmon's 1)"
check eventid_1_whoami 1 "EventID: 1 and whoami (not 4688's whoami)"
check computer 1 "Computer: FIELDS-HOST (not FIELDS-HOST2)"
check unnamed_data 3 "an unnamed Data value (not a named field, not a close value)"
check userdata_leaf 5 "a UserData leaf (not another leaf with the value)"
check provider 7 "Provider_Name, and not a Data value"
check level_4688 7 "System fields other than the four slots survive the 4688 mapping"
check eventid_and_user 7 "a System field beside a mapped field: the prefilter keeps the record"

# all of them at once, in time order
expect_status 1 "$EVTXHUNT" -q -f jsonl -r "$rules" "$log"
expect_hits "1 1 3 5 7 7 7 7" "every rule at once"
expect_count 1 "$tmp/out" '"rule_title":"A UserData leaf".*"fields":{"SubjectUserSid"' "UserData leaves are the hit's fields"

# expand: a placeholder's values from --placeholders
cat >"$tmp/expand.yml" <<'YML'
title: Computers from a placeholder
id: 0f1e1d00-0000-4000-8000-000000000007
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Computer|expand: '%hosts%'
    condition: selection
YML
printf 'hosts:\n  - fields-host\n  - WS-USERDATA\n' >"$tmp/ph.yml"
expect_status 1 "$EVTXHUNT" -q -f jsonl --placeholders "$tmp/ph.yml" -r "$tmp/expand.yml" "$log"
expect_hits "1 5 6" "expand: any of the placeholder's values"
expect_status 2 "$EVTXHUNT" --check-rules -r "$tmp/expand.yml"
expect_contains "$tmp/out" "expand.yml:8:9: modifier 'expand' needs placeholder values" "without --placeholders: rejected where it is"
printf 'others: [x]\n' >"$tmp/ph2.yml"
expect_status 2 "$EVTXHUNT" --check-rules --placeholders "$tmp/ph2.yml" -r "$tmp/expand.yml"
expect_contains "$tmp/out" "expand.yml:8:26: placeholder 'hosts' is not in the placeholders file" "an absent placeholder: rejected where it is"
printf 'hosts:\n  nested: map\n' >"$tmp/ph3.yml"
expect_status 2 "$EVTXHUNT" --placeholders "$tmp/ph3.yml" -r "$tmp/expand.yml" "$log"
expect_contains "$tmp/err" "ph3.yml:2:3: placeholder 'hosts' must be a value or a list of values" "a bad placeholders file"

# the SigmaHQ rules that use expand load with their placeholder
et=${SHARED:-}/sigma/rules-emerging-threats/2026/Exploits/CVE-2026-54121
if [ -d "$et" ]; then
	expect_status 2 "$EVTXHUNT" --check-rules -r "$et"
	expect_count 2 "$tmp/out" "needs placeholder values" "SigmaHQ's expand rules, without placeholders"
	printf 'known_cdcs:\n  - dc01.corp.example\n  - 10.0.0.5\n' >"$tmp/cdcs.yml"
	expect_status 0 "$EVTXHUNT" --check-rules --placeholders "$tmp/cdcs.yml" -r "$et"
	expect_contains "$tmp/out" "^3 loaded, 0 rejected" "SigmaHQ's expand rules, with placeholders"
fi
finish
