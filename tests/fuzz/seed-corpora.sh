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
find "$top/testdata/rules" "$top/rules" -name '*.yml' | while IFS= read -r r; do
	cp "$r" "$out/rule/$(echo "$r" | sed "s|^$top/||; s|/|_|g")"
done
# hits as evtxhunt writes them, three lines a seed
(cd "$out/merge" && split -l 3 "$top/testdata/golden/hunt.jsonl" hunt-)
cp "$top"/tests/fuzz/crashers/chunk/* "$out/chunk/" 2>/dev/null || true
cp "$top"/tests/fuzz/crashers/rule/* "$out/rule/" 2>/dev/null || true
echo "$(ls "$out/chunk" | wc -l) chunk, $(ls "$out/rule" | wc -l) rule and $(ls "$out/merge" | wc -l) merge seeds in $out"
