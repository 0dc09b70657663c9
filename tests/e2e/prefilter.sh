#!/bin/sh
# The prefilter and the number of threads never change results: every file of testdata/ and, when
# present, ../shared/samples, with and without it, with the seed rule and
# with every process_creation rule of ../shared/sigma.
. "$E2E_LIB"
inputs=$TESTDATA/logs
[ -d "${SHARED:-}/samples" ] && inputs="$inputs $SHARED/samples"
rulesets=builtin
process_creation_rules "$tmp/pc" && rulesets="builtin $tmp/pc"
for rules in $rulesets; do
	set --
	[ "$rules" = builtin ] || set -- -r "$rules"
	# shellcheck disable=SC2086
	"$EVTXHUNT" -q -f jsonl "$@" $inputs >"$tmp/with" 2>/dev/null || true
	# shellcheck disable=SC2086
	"$EVTXHUNT" -q -f jsonl --no-prefilter "$@" $inputs >"$tmp/without" 2>/dev/null || true
	[ -s "$tmp/with" ] || fail "no hits at all with $rules"
	same "$tmp/with" "$tmp/without" "rules $(basename "$rules"): $(wc -l <"$tmp/with") hits with and without the prefilter"
done
# Threads never change the output either, messages included.
# shellcheck disable=SC2086
"$EVTXHUNT" -f jsonl -j1 $inputs >"$tmp/j1" 2>"$tmp/j1.err" || true
for j in 2 3; do
	# shellcheck disable=SC2086
	"$EVTXHUNT" -f jsonl -j$j $inputs >"$tmp/jn" 2>"$tmp/jn.err" || true
	same "$tmp/jn" "$tmp/j1" "-j$j: the same timeline as -j1"
	grep -v ' s (' "$tmp/jn.err" >"$tmp/jn.msg"
	grep -v ' s (' "$tmp/j1.err" >"$tmp/j1.msg"
	same "$tmp/jn.msg" "$tmp/j1.msg" "-j$j: the same messages and counts as -j1"
done
finish
