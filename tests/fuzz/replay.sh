#!/bin/sh
# Every input the fuzzers ever crashed on, replayed through the same target
# code (without libFuzzer): each one must now run to its end.
. "$E2E_LIB"
for kind in chunk rule merge; do
	case $kind in chunk) replay=$REPLAY_CHUNK ;; rule) replay=$REPLAY_RULE ;; merge) replay=$REPLAY_MERGE ;; esac
	for input in "$CRASHERS/$kind"/*; do
		[ -f "$input" ] || continue
		if timeout 120 "$replay" "$input" >"$tmp/out" 2>"$tmp/err"; then
			pass "$kind: $(basename "$input")"
		else
			fail "$kind: $(basename "$input") (exit $?)"
			head -30 "$tmp/err" >&2
		fi
	done
done
finish
