#!/bin/sh
# Instruction counts (callgrind, -j1: repeatable on a shared, noisy
# machine) of two evtxhunt builds and evtxexport, side by side, on small
# slices of the benchmark inputs: what a change costs on the hot path.
#   sh bench/instructions.sh OLD_EVTXHUNT NEW_EVTXHUNT
# Slices (bench/build_log.py; made here when missing, in BENCH_DIR):
# attack-16 (Sysmon chunks of the attack samples), attack-all-16 (every
# channel), security-4 (a dense Security log).
set -eu
old=$1 new=$2
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$here/../../shared}
bench=${BENCH_DIR:-/tmp/evtxhunt-bench}
samples=$shared/samples/evtx-attack-samples
edge=$shared/samples/parser-edge-cases
sigma=$shared/sigma
mkdir -p "$bench"
[ -s "$bench/attack-16.evtx" ] || python3 "$here/build_log.py" "$bench/attack-16.evtx" 16 --sysmon-only "$samples" >&2
[ -s "$bench/attack-all-16.evtx" ] || python3 "$here/build_log.py" "$bench/attack-all-16.evtx" 16 "$samples" >&2
[ -s "$bench/security-4.evtx" ] || python3 "$here/build_log.py" "$bench/security-4.evtx" 4 \
	"$edge/security.evtx" "$edge/Security_with_size_t.evtx" "$edge/post-Security.evtx" >&2
pc=$(cd "$here" && python3 -c 'import run; print(run.process_creation_rules())')
all="-r $sigma/rules/windows -r $sigma/rules-threat-hunting/windows -r $sigma/rules-emerging-threats"

count() { # prints the instructions of one run of "$@"
	out=$(mktemp)
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >/dev/null 2>"$out" || true
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out" | head -1
	rm -f "$out"
}

# A build that hunts in a supervised child is counted with --no-isolation:
# under valgrind the run is some 50 times slower, and the supervisor's
# polling (every 50 ms) with it; its cost is measured natively instead.
one_process() {
	if "$1" --help 2>&1 | grep -q -- --no-isolation; then
		echo --no-isolation
	fi
}

printf '%-15s %-28s %14s %14s %8s\n' input case old new new/old
row() { # INPUT CASE ARGS...
	input=$1 what=$2
	shift 2
	# shellcheck disable=SC2046
	a=$(count "$old" -q -j1 $(one_process "$old") "$@" "$bench/$input.evtx")
	# shellcheck disable=SC2046
	b=$(count "$new" -q -j1 $(one_process "$new") "$@" "$bench/$input.evtx")
	printf '%-15s %-28s %14s %14s %8s\n' "$input" "$what" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", b / a }')"
}
for input in attack-16 attack-all-16 security-4; do
	printf '%-15s %-28s %14s\n' "$input" "evtxexport -f xml" "$(count evtxexport -f xml "$bench/$input.evtx")"
done
row attack-16 "seed rule"
row attack-16 "seed rule, --no-prefilter" --no-prefilter
# shellcheck disable=SC2086
row attack-16 "process_creation rules" -r "$pc"
# shellcheck disable=SC2086
row attack-all-16 "all Windows rules" $all
# shellcheck disable=SC2086
row security-4 "all Windows rules" $all
# an IOC list (100,000 command-line values) beside a rule without literals:
# the prefilter narrows on demand, and must still narrow here
ioc=$(mktemp --suffix=.yml)
{
	printf 'title: ioc list\nlogsource:\n  product: windows\n  category: process_creation\n'
	printf 'detection:\n  sel:\n    CommandLine|contains:\n'
	seq -f "      - 'ioc%06g-evil.exe'" 0 99999
	printf '  condition: sel\n---\ntitle: logon\nlogsource:\n  product: windows\n  service: security\n'
	printf 'detection:\n  sel:\n    EventID: 4624\n  condition: sel\n'
} >"$ioc"
row attack-16 "IOC list and a rule without literals" -r "$ioc"
rm -rf "$pc" "$ioc"
