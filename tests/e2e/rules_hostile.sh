#!/bin/sh
# Rule files are input too: alias bombs, deep nesting, huge scalars,
# 5,000 selections joined by 'and' and patterns that backtrack
# catastrophically end in an error or a bounded match, never a hang or a
# crash; the good rules beside them still run.
. "$E2E_LIB"
: "${EVTXGEN:?run through make check}"
r=$tmp/rules
mkdir "$r"
head='title: hostile
id: 00000000-0000-4000-8000-0000000000aa
logsource: {category: process_creation, product: windows}
'
# a billion laughs
{
	printf '%s' "$head"
	printf 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
	for i in 1 2 3 4 5 6 7 8 9; do
		printf 'a%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n' $i $i $((i - 1)) $((i - 1)) $((i - 1)) \
			$((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1))
	done
	printf 'detection:\n  sel: {Image: *a9}\n  condition: sel\n'
} >"$r/alias_bomb.yml"
# 100,000 levels of flow sequences
python3 -c 'import sys; sys.stdout.write(sys.argv[1] + "detection:\n  sel: {Image: " + "[" * 100000 + "]" * 100000 + "}\n  condition: sel\n")' "$head" >"$r/deep.yml"
# a 16 MiB scalar
python3 -c 'import sys; sys.stdout.write(sys.argv[1] + "detection:\n  sel: {CommandLine|contains: \"" + "A" * (16 << 20) + "\"}\n  condition: sel\n")' "$head" >"$r/huge_scalar.yml"
# a 100,000-deep condition
python3 -c 'import sys; sys.stdout.write(sys.argv[1] + "detection:\n  sel: {Image: x}\n  condition: " + "(" * 100000 + "sel" + ")" * 100000 + "\n")' "$head" >"$r/deep_condition.yml"
# 5,000 selections joined by 'and'
python3 -c 'import sys; sys.stdout.write(sys.argv[1] + "detection:\n  sel: {Image: x}\n  condition: " + " and ".join(["sel"] * 5000) + "\n")' "$head" >"$r/long_condition.yml"
# patterns that backtrack catastrophically
cat >"$r/backtrack.yml" <<'YAML'
title: Catastrophic backtracking
id: 00000000-0000-4000-8000-0000000000ab
logsource: {category: process_creation, product: windows}
detection:
  a: {CommandLine|re: '^(a|aa)+$'}
  b: {CommandLine|re: '(x+x+)+y'}
  c: {CommandLine|re: '^(\w+\s?)*$'}
  condition: a or b or c
level: high
YAML
cp "$TESTDATA/../rules/proc_creation_win_regsvr32_dllregisterserver_exec.yml" "$r/good.yml"

# a log whose command lines feed those patterns
cat >"$tmp/log.txt" <<'DESC'
event
  id 1
  time 2024-03-01T10:00:00.0000000Z
  computer HOST-1
  data Image=C:\Windows\System32\regsvr32.exe
  data CommandLine={{repeat 30000 a}}b
end
event
  id 1
  time 2024-03-01T10:00:01.0000000Z
  computer HOST-1
  data Image=C:\Windows\System32\cmd.exe
  data CommandLine={{repeat 20000 x}}
end
event
  id 1
  time 2024-03-01T10:00:02.0000000Z
  computer HOST-1
  data Image=C:\Windows\System32\regsvr32.exe
  data CommandLine=regsvr32.exe /s C:\x.dll {{repeat 3000 word }}!
end
DESC
"$EVTXGEN" "$tmp/log.txt" "$tmp/log.evtx"

expect_status 2 timeout 120 "$EVTXHUNT" -q --check-rules -r "$r"
for f in alias_bomb deep deep_condition long_condition; do
	expect_contains "$tmp/out" "$f.yml:[0-9]*:[0-9]*: " "$f.yml rejected with a position"
done
expect_contains "$tmp/out" 'YAML aliases are not supported' "aliases refused"

expect_status 2 timeout 300 "$EVTXHUNT" --no-prefilter -f jsonl --stats-json "$tmp/stats.json" -r "$r" "$tmp/log.evtx"
expect_contains "$tmp/out" '"rule_title":"Regsvr32.EXE Calling of DllRegisterServer Export Function Implicitly"' \
	"the good rule still hits"
expect_contains "$tmp/stats.json" '"regex_limit_hits":[1-9]' "backtracking stopped at the match limit, and counted"
expect_contains "$tmp/err" 'regular-expression tests stopped at the match limit' "the summary says so"
# A symlink loop in a rule directory is one error, not every rule below it
# loaded once per level.
mkdir -p "$tmp/loop/sub"
ln -s .. "$tmp/loop/sub/loop"
cp "$TESTDATA/../rules/proc_creation_win_regsvr32_dllregisterserver_exec.yml" "$tmp/loop/sub/"
expect_status 2 "$EVTXHUNT" --check-rules -r "$tmp/loop"
expect_contains "$tmp/out" "^$tmp/loop/sub/loop:0:0: symlink loop (leads back to a directory above)$" "rule-directory loop named"
expect_contains "$tmp/out" '^1 loaded, 1 rejected$' "rule-directory loop: the rule loaded once"
finish
