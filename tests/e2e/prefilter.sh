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
# Every Windows rule of ../shared/sigma over the samples and the fixtures
# of every kind of event (the damaged copies of mixed.evtx add only time
# here: the process_creation runs above read them all), with and without
# the prefilter, and with one thread and two: rules of whole channels get
# no literals, rules of other log sources have their own rows, and none
# of it may change a hit or a message.
sigma=${SHARED:-}/sigma
if [ -d "$sigma" ]; then
	all=
	for f in families_sysmon families_windows fields security_4688 hostile_values mixed damaged_chunk_header; do
		all="$all $TESTDATA/logs/$f.evtx"
	done
	[ -d "$SHARED/samples" ] && all="$all $SHARED/samples"
	set -- -q -f jsonl -r "$sigma/rules/windows" -r "$sigma/rules-threat-hunting/windows" \
		-r "$sigma/rules-emerging-threats"
	# shellcheck disable=SC2086
	hunt with "$@" $all
	# shellcheck disable=SC2086
	hunt without --no-prefilter "$@" $all
	wait
	# shellcheck disable=SC2086
	hunt j1 -j1 "$@" $all
	# shellcheck disable=SC2086
	hunt j2 -j2 --no-prefilter "$@" $all
	wait
	expect_true "all Windows rules: hits" test -s "$tmp/with"
	for run in without j1 j2; do
		expect_eq "$(cat "$tmp/$run.st")" "$(cat "$tmp/with.st")" "all Windows rules, $run: the same status"
		expect_same "$tmp/$run" "$tmp/with" "all Windows rules, $run: the same $(wc -l <"$tmp/with") hits"
		expect_same "$tmp/$run.err" "$tmp/with.err" "all Windows rules, $run: the same messages"
	done
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
