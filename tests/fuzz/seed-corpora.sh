#!/bin/sh
# Seed corpora for the fuzz targets, from testdata/: every chunk of every
# test log (one 64 KiB file each) for fuzz_chunk, every rule file for
# fuzz_rule; the kept crashers go in too. Usage: seed-corpora.sh OUTDIR
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: seed-corpora.sh OUTDIR}
mkdir -p "$out/chunk" "$out/rule" "$out/merge"
for log in "$top"/testdata/logs/*.evtx; do
	size=$(wc -c <"$log")
	i=0
	while [ $((4096 + i * 65536)) -lt "$size" ]; do
		tail -c +$((4096 + i * 65536 + 1)) "$log" | head -c 65536 >"$out/chunk/$(basename "$log" .evtx)-$i"
		i=$((i + 1))
	done
done
find "$top/testdata/rules" "$top/testdata/correlation" "$top/rules" -name '*.yml' | while IFS= read -r r; do
	cp "$r" "$out/rule/$(echo "$r" | sed "s|^$top/||; s|/|_|g")"
done
# hits as evtxhunt writes them, three lines a seed
(cd "$out/merge" && split -l 3 "$top/testdata/golden/hunt.jsonl" hunt-)
cp "$top"/tests/fuzz/crashers/chunk/* "$out/chunk/" 2>/dev/null || true
# issue 17's structures (tests/fixtures/crafted.py), small enough to parse:
# templates nested through values, string arrays, shared names, slack
if command -v python3 >/dev/null 2>&1; then
	while read -r name args; do
		# shellcheck disable=SC2086 # the arguments are words
		python3 "$top/tests/fixtures/crafted.py" $args --chunk-only "$out/chunk/crafted-$name" >/dev/null
	done <<'CRAFTED'
expand-2-1 expand 2 1
expand-3-2 expand 3 2
mutual-templates-2-2 mutual-templates 2 2
array-3-2 array 3 2
array-2-3-slack array 2 3 --slack
long-names-4-40 long-names 4 40
CRAFTED
fi
cp "$top"/tests/fuzz/crashers/rule/* "$out/rule/" 2>/dev/null || true
echo "$(ls "$out/chunk" | wc -l) chunk, $(ls "$out/rule" | wc -l) rule and $(ls "$out/merge" | wc -l) merge seeds in $out"
