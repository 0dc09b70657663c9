#!/bin/sh
# The prefilter's two engines give the same hits: a Hyperscan build
# ($EVTXHUNT) and a --without-hyperscan build ($EVTXHUNT_PORTABLE), over
# testdata/logs with testdata/rules and over the attack samples with every
# process_creation rule of ../shared/sigma. Sorted JSON Lines must be
# identical. Usage (from the source tree, paths to two built binaries):
#   EVTXHUNT=/tmp/eh-hs/evtxhunt EVTXHUNT_PORTABLE=/tmp/eh-nohs/evtxhunt sh tests/engines.sh
set -eu
LC_ALL=C
export LC_ALL
: "${EVTXHUNT:?the Hyperscan build}"
: "${EVTXHUNT_PORTABLE:?the --without-hyperscan build}"
here=$(cd "$(dirname "$0")/.." && pwd)
TESTDATA=${TESTDATA:-$here/testdata}
SHARED=${SHARED:-$here/../shared}
export TESTDATA SHARED
tmp=$(mktemp -d "${TMPDIR:-/tmp}/evtxhunt-engines.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0

# compare WHAT ARGS...: both binaries, the same arguments, sorted output.
compare() {
	what=$1
	shift
	# the exit status says hits (1) or rejected rules (2): compared too
	shs=0
	"$EVTXHUNT" -q -f jsonl "$@" >"$tmp/hs.raw" 2>"$tmp/hs.err" || shs=$?
	spt=0
	"$EVTXHUNT_PORTABLE" -q -f jsonl "$@" >"$tmp/pt.raw" 2>"$tmp/pt.err" || spt=$?
	sort "$tmp/hs.raw" >"$tmp/hs"
	sort "$tmp/pt.raw" >"$tmp/pt"
	nhs=$(wc -l <"$tmp/hs")
	npt=$(wc -l <"$tmp/pt")
	if [ "$nhs" -eq 0 ]; then
		echo "FAIL: $what: no hits at all (stderr: $(head -c 300 "$tmp/hs.err"))" >&2
		failures=$((failures + 1))
	elif [ "$shs" -ne "$spt" ]; then
		echo "FAIL: $what: exit $shs with Hyperscan, $spt portable" >&2
		failures=$((failures + 1))
	elif cmp -s "$tmp/hs" "$tmp/pt"; then
		echo "ok: $what: $nhs hits with Hyperscan, $npt portable, identical"
	else
		echo "FAIL: $what: $nhs hits with Hyperscan, $npt portable:" >&2
		diff "$tmp/hs" "$tmp/pt" | cut -c1-300 | head -20 >&2 || true
		failures=$((failures + 1))
	fi
}

compare "testdata/logs, testdata/rules" -r "$TESTDATA/rules" "$TESTDATA/logs"
compare "testdata/logs, seed rule" "$TESTDATA/logs"

# every process_creation rule, as tests/e2e/lib.sh's process_creation_rules
sigma=$SHARED/sigma
samples=$SHARED/samples/evtx-attack-samples
if [ -d "$sigma" ] && [ -d "$samples" ]; then
	mkdir -p "$tmp/pc"
	cp -r "$sigma/rules/windows/process_creation" "$tmp/pc/rules"
	cp -r "$sigma/rules-threat-hunting/windows/process_creation" "$tmp/pc/threat-hunting"
	grep -rl 'category: process_creation' "$sigma/rules-emerging-threats" | while IFS= read -r r; do
		cp "$r" "$tmp/pc/$(basename "$r")"
	done
	compare "evtx-attack-samples, all process_creation rules" -r "$tmp/pc" "$samples"
else
	echo "SKIP: $sigma or $samples absent"
fi
[ "$failures" -eq 0 ]
