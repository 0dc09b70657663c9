#!/bin/sh
# Issue 17: records crafted to make libevtx's libfwevt recurse without end
# (stack overflow) or expand exponentially (memory), written at test time
# by tests/fixtures/crafted.py. Each must be kept from libevtx and named
# unreadable, in every mode, in bounded time and memory; a sweep holding
# them must still report the other logs' hits.
#
# Every run is guarded: timeout 5 s, ulimit -v 1 GiB (under ASan, whose
# shadow memory needs terabytes of address space, ASan's own
# hard_rss_limit_mb=1024 instead). Acceptance, where /usr/bin/time is
# installed: at most 2 s and 256 MB of peak RSS a run (not checked under
# ASan, which doubles both).
. "$E2E_LIB"
command -v python3 >/dev/null 2>&1 || skip "python3 absent: crafted.py cannot write the logs"
crafted=$TESTDATA/../tests/fixtures/crafted.py

# 1 GiB, and 32 MiB more per core past two (a worker thread's stack and
# heap reserve address space, not memory)
cores=$(nproc 2>/dev/null || echo 2)
VLIMIT_KB=$((1048576 + (cores > 2 ? cores - 2 : 0) * 32768))
MAX_RSS_KB=262144
MAX_SECONDS=2
asan=no
if grep -q __asan_init "$EVTXHUNT" 2>/dev/null; then
	asan=yes
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=1024
	export ASAN_OPTIONS
fi
timer=
if [ -x /usr/bin/time ] && [ "$asan" = no ]; then
	timer=yes
else
	echo "time and RSS not measured (/usr/bin/time absent, or an ASan build)"
fi

# guarded WHAT CMD...: CMD under the limits; output in $tmp/out and
# $tmp/err, status in $st. The status must be evtxhunt's own (0, 1, 2):
# not 124 (timed out), 134 (abort), 139 (SIGSEGV), 137 (killed).
guarded() {
	_run=$1
	shift
	set +e
	(
		[ "$asan" = yes ] || ulimit -v "$VLIMIT_KB"
		if [ -n "$timer" ]; then
			exec /usr/bin/time -v -o "$tmp/time" timeout 5 "$@"
		else
			exec timeout 5 "$@"
		fi
	) >"$tmp/out" 2>"$tmp/err" </dev/null
	st=$?
	set -e
	case $st in
	0 | 1 | 2) pass "$_run: exit $st" ;;
	*)
		fail "$_run: exit $st (124 timed out, 134 aborted, 139 SIGSEGV): $*"
		tail -5 "$tmp/err" | sed 's/^/  stderr: /' >&2
		;;
	esac
	[ -n "$timer" ] || return 0
	_rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
	_secs=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$tmp/time" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	expect_true "$_run: peak RSS ${_rss:-?} KB <= $MAX_RSS_KB" test "${_rss:-999999999}" -le "$MAX_RSS_KB"
	expect_true "$_run: ${_secs:-?} s <= $MAX_SECONDS" awk "BEGIN { exit !(${_secs:-999} <= $MAX_SECONDS) }"
}

# the crafted logs: NAME RECORD-ID crafted.py arguments; live records
# first, then those in slack (recovered by carving)
cat >"$tmp/kinds" <<'KINDS'
self 7301 self
mutual 7302 mutual
expand-30-3 7303 expand 30 3
expand-60-3 7304 expand 60 3
expand-12-7 7305 expand 12 7
mutual-templates-30-4 7306 mutual-templates 30 4
array-200-3 7307 array 200 3
array-20000-2 7308 array 20000 2
long-names-1700-16000 7309 long-names 1700 16000
slack-self 7311 self --slack
slack-mutual 7312 mutual --slack
slack-expand-30-3 7313 expand 30 3 --slack
KINDS
mkdir "$tmp/logs"
while read -r name id args; do
	# shellcheck disable=SC2086 # the arguments are words
	expect_status 0 python3 "$crafted" $args --record-id "$id" "$tmp/logs/$name.evtx"
done <"$tmp/kinds"

families=$TESTDATA/families/rules
while read -r name id args; do
	log=$tmp/logs/$name.evtx
	for mode in default --no-prefilter -j1 "-f csv" "-f jsonl" "-r $families"; do
		what="$name ($mode)"
		[ "$mode" = default ] && mode=
		rm -f "$tmp/stats.json" # a crash leaves none; not the last run's
		# shellcheck disable=SC2086 # the mode is words
		guarded "$what" "$EVTXHUNT" $mode --stats-json "$tmp/stats.json" "$log"
		case $name in
		slack-*)
			# a record in slack is a carving candidate: it must not be
			# carved (counted as not parsable, or named unreadable)
			if grep -q "record $id .*unreadable" "$tmp/err" ||
				[ "$(stat_of "$tmp/stats.json" recovered_unparsable)" -ge 1 ] 2>/dev/null; then
				pass "$what: the record in slack is kept from libevtx"
			else
				fail "$what: record $id in slack neither named unreadable nor counted not parsable"
				tail -3 "$tmp/err" | sed 's/^/  stderr: /' >&2
			fi
			expect_stats "$tmp/stats.json" "$what" records_recovered=0
			;;
		*)
			expect_contains "$tmp/err" "$name.evtx: chunk 0: record $id .*unreadable" "$what: record $id named unreadable"
			expect_stats "$tmp/stats.json" "$what" records_unreadable=1
			;;
		esac
	done
done <"$tmp/kinds"

# A sweep of a share: the crafted logs next to a real log with a hit.
real=${SHARED:-}/samples/evtx-attack-samples/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx
[ -f "$real" ] || real=$TESTDATA/logs/sysmon_seed_rule.evtx
cp "$real" "$tmp/logs/real.evtx"
expect_status 1 "$EVTXHUNT" -q -f jsonl "$tmp/logs/real.evtx"
want=$(hits)
expect_true "the real log alone has hits ($want)" test -n "$want"
for mode in default "--no-prefilter -j1"; do
	[ "$mode" = default ] && m= || m=$mode
	# shellcheck disable=SC2086 # the mode is words
	guarded "sweep ($mode)" "$EVTXHUNT" $m -f jsonl "$tmp/logs"
	expect_eq "$st" 1 "sweep ($mode): exit status, hits found"
	grep '"file":"[^"]*real\.evtx"' "$tmp/out" >"$tmp/real.jsonl" || true
	expect_eq "$(hits "$tmp/real.jsonl")" "$want" "sweep ($mode): the real log's hits"
	while read -r name id args; do
		case $name in
		slack-*) ;;
		*) expect_contains "$tmp/err" "$name.evtx: chunk 0: record $id .*unreadable" "sweep ($mode): $name's record $id named" ;;
		esac
	done <"$tmp/kinds"
done
finish
