#!/bin/sh
# make-rules-pack.sh SIGMA DEST: a rule pack of SigmaHQ's Windows rules.
#
# SIGMA is a SigmaHQ checkout (or an unpacked release); DEST the pack
# directory to write (its last component is the pack's name: evtxhunt
# -r @NAME). Copied: every rule of rules/windows and
# rules-threat-hunting/windows, and those of rules-emerging-threats whose
# logsource is product windows, each at its place in the tree. Written
# beside them: LICENSE (the Detection Rule License, which goes with the
# rules wherever they go), PROVENANCE (source, commit or newest rule date,
# rule count, date built) and SHA256SUMS of every file. The pack is built
# apart and moved into place whole: a failed build leaves no half pack.
#
# SOURCE_DATE_EPOCH, when set, is the date built (reproducible packs).
set -eu
LC_ALL=C
export LC_ALL
if [ $# -ne 2 ]; then
	echo "usage: $0 SIGMA DEST" >&2
	exit 2
fi
sigma=$1 dest=${2%/}
name=$(basename "$dest")
die() {
	echo "make-rules-pack: $*" >&2
	exit 1
}
[ -d "$sigma/rules/windows" ] || die "$sigma: no rules/windows (not a SigmaHQ checkout?)"
[ -f "$sigma/LICENSE" ] || die "$sigma/LICENSE: missing; the rules go with their licence or not at all"
case $name in .* | '') die "$dest: a pack's name cannot start with '.'" ;; esac

mkdir -p "$(dirname "$dest")"
dest=$(cd "$(dirname "$dest")" && pwd)/$name # absolute: the copies run in $sigma
tmp=$dest.tmp.$$
trap 'rm -rf "$tmp" "$tmp.list" "$tmp.sums"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"

# the rule files to take, relative to $sigma, one a line: every .yml of
# the Windows trees, and of rules-emerging-threats those whose logsource
# is product windows (which mixes products)
{
	for tree in rules/windows rules-threat-hunting/windows; do
		[ ! -d "$sigma/$tree" ] || (cd "$sigma" && find "$tree" -type f -name '*.yml' -print)
	done
	[ ! -d "$sigma/rules-emerging-threats" ] ||
		(cd "$sigma" && grep -rlE --include='*.yml' '^[[:space:]]+product:[[:space:]]*windows[[:space:]]*$' \
			rules-emerging-threats)
} | sort >"$tmp.list"
# one tar through a pipe, not a cp per file (3,000 of them), trees kept
(cd "$sigma" && tar -cf - -T "$tmp.list") | (cd "$tmp" && tar -xpf -)
rules=$(find "$tmp" -type f -name '*.yml' | wc -l)
[ "$rules" -gt 0 ] || die "$sigma: no Windows rules found"
cp "$sigma/LICENSE" "$tmp/LICENSE"

if commit=$(git -C "$sigma" rev-parse HEAD 2>/dev/null); then
	git -C "$sigma" diff --quiet HEAD -- 2>/dev/null || commit="$commit (with local changes)"
	newest=
else
	# the copies' file dates say when they were copied, not written: the
	# rules' own newest date: or modified: field instead
	commit="none: not a git checkout"
	newest=$(cat "$tmp.list" | (cd "$sigma" && tr '\n' '\0' | xargs -0 grep -hE '^(date|modified): *[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}') |
		sed -E 's/^[a-z]+: *([0-9]{4})[-/]([0-9]{2})[-/]([0-9]{2}).*/\1-\2-\3/' | sort | tail -1)
fi
built=$(date -u ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"} +%Y-%m-%dT%H:%M:%SZ)
{
	echo "name: $name"
	echo "source: SigmaHQ ($(cd "$sigma" && pwd))"
	echo "commit: $commit"
	[ -z "$newest" ] || echo "newest-rule: $newest (the newest date or modified field of the rules)"
	echo "rules: $rules"
	echo "trees: rules/windows, rules-threat-hunting/windows, rules-emerging-threats (product windows)"
	echo "license: Detection Rule License 1.1 (LICENSE)"
	echo "built: $built"
} >"$tmp/PROVENANCE"
(cd "$tmp" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sed 's|  \./|  |') >"$tmp.sums"
mv "$tmp.sums" "$tmp/SHA256SUMS"

rm -rf "$dest"
mv "$tmp" "$dest"
echo "make-rules-pack: $dest: $rules rules ($commit)"
