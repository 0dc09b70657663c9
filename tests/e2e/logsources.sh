#!/bin/sh
# Log sources: the table as documented, routing by channel and row, rules
# that cannot fire named, and rules of other log sources than
# process_creation firing over the attack samples.
. "$E2E_LIB"
logs=$TESTDATA/logs
top=$TESTDATA/..

# The README's table is exactly --list-logsources; the man page points to it.
expect_status 0 "$EVTXHUNT" --list-logsources
cp "$tmp/out" "$tmp/table"
expect_contains "$tmp/table" '^| category registry_add | Microsoft-Windows-Sysmon/Operational | 12 | EventType is CreateKey |$' \
	"--list-logsources: registry_add's extra condition"
expect_contains "$tmp/table" '^| service security | Security | any | |$' "--list-logsources: a service is a channel"
sed -n '/^<!-- evtxhunt --list-logsources -->$/,/^<!-- end of evtxhunt --list-logsources -->$/p' "$top/README.md" |
	sed '1d;$d' >"$tmp/readme"
expect_same "$tmp/readme" "$tmp/table" "README's log-source table is --list-logsources"
expect_contains "$top/man/evtxhunt.1" 'list\\-logsources' "the man page names --list-logsources"

# rule NAME LOGSOURCE-LINES DETECTION: a rule file in $tmp/rules
mkdir "$tmp/rules"
rule() {
	printf 'title: %s\nid: 9c0ff3e5-0000-4000-8000-0000000001%02d\nstatus: test\nlevel: low\nlogsource:\n%s\ndetection:\n%s\n' \
		"$1" "$(ls "$tmp/rules" | wc -l)" "$2" "$3" >"$tmp/rules/$1.yml"
}
regsvr="    sel:
        Image|endswith: '\\regsvr32.exe'
    condition: sel"
rule by_category '    category: process_creation
    product: windows' "$regsvr"
rule by_service '    product: windows
    service: sysmon' "$regsvr"
rule by_product '    product: windows' "$regsvr"
rule by_other_channel '    product: windows
    service: security' "$regsvr"
rule etw_only '    category: file_access
    product: windows' "$regsvr"
rule no_channel '    product: windows
    service: no-such-service' "$regsvr"
raw="    sel:
        NewProcessName|endswith: '\\regsvr32.exe'
    condition: sel"
rule security_raw '    product: windows
    service: security' "$raw"

# Rules that cannot fire are named with the reason, and counted.
expect_status 0 "$EVTXHUNT" --check-rules -r "$tmp/rules"
expect_contains "$tmp/out" "etw_only.yml: logsource category file_access is not recorded in EVTX (ETW only); the rule cannot fire$" \
	"--check-rules: an ETW-only category"
expect_contains "$tmp/out" "no_channel.yml: logsource service no-such-service has no known channel; the rule cannot fire$" \
	"--check-rules: a service without a channel"
expect_count 2 "$tmp/out" 'cannot fire$' "--check-rules: only those two"
expect_contains "$tmp/out" '^7 loaded, 0 rejected$' "--check-rules: all loaded"
expect_contains "$tmp/out" '^2 of the loaded rules cannot fire' "--check-rules: the total"

# Sysmon 1 reaches a category, its service and product windows alone, not
# another channel's service; the summary and stats count the rules that
# cannot fire.
expect_status 1 "$EVTXHUNT" -f csv --stats-json "$tmp/stats" -r "$tmp/rules" "$logs/sysmon_seed_rule.evtx"
expect_stats "$tmp/stats" "Sysmon 1" rules_loaded=7 rules_unmapped=2
expect_contains "$tmp/err" '^evtxhunt: 2 of the 7 rules cannot fire' "the summary counts the rules that cannot fire"
n=$(grep -c ',by_category,' "$tmp/out" || true)
expect_true "Sysmon 1: process_creation hits ($n)" test "$n" -gt 0
# the log also has a Sysmon 10 with an Image, and a Kernel-Process event 1
# (another channel: no process_creation)
expect_count $((n + 1)) "$tmp/out" ',by_service,' "service sysmon: Sysmon 1 and 10"
expect_count $((n + 2)) "$tmp/out" ',by_product,' "product windows alone: every channel"
expect_count 0 "$tmp/out" ',by_other_channel,\|,security_raw,' "Sysmon 1: not service security"

# Security 4688 is renamed for process_creation only: service security
# sees it as written.
expect_status 1 "$EVTXHUNT" -q -f csv -r "$tmp/rules" "$logs/security_4688.evtx"
expect_contains "$tmp/out" ',by_category,' "4688: process_creation, renamed"
expect_contains "$tmp/out" ',security_raw,' "4688: service security, as written"
expect_count 0 "$tmp/out" ',by_other_channel,\|,by_service,' "4688: not renamed for service security; not sysmon"

# Every Windows rule of ../shared/sigma over the attack samples: rules of
# other log sources than process_creation fire.
sigma=${SHARED:-}/sigma
samples=${SHARED:-}/samples/evtx-attack-samples
if [ -d "$sigma" ] && [ -d "$samples" ]; then
	set +e
	"$EVTXHUNT" -q -f jsonl -r "$sigma/rules/windows" -r "$sigma/rules-threat-hunting/windows" \
		-r "$sigma/rules-emerging-threats" "$samples" >"$tmp/all" 2>"$tmp/all.err"
	st=$?
	set -e
	# 2 only for rules rejected (file:line:column: reason), not for the logs
	expect_true "attack samples: hits (status $st)" test "$st" -eq 1 -o "$st" -eq 2
	grep -v '^[^:]*:[0-9]*:[0-9]*: ' "$tmp/all.err" >"$tmp/all.other" || true
	expect_empty "$tmp/all.other" "attack samples: no message but rejected rules"
	for category in registry_set registry_event file_event image_load network_connection create_remote_thread \
		process_access pipe_created ps_script driver_load; do
		# the ids of the rules of CATEGORY, and their hits
		grep -rl "^    category: $category\$" "$sigma/rules/windows" "$sigma/rules-threat-hunting/windows" \
			"$sigma/rules-emerging-threats" | xargs sed -n 's/^id: *//p' | sort -u >"$tmp/ids"
		n=$(grep -o '"rule_id":"[^"]*"' "$tmp/all" | cut -d'"' -f4 | grep -cxF -f "$tmp/ids" || true)
		expect_true "attack samples: $category rules fire ($n hits)" test "$n" -gt 0
	done
fi
finish
