#!/bin/sh
# The prefilter and the number of threads never change results: every file of testdata/ and, when
# present, ../shared/samples, with and without it, with the seed rule and
# with every process_creation rule of ../shared/sigma; and every Windows
# rule over samples of the Security, System and PowerShell channels.
. "$E2E_LIB"
inputs=$TESTDATA/logs
[ -d "${SHARED:-}/samples" ] && inputs="$inputs $SHARED/samples"
rulesets=builtin
process_creation_rules "$tmp/pc" && rulesets="builtin $tmp/pc"

# hunt NAME ARGS...: evtxhunt ARGS in the background, stdout in $tmp/NAME,
# stderr in $tmp/NAME.err, status in $tmp/NAME.st (two at a time: the runs
# are independent and each takes seconds)
hunt() {
	name=$1
	shift
	{
		set +e
		"$EVTXHUNT" "$@" >"$tmp/$name" 2>"$tmp/$name.err"
		echo $? >"$tmp/$name.st"
	} &
}
for rules in $rulesets; do
	set --
	[ "$rules" = builtin ] || set -- -r "$rules"
	# shellcheck disable=SC2086
	hunt with -q -f jsonl "$@" $inputs
	# shellcheck disable=SC2086
	hunt without -q -f jsonl --no-prefilter "$@" $inputs
	wait
	what="rules $(basename "$rules")"
	expect_true "$what: hits" test -s "$tmp/with"
	expect_eq "$(cat "$tmp/with.st")" 1 "$what: status (hits, no error)"
	expect_eq "$(cat "$tmp/without.st")" "$(cat "$tmp/with.st")" "$what: the same status without the prefilter"
	expect_same "$tmp/with" "$tmp/without" "$what: $(wc -l <"$tmp/with") hits with and without the prefilter"
done
# Every Windows rule of ../shared/sigma over attack samples of other
# channels than Sysmon's (Security, System, PowerShell): rules of whole
# channels get no literals, so the prefilter must not change a hit.
sigma=${SHARED:-}/sigma
samples=${SHARED:-}/samples/evtx-attack-samples
if [ -d "$sigma" ] && [ -d "$samples" ]; then
	set -- -r "$sigma/rules/windows" -r "$sigma/rules-threat-hunting/windows" -r "$sigma/rules-emerging-threats" \
		"$samples/Credential Access/tutto_malseclogon.evtx" "$samples/Defense Evasion/DE_1102_security_log_cleared.evtx" \
		"$samples/Lateral Movement/LM_Remote_Service02_7045.evtx" "$samples/Defense Evasion/DE_104_system_log_cleared.evtx" \
		"$samples/Credential Access/Powershell_4104_MiniDumpWriteDump_Lsass.evtx" \
		"$samples/Other/emotet/exec_emotet_ps_4104.evtx"
	hunt with -q -f jsonl "$@"
	hunt without -q -f jsonl --no-prefilter "$@"
	wait
	expect_true "all Windows rules, other channels: hits" test -s "$tmp/with"
	expect_eq "$(cat "$tmp/without.st")" "$(cat "$tmp/with.st")" "all Windows rules: the same status without the prefilter"
	expect_same "$tmp/with" "$tmp/without" "all Windows rules, other channels: $(wc -l <"$tmp/with") hits with and without the prefilter"
	expect_same "$tmp/with.err" "$tmp/without.err" "all Windows rules: the same messages"
fi
# Threads never change the output either, messages included.
# shellcheck disable=SC2086
hunt j1 -f jsonl -j1 $inputs
# shellcheck disable=SC2086
hunt j2 -f jsonl -j2 $inputs
wait
# shellcheck disable=SC2086
hunt j3 -f jsonl -j3 $inputs
wait
expect_true "-j1: hits" test -s "$tmp/j1"
grep -v ' s (' "$tmp/j1.err" >"$tmp/j1.msg" || true
expect_true "-j1: a summary" test -s "$tmp/j1.msg"
for j in 2 3; do
	expect_eq "$(cat "$tmp/j$j.st")" "$(cat "$tmp/j1.st")" "-j$j: the same status as -j1"
	expect_same "$tmp/j$j" "$tmp/j1" "-j$j: the same timeline as -j1"
	grep -v ' s (' "$tmp/j$j.err" >"$tmp/j$j.msg" || true
	expect_same "$tmp/j$j.msg" "$tmp/j1.msg" "-j$j: the same messages and counts as -j1"
done
finish
