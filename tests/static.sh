#!/bin/sh
# make check-static (issue 16): the --enable-static-binary evtxhunt is
# static, and hunts in an empty root (a directory holding only it, the
# logs and rules, entered with chroot: no libraries, /proc, /dev, /tmp,
# locales or NSS) as the dynamic build does: the golden timelines, and the
# output of EVTXHUNT_DYNAMIC when given. Mounted read-only when mount lets
# us (as on a write-protected stick); nothing is left behind either way.
. "$E2E_LIB"
bin=$EVTXHUNT

# static: no program interpreter, no dynamic section
if command -v ldd >/dev/null; then
	ldd "$bin" >"$tmp/ldd" 2>&1 || true
	expect_contains "$tmp/ldd" 'not a dynamic executable' "ldd: not a dynamic executable"
fi
if command -v readelf >/dev/null; then
	readelf -lW "$bin" >"$tmp/phdrs"
	expect_not_contains "$tmp/phdrs" 'INTERP\|DYNAMIC' "no program interpreter, no dynamic section"
	expect_contains "$tmp/phdrs" 'LOAD' "readelf read the program headers"
fi
if command -v file >/dev/null; then
	file -L "$bin" >"$tmp/file"
	expect_contains "$tmp/file" 'statically linked' "file: statically linked"
else
	echo "SKIP (part): no file(1)"
fi
echo "static binary: $(wc -c <"$bin") bytes"

[ "$(id -u)" -eq 0 ] && command -v chroot >/dev/null || skip "the empty-root hunt needs root and chroot(8)"

root=$tmp/root
mkdir -p "$root/rules" "$root/packs"
cp "$bin" "$root/evtxhunt"
cp -r "$TESTDATA/logs" "$root/logs"
cp -r "$TESTDATA/families/rules" "$root/rules/families"
cp "$TESTDATA/families/placeholders.yml" "$root/placeholders.yml"
mkdir "$root/packs/families"
cp "$TESTDATA"/families/rules/*.yml "$root/packs/families/"
find "$root" -exec touch -d '2001-01-01' {} +
touch "$tmp/stamp"
(cd "$root" && find . -exec ls -ld --time-style=+%s {} + | sort) >"$tmp/before"

ro=$tmp/ro
mkdir "$ro"
if mount --bind "$root" "$ro" 2>/dev/null && mount -o remount,ro,bind "$ro" 2>/dev/null; then
	trap 'umount "$ro" 2>/dev/null; st=$?; [ -s "$tmp/.checks/failed" ] && st=1; rm -rf "$tmp"; exit $st' EXIT
	top=$ro
	expect_true "the root is read-only" sh -c "! touch '$ro/x' 2>/dev/null"
else
	rmdir "$ro"
	top=$root
	echo "SKIP (part): cannot mount read-only here; the root is writable, checked for leftovers"
fi

# the built-in rule, in each format: what the dynamic build's golden.sh checks
for format in table csv jsonl; do
	expect_status 1 chroot "$top" /evtxhunt -q -f "$format" logs
	expect_same "$tmp/out" "$TESTDATA/golden/hunt.$format" "empty root: the golden $format timeline"
done
# no environment but a locale the root does not have (Turkish: its
# dotted i breaks case folding that follows the locale): the same timeline
expect_status 1 env -i LC_ALL=tr_TR.UTF-8 LANG=de_DE.UTF-8 "$(command -v chroot)" "$top" /evtxhunt -q -f csv logs
expect_same "$tmp/out" "$TESTDATA/golden/hunt.csv" "empty root, empty environment, a missing locale: the golden csv timeline"
# rules from a directory and from a pack, on several threads
expect_status 1 chroot "$top" /evtxhunt -q -j 3 -f jsonl --placeholders /placeholders.yml -r /rules/families logs
cp "$tmp/out" "$tmp/families.jsonl"
expect_true "empty root: the families rules hit" grep -q '"record_id"' "$tmp/families.jsonl"
expect_status 1 env EVTXHUNT_RULES_PACKS=/packs chroot "$top" /evtxhunt -q -f jsonl --placeholders /placeholders.yml \
	-r @families logs
sed 's|"file":"[^"]*"||g; s|"rule_file":"[^"]*"||g' "$tmp/out" >"$tmp/pack.cmp"
sed 's|"file":"[^"]*"||g; s|"rule_file":"[^"]*"||g' "$tmp/families.jsonl" >"$tmp/dir.cmp"
expect_same "$tmp/pack.cmp" "$tmp/dir.cmp" "empty root: a pack (EVTXHUNT_RULES_PACKS) hits as its directory"
if [ -n "${EVTXHUNT_DYNAMIC:-}" ]; then
	(cd "$root" && "$EVTXHUNT_DYNAMIC" -q -f jsonl --placeholders placeholders.yml -r rules/families logs) \
		>"$tmp/dynamic.jsonl" || true
	sed 's|"/rules/families|"rules/families|g; s|/placeholders.yml|placeholders.yml|g' "$tmp/families.jsonl" >"$tmp/static.jsonl"
	expect_same "$tmp/static.jsonl" "$tmp/dynamic.jsonl" "empty root: the dynamic build's hits of the families rules"
else
	echo "SKIP (part): no EVTXHUNT_DYNAMIC to compare the families rules' hits with"
fi
expect_status 2 chroot "$top" /evtxhunt -q -r @families logs
expect_contains "$tmp/err" "no rule pack 'families'" "no /proc, no environment: packs/ beside the binary unknown, said so"

# a pack compiled in (--with-builtin-pack, BUILTIN_PACK from make
# check-static): the kit in one file hits as the pack's directory does
if [ -n "${BUILTIN_PACK:-}" ]; then
	name=$(basename "$BUILTIN_PACK")
	expect_status 0 chroot "$top" /evtxhunt --version
	expect_contains "$tmp/out" "^built-in rule pack $name (" "--version names the built-in pack"
	head -1 "$BUILTIN_PACK/LICENSE" >"$tmp/licence1"
	expect_contains "$tmp/out" "^$(sed 's/[][\\.*^$]/\\&/g' "$tmp/licence1")\$" "--version prints its LICENSE"
	set +e
	chroot "$top" /evtxhunt -q -f jsonl --placeholders /placeholders.yml -r @"$name" logs >"$tmp/builtin.jsonl" 2>"$tmp/builtin.err"
	(cd "$root" && "$bin" -q -f jsonl --placeholders placeholders.yml -r "$BUILTIN_PACK" logs) >"$tmp/packdir.jsonl" 2>/dev/null
	set -e
	sed "s|\"builtin:$name/|\"$BUILTIN_PACK/|g" "$tmp/builtin.jsonl" >"$tmp/builtin.cmp"
	expect_true "the built-in pack hits" grep -q '"record_id"' "$tmp/builtin.cmp"
	expect_same "$tmp/builtin.cmp" "$tmp/packdir.jsonl" "empty root: -r @$name built in hits as its directory"
else
	echo "SKIP (part): no pack compiled in (./configure --with-builtin-pack=DIR)"
fi

# nothing left behind
(cd "$root" && find . -exec ls -ld --time-style=+%s {} + | sort) >"$tmp/after"
expect_same "$tmp/after" "$tmp/before" "the root as it was: nothing written, nothing touched"
find "$root" -newer "$tmp/stamp" >"$tmp/newer"
expect_empty "$tmp/newer" "nothing newer than the hunt's start"
finish
