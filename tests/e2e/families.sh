#!/bin/sh
# Every event family (issue 13): a real SigmaHQ rule of each log source
# (testdata/families/rules) over testdata/logs/families_sysmon.evtx and
# families_windows.evtx (descriptions in testdata/fixtures/families_*.txt),
# in the three formats: each rule hits exactly its family's HIT records,
# none of the near misses, nothing of the other families; the whole set at
# once the same, also without the prefilter and with one or two threads;
# and the CSV is rectangular.
. "$E2E_LIB"
sysmon=$TESTDATA/logs/families_sysmon.evtx
windows=$TESTDATA/logs/families_windows.evtx
rules=$TESTDATA/families/rules
ph=$TESTDATA/families/placeholders.yml
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

# FILE|TITLE|HITS: each rule's hits (record ids, in time order)
cat >"$tmp/expected" <<'EOF'
net_connection_win_eqnedt|Network Connection Initiated By Eqnedt32.EXE|1
image_load_lsass_unsigned_image_load|Unsigned Image Loaded Into LSASS Process|3
create_remote_thread_win_susp_password_dumper_lsass|Password Dumper Remote Thread in LSASS|5
proc_access_win_lsass_werfault|Credential Dumping Attempt Via WerFault|7
file_event_win_hktl_dumpert|HackTool - Dumpert Process Dumper Default File|9
registry_add_persistence_disk_cleanup_handler_entry|Potential Persistence Via Disk Cleanup Handler - Registry|11
registry_delete_removal_com_hijacking_registry_key|Removal of Potential COM Hijacking Registry Keys|14
registry_set_lsa_disablerestrictedadmin|RestrictedAdminMode Registry Value Tampering|17
registry_event_office_test_regadd|Office Application Startup - Office Test|19
pipe_created_pua_paexec_default_pipe|PUA - PAExec Default Named Pipe|21 22
dns_query_win_mega_nz|DNS Query To MEGA Hosting Website|24
file_delete_win_delete_powershell_command_history|PowerShell Console History Logs Deleted|26
posh_pm_get_clipboard|PowerShell Get Clipboard|101 103
posh_ps_susp_getprocess_lsass|PowerShell Get-Process LSASS in ScriptBlock|105 107
posh_pc_downgrade_attack|PowerShell Downgrade Attack - PowerShell|109
win_security_metasploit_authentication|Metasploit SMB Authentication|111
win_security_susp_failed_logon_reasons|Account Tampering - Suspicious Failed Logon Reasons|113
win_security_admin_logon|User with Privileges Logon|115
win_security_new_or_renamed_user_account_with_dollar_sign|New or Renamed User Account with '$' Character|117
win_security_audit_log_cleared|Security Eventlog Cleared|119
win_system_service_install_mesh_agent|Mesh Agent Service Installation|121
win_system_eventlog_cleared|Eventlog Cleared|123
win_defender_threat|Windows Defender Threat Detected|125
EOF
# the near misses: the other records of the families (see the descriptions)
near="2 4 6 8 10 12 13 15 16 18 20 23 25 27 28
102 104 106 108 110 112 114 116 118 120 122 124 126"

# hunt FORMAT ARGS...: the rules ARGS over both logs
hunt() {
	_format=$1
	shift
	# --wide: the table's source line keeps "#ID" however long the path
	# (a distcheck or tarball build has long ones)
	_wide=
	[ "$_format" = table ] && _wide=--wide
	expect_status 1 "$EVTXHUNT" -q -f "$_format" $_wide --placeholders "$ph" "$@" "$sysmon" "$windows"
}

# pairs FORMAT: the hits of $tmp/out as lines "RECORD_ID TITLE", in order
pairs() {
	case $1 in
	jsonl) sed -n 's/.*"record_id":\([0-9]*\),.*"rule_title":"\([^"]*\)".*/\1 \2/p' "$tmp/out" ;;
	csv) "$py" -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
for r in rows[1:]:
    print(r[rows[0].index("record_id")], r[rows[0].index("rule_title")])
' "$tmp/out" ;;
	table) # a hit: its time line, its title, its fields, "source FILE #ID"
		awk '/^[0-9]/ { n = 0 } { n++ } n == 2 { sub(/^  /, ""); t = $0 }
			/^  source / { sub(/.*#/, ""); print $0, t }' "$tmp/out" ;;
	esac
}

# want FILE...: the lines "RECORD_ID TITLE" the expected table gives those rules
want() {
	for _f in "$@"; do
		grep "^$_f|" "$tmp/expected" | while IFS='|' read -r _file _title _ids; do
			for _id in $_ids; do echo "$_id $_title"; done
		done
	done | sort -n
}

# each rule alone, in each format: exactly its family's hits, by title
while IFS='|' read -r file title ids; do
	want "$file" >"$tmp/want"
	n=$(echo "$ids" | wc -w | tr -d ' ')
	for format in jsonl csv table; do
		hunt "$format" -r "$rules/$file.yml"
		[ "$format" = jsonl ] && expect_hits "$ids" "$file alone"
		case $format in
		jsonl) expect_count "$n" "$tmp/out" "\"rule_title\":\"$title\"" "$file alone, jsonl: its title" ;;
		csv) expect_count "$n" "$tmp/out" ",\"$title\"," "$file alone, csv: its title" ;;
		table) expect_count "$n" "$tmp/out" "^  $title\$" "$file alone, table: its title" ;;
		esac
		pairs "$format" >"$tmp/got"
		expect_same "$tmp/got" "$tmp/want" "$file alone, $format: exactly its hits (record id, title)"
	done
done <"$tmp/expected"

# the whole set at once: one family's hits each, in time order, the same
# without the prefilter and with one or two threads
all=$(cut -d'|' -f1 "$tmp/expected")
# shellcheck disable=SC2086 # one rule file a word
want $all >"$tmp/want.all"
for format in jsonl csv table; do
	hunt "$format" -r "$rules"
	cp "$tmp/out" "$tmp/all.$format"
	pairs "$format" >"$tmp/got"
	expect_same "$tmp/got" "$tmp/want.all" "every rule at once, $format: one family's hits each"
	for id in $near; do
		expect_not_contains "$tmp/got" "^$id " "near miss $id does not fire ($format)"
	done
	for opts in --no-prefilter "-j 1" "-j 2" "--no-prefilter -j 2"; do
		# shellcheck disable=SC2086 # the options are words
		hunt "$format" $opts -r "$rules"
		expect_same "$tmp/out" "$tmp/all.$format" "every rule at once, $format, $opts: the same output"
	done
done
cp "$tmp/all.jsonl" "$tmp/out"
expect_hits "$(cut -d' ' -f1 "$tmp/want.all" | tr '\n' ' ' | sed 's/ $//')" "every rule at once: the hits in time order"

# the CSV is rectangular: every row has the header's number of columns
if command -v "$py" >/dev/null 2>&1; then
	expect_true "the CSV's rows are as long as its header" "$py" -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
bad = [i for i, r in enumerate(rows) if len(r) != len(rows[0])]
print("rows", len(rows), "columns", len(rows[0]), "ragged", bad)
sys.exit(1 if bad or len(rows) < 2 else 0)
' "$tmp/all.csv"
else
	fail "python3 absent: the CSV not checked"
fi

# the fields named with spaces come out whole (Defender 1116)
expect_count 1 "$tmp/all.jsonl" '"record_id":125,.*"Threat Name":"Trojan:PowerShell/Powersploit.M"' "Defender's 'Threat Name' in the hit's fields"
finish
