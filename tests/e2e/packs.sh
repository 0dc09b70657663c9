#!/bin/sh
# Rule packs (issue 16): tools/make-rules-pack.sh builds one from a
# SigmaHQ tree (Windows rules only, with LICENSE, PROVENANCE, SHA256SUMS);
# -r @NAME and --rules-pack NAME find it on the search path and load the
# same rules as -r over the trees; --list-rules-packs lists what is found.
. "$E2E_LIB"
make_pack=$TESTDATA/../tools/make-rules-pack.sh
seed_rule=$TESTDATA/../rules/proc_creation_win_regsvr32_dllregisterserver_exec.yml
logs="$TESTDATA/logs/families_sysmon.evtx $TESTDATA/logs/families_windows.evtx $TESTDATA/logs/sysmon_seed_rule.evtx"
unset EVTXHUNT_RULES_PACKS
ph="--placeholders $TESTDATA/families/placeholders.yml"

# hit_pairs FILE: "record_id rule_id" of each JSON Lines hit, sorted (a
# pack loads its trees in another order than the -r given)
hit_pairs() {
	sed -n 's/.*"record_id":\([0-9]*\).*"rule_id":"\([^"]*\)".*/\1 \2/p' "$1" | sort
}

# a small SigmaHQ-shaped tree: Windows rules in each of the three trees,
# and emerging-threats rules of another product, which stay out
fake=$tmp/sigma
mkdir -p "$fake/rules/windows/family" "$fake/rules/linux" "$fake/rules-threat-hunting/windows" \
	"$fake/rules-emerging-threats/2030/Malware"
cp "$TESTDATA"/families/rules/*.yml "$fake/rules/windows/family/"
cp "$TESTDATA/families/rules/LICENSE.md" "$fake/LICENSE"
cp "$seed_rule" "$fake/rules-threat-hunting/windows/"
sed -e 's/^id: .*/id: 0e000000-0000-4000-8000-000000000001/' -e 's/^date: .*/date: 2030-01-02/' \
	"$seed_rule" >"$fake/rules-emerging-threats/2030/Malware/et_windows.yml"
sed -e 's/^id: .*/id: 0e000000-0000-4000-8000-000000000002/' -e 's/^date: .*/date: 2031-05-05/' \
	-e 's/product: windows/product: linux/' "$seed_rule" >"$fake/rules-emerging-threats/2030/Malware/et_linux.yml"
cp "$fake/rules-emerging-threats/2030/Malware/et_linux.yml" "$fake/rules/linux/"
nwin=$(($(ls "$TESTDATA"/families/rules/*.yml | wc -l) + 2))

expect_status 0 sh "$make_pack" "$fake" "$tmp/packs/tiny"
pack=$tmp/packs/tiny
expect_eq "$(find "$pack" -name '*.yml' | wc -l)" "$nwin" "pack: the Windows rules of the three trees"
expect_true "pack: emerging-threats rules of windows kept, in place" test -f "$pack/rules-emerging-threats/2030/Malware/et_windows.yml"
expect_true "pack: not those of another product" test ! -e "$pack/rules-emerging-threats/2030/Malware/et_linux.yml"
expect_true "pack: not rules/linux" test ! -e "$pack/rules/linux"
expect_same "$pack/LICENSE" "$fake/LICENSE" "pack: the rules' licence with them"
expect_contains "$pack/PROVENANCE" "^rules: $nwin\$" "PROVENANCE: the rule count"
expect_contains "$pack/PROVENANCE" '^commit: none: not a git checkout$' "PROVENANCE: no commit outside git"
expect_contains "$pack/PROVENANCE" '^newest-rule: 2030-01-02 ' "PROVENANCE: the newest rule date of the rules taken"
expect_contains "$pack/PROVENANCE" '^built: [0-9-]*T[0-9:]*Z$' "PROVENANCE: when built"
expect_true "SHA256SUMS holds every other file" \
	test "$(wc -l <"$pack/SHA256SUMS")" -eq "$(find "$pack" -type f ! -name SHA256SUMS | wc -l)"
(cd "$pack" && sha256sum -c --quiet SHA256SUMS) >"$tmp/sums" 2>&1 || fail "SHA256SUMS does not verify: $(cat "$tmp/sums")"
expect_empty "$tmp/sums" "SHA256SUMS verifies"
expect_status 1 sh "$make_pack" "$tmp/nothing" "$tmp/packs/bad"
expect_contains "$tmp/err" "$tmp/nothing: no rules/windows" "not a SigmaHQ tree: refused, named"
expect_true "no half pack left" test ! -e "$tmp/packs/bad"
rm "$fake/LICENSE"
expect_status 1 sh "$make_pack" "$fake" "$tmp/packs/bad"
expect_contains "$tmp/err" "LICENSE: missing" "no licence: no pack"
cp "$TESTDATA/families/rules/LICENSE.md" "$fake/LICENSE"
if command -v git >/dev/null; then
	git -C "$fake" init -q && git -C "$fake" add -A &&
		git -C "$fake" -c user.name=t -c user.email=t@t commit -qm fake
	expect_status 0 sh "$make_pack" "$fake" "$tmp/packs/gitpack"
	expect_contains "$tmp/packs/gitpack/PROVENANCE" "^commit: $(git -C "$fake" rev-parse HEAD)\$" "PROVENANCE: the commit of a checkout"
else
	echo "SKIP (part): no git, the checkout's commit is not tested"
fi

# the directories, as -r: what a pack must load the same as
set -- -r "$fake/rules/windows" -r "$fake/rules-threat-hunting/windows" -r "$fake/rules-emerging-threats/2030/Malware/et_windows.yml"
expect_status 0 "$EVTXHUNT" --check-rules $ph "$@"
sed 's|/.*/||' "$tmp/out" | tail -3 >"$tmp/check-dirs"
expect_contains "$tmp/out" "^$nwin loaded, 0 rejected\$" "--check-rules over the directories"
EVTXHUNT_RULES_PACKS=$tmp/nowhere::$tmp/packs expect_status 0 "$EVTXHUNT" --check-rules $ph -r @tiny
sed 's|/.*/||' "$tmp/out" | tail -3 >"$tmp/check-pack"
expect_same "$tmp/check-pack" "$tmp/check-dirs" "--check-rules -r @tiny: the same as over the directories"

# the hunt: the same hits, the same rules (the files' paths differ)
set +e
"$EVTXHUNT" -q -f jsonl $ph "$@" $logs >"$tmp/dirs.jsonl"
set -e
hit_pairs "$tmp/dirs.jsonl" >"$tmp/dirs.hits"
expect_true "the directories find hits" test -s "$tmp/dirs.hits"
EVTXHUNT_RULES_PACKS=$tmp/packs expect_status 1 "$EVTXHUNT" -q -f jsonl $ph -r @tiny $logs
hit_pairs "$tmp/out" >"$tmp/pack.hits"
expect_same "$tmp/pack.hits" "$tmp/dirs.hits" "-r @tiny: the hits of the directories"
EVTXHUNT_RULES_PACKS=$tmp/packs expect_status 1 "$EVTXHUNT" -q -f jsonl $ph --rules-pack tiny $logs
hit_pairs "$tmp/out" >"$tmp/pack.hits"
expect_same "$tmp/pack.hits" "$tmp/dirs.hits" "--rules-pack tiny: the same"

# not found, not a name: an error naming where it looked
EVTXHUNT_RULES_PACKS=$tmp/packs expect_status 2 "$EVTXHUNT" -r @missing $logs
expect_contains "$tmp/err" "^evtxhunt: -r @missing: no rule pack 'missing' in $tmp/packs, " "missing pack: the search path named"
expect_empty "$tmp/out" "missing pack: no hunt"
EVTXHUNT_RULES_PACKS=$tmp/packs expect_status 2 "$EVTXHUNT" --rules-pack ../packs/tiny $logs
expect_contains "$tmp/err" "is not a rule pack name" "a path is not a pack name"

# --list-rules-packs: each pack with its rule count and provenance; a
# pack met again further on the path is shadowed
mkdir -p "$tmp/more/tiny"
cp "$seed_rule" "$tmp/more/tiny/"
EVTXHUNT_RULES_PACKS=$tmp/packs:$tmp/more expect_status 0 "$EVTXHUNT" --list-rules-packs
expect_contains "$tmp/out" "^tiny	$nwin rules	$tmp/packs/tiny	source: SigmaHQ ($fake); commit: none: not a git checkout; newest-rule: 2030-01-02 " \
	"list: name, rules, directory, provenance"
expect_contains "$tmp/out" "^tiny	1 rules	$tmp/more/tiny	no PROVENANCE file	(shadowed by the pack of that name above)\$" "list: a shadowed pack said so"
EVTXHUNT_RULES_PACKS=$tmp/more:$tmp/packs expect_status 0 "$EVTXHUNT" --check-rules -r @tiny
expect_contains "$tmp/out" '^1 loaded, 0 rejected$' "the first directory of the path wins"

# packs/ beside the binary, as on a USB stick: found with no environment
mkdir -p "$tmp/kit"
cp "$EVTXHUNT" "$tmp/kit/evtxhunt"
cp -r "$tmp/packs" "$tmp/kit/packs"
expect_status 1 "$tmp/kit/evtxhunt" -q -f jsonl $ph -r @tiny $logs
hit_pairs "$tmp/out" >"$tmp/pack.hits"
expect_same "$tmp/pack.hits" "$tmp/dirs.hits" "packs/ beside the binary"

# build-aux/embed-pack.sh (./configure --with-builtin-pack): the C it
# writes holds each rule, the LICENSE and PROVENANCE byte for byte
cc=${CC:-cc}
if command -v "$cc" >/dev/null; then
	expect_status 0 sh "$TESTDATA/../build-aux/embed-pack.sh" "$pack"
	cp "$tmp/out" "$tmp/pack.c"
	cat >"$tmp/dump.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "evtxhunt/builtin.h"
/* writes each embedded rule to DIR/its path in the pack */
int main(int argc, char **argv)
{
	char path[4096];
	size_t skip = strlen("builtin:") + strlen(eh_builtin_pack_name) + 1;
	printf("%s %u\n", eh_builtin_pack_name, eh_builtin_pack_rule_count);
	for (unsigned i = 0; i < eh_builtin_pack_rule_count; i++) {
		snprintf(path, sizeof path, "%s/%s", argv[1], eh_builtin_pack_rules[i].name + skip);
		for (char *s = strchr(path + strlen(argv[1]) + 1, '/'); s; s = strchr(s + 1, '/')) {
			*s = '\0';
			mkdir(path, 0755);
			*s = '/';
		}
		FILE *f = fopen(path, "w");
		fputs(eh_builtin_pack_rules[i].yaml, f);
		fclose(f);
		printf("%s\n", eh_builtin_pack_rules[i].name);
	}
	snprintf(path, sizeof path, "%s/LICENSE", argv[1]);
	FILE *f = fopen(path, "w");
	fputs(eh_builtin_pack_license, f);
	fclose(f);
	snprintf(path, sizeof path, "%s/PROVENANCE", argv[1]);
	f = fopen(path, "w");
	fputs(eh_builtin_pack_provenance, f);
	fclose(f);
	return argc == 2 ? 0 : 1;
}
C
	sed -i '1i #include <sys/stat.h>' "$tmp/dump.c"
	if "$cc" -w -I"$TESTDATA/../include" -o "$tmp/dump" "$tmp/dump.c" "$tmp/pack.c" 2>"$tmp/cc.err"; then
		mkdir "$tmp/dumped"
		expect_status 0 "$tmp/dump" "$tmp/dumped"
		expect_contains "$tmp/out" "^tiny $nwin\$" "embed-pack: the pack's name and rule count"
		cp "$pack/SHA256SUMS" "$tmp/dumped/SHA256SUMS"
		diff -r "$pack" "$tmp/dumped" >"$tmp/diff" 2>&1 || true
		expect_empty "$tmp/diff" "embed-pack: every rule, LICENSE and PROVENANCE byte for byte"
		# the loader's order: names in byte order, a directory's before a longer name
		expect_eq "$(sed -n 2p "$tmp/out")" "builtin:tiny/rules/windows/family/create_remote_thread_win_susp_password_dumper_lsass.yml" \
			"embed-pack: rules/ (the directory) before rules-emerging-threats/"
	else
		fail "embed-pack: its C does not compile: $(head -5 "$tmp/cc.err")"
	fi
	rm "$fake/LICENSE"
	cp -r "$fake" "$tmp/nolicence"
	cp "$TESTDATA/families/rules/LICENSE.md" "$fake/LICENSE"
	expect_status 1 sh "$TESTDATA/../build-aux/embed-pack.sh" "$tmp/nolicence"
	expect_contains "$tmp/err" "nolicence/LICENSE: missing" "embed-pack: no licence, no pack"
else
	echo "SKIP (part): no C compiler for build-aux/embed-pack.sh's output"
fi

# SigmaHQ's own rules when present: the pack loads what the trees load
sigma=${SHARED:-}/sigma
if [ -d "$sigma/rules/windows" ]; then
	expect_status 0 sh "$make_pack" "$sigma" "$tmp/packs/sigma-windows"
	set -- -r "$sigma/rules/windows" -r "$sigma/rules-threat-hunting/windows"
	for f in $(cd "$sigma" && grep -rlE --include='*.yml' '^[[:space:]]+product:[[:space:]]*windows[[:space:]]*$' rules-emerging-threats); do
		set -- "$@" -r "$sigma/$f"
	done
	"$EVTXHUNT" --check-rules "$@" | grep ' loaded, ' >"$tmp/dirs.count" || true
	EVTXHUNT_RULES_PACKS=$tmp/packs "$EVTXHUNT" --check-rules -r @sigma-windows | grep ' loaded, ' >"$tmp/pack.count" || true
	expect_true "SigmaHQ: rules loaded" grep -q '^[1-9][0-9]* loaded' "$tmp/pack.count"
	expect_same "$tmp/pack.count" "$tmp/dirs.count" "SigmaHQ: -r @sigma-windows loads what the trees load ($(cat "$tmp/pack.count"))"
else
	echo "SKIP (part): no $sigma, the SigmaHQ pack is not built"
fi
finish
