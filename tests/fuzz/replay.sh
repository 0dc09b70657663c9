#!/bin/sh
# Every input the fuzzers ever crashed on, replayed through the same target
# code (without libFuzzer): each one must now run to its end, which the
# replayer says ("replayed FILE (N bytes)") after the target returns.
. "$E2E_LIB"
for kind in chunk rule merge; do
	case $kind in chunk) replay=$REPLAY_CHUNK ;; rule) replay=$REPLAY_RULE ;; merge) replay=$REPLAY_MERGE ;; esac
	n=0
	for input in "$CRASHERS/$kind"/*; do
		[ -f "$input" ] || continue
		n=$((n + 1))
		expect_status 0 timeout 120 "$replay" "$input"
		expect_contains "$tmp/out" "^replayed .*$(basename "$input") (" "$kind: $(basename "$input") ran to its end"
	done
	# a kept crasher directory that went empty (or moved) replays nothing
	[ -d "$CRASHERS/$kind" ] || continue
	expect_true "$kind: $n crashers replayed" test "$n" -gt 0
done
finish
