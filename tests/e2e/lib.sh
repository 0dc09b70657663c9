# Shared set-up for the end-to-end tests: strict shell, C locale, a private
# temporary directory, and assertion helpers. Sourced by each test; the
# paths come from AM_TESTS_ENVIRONMENT (Makefile.am).
#
# Every helper records a failure (with what was expected and what was got)
# when its assertion does not hold, and returns 0 either way, so that the
# script goes on under set -e and reports every failed check. Failures are
# kept in a file, so a check inside a subshell or a pipeline counts too;
# the script fails at its exit if any was recorded, or if no check passed.
set -eu
LC_ALL=C
export LC_ALL
: "${EVTXHUNT:?run through make check}"
: "${TESTDATA:?run through make check}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/evtxhunt-e2e.XXXXXX")
mkdir "$tmp/.checks"
trap 'st=$?; [ -s "$tmp/.checks/failed" ] && [ "$st" -ne 77 ] && st=1; rm -rf "$tmp"; exit $st' EXIT

fail() {
	echo "FAIL: $*" >&2
	echo "$*" >>"$tmp/.checks/failed"
}

pass() {
	echo "ok: $*"
	echo "$*" >>"$tmp/.checks/passed"
}

# expect_status WANT CMD...: runs CMD, output in $tmp/out and $tmp/err;
# its exit status must be WANT.
expect_status() {
	_want=$1
	shift
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	_got=$?
	set -e
	if [ "$_got" -eq "$_want" ]; then
		pass "exit $_want: $*"
	else
		fail "exit $_got, expected $_want: $*"
		sed 's/^/  stderr: /' "$tmp/err" | head -20 >&2
	fi
}

# expect_contains FILE PATTERN WHAT: a line of FILE matches PATTERN (a
# basic regular expression).
expect_contains() {
	if [ ! -f "$1" ]; then
		fail "$3: $1 does not exist (expected a line matching '$2')"
	elif grep -q -- "$2" "$1"; then
		pass "$3"
	else
		fail "$3: no line of $1 matches '$2'; it holds:"
		head -c 2000 "$1" | sed 's/^/  got: /' | head -10 >&2
	fi
}

# expect_not_contains FILE PATTERN WHAT: FILE exists, no line matches.
expect_not_contains() {
	if [ ! -f "$1" ]; then
		fail "$3: $1 does not exist"
	elif grep -q -- "$2" "$1"; then
		fail "$3: $1 has lines matching '$2':"
		grep -- "$2" "$1" | head -5 | sed 's/^/  got: /' >&2
	else
		pass "$3"
	fi
}

# expect_count N FILE PATTERN WHAT: exactly N lines of FILE match PATTERN
# ('' counts every line).
expect_count() {
	if [ ! -f "$2" ]; then
		fail "$4: $2 does not exist (expected $1 lines matching '$3')"
		return 0
	fi
	_n=$(grep -c -- "$3" "$2" || true)
	expect_eq "$_n" "$1" "$4 (lines matching '$3')"
}

# expect_empty FILE WHAT: FILE exists and is empty.
expect_empty() {
	if [ ! -f "$1" ]; then
		fail "$2: $1 does not exist"
	elif [ -s "$1" ]; then
		fail "$2: $1 is not empty:"
		head -c 1000 "$1" | sed 's/^/  got: /' | head -5 >&2
	else
		pass "$2"
	fi
}

# expect_eq GOT WANT WHAT: two strings are equal.
expect_eq() {
	if [ "$1" = "$2" ]; then pass "$3: $2"; else fail "$3: got '$1', expected '$2'"; fi
}

# expect_true WHAT CMD...: CMD succeeds (for a test no other helper says).
expect_true() {
	_what=$1
	shift
	if "$@"; then pass "$_what"; else fail "$_what: '$*' failed"; fi
}

# expect_same FILE GOLDEN WHAT: FILE equals GOLDEN, else a diff.
expect_same() {
	if [ ! -f "$1" ] || [ ! -f "$2" ]; then
		fail "$3: $1 or $2 does not exist"
	elif cmp -s "$1" "$2"; then
		pass "$3"
	else
		fail "$3: $1 differs from $2:"
		diff -u "$2" "$1" | head -40 >&2 || true
	fi
}

# hits [FILE]: the record ids of the JSON Lines hits in FILE ($tmp/out),
# in order, on one line
hits() {
	{ grep -o '"record_id":[0-9]*' "${1:-$tmp/out}" || true; } | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//'
}

# expect_hits IDS WHAT: the hits in $tmp/out are exactly IDS, in order.
expect_hits() {
	if [ ! -f "$tmp/out" ]; then
		fail "$2: no output file"
	else
		expect_eq "$(hits)" "$1" "$2: hits"
	fi
}

# expect_stats FILE WHAT KEY=VALUE...: --stats-json counters in FILE.
expect_stats() {
	_file=$1 _what=$2
	shift 2
	if [ ! -f "$_file" ]; then
		fail "$_what: no --stats-json file $_file"
		return 0
	fi
	_bad=0
	for _kv in "$@"; do
		if ! grep -q "\"${_kv%%=*}\":${_kv#*=}[,}]" "$_file"; then
			fail "$_what: ${_kv%%=*} is not ${_kv#*=}: $(cat "$_file")"
			_bad=1
		fi
	done
	[ "$_bad" -eq 1 ] || pass "$_what: counts $*"
}

# stat_of FILE KEY: one --stats-json counter (empty when absent)
stat_of() {
	{ grep -o "\"$2\":[0-9]*" "$1" 2>/dev/null || true; } | cut -d: -f2
}

# process_creation_rules DIR: copies every process_creation rule of
# $SHARED/sigma (rules/, rules-threat-hunting/, rules-emerging-threats/)
# into DIR; returns 1 when the repository is absent.
process_creation_rules() {
	sigma=${SHARED:-}/sigma
	[ -d "$sigma" ] || return 1
	mkdir -p "$1"
	cp -r "$sigma/rules/windows/process_creation" "$1/rules"
	cp -r "$sigma/rules-threat-hunting/windows/process_creation" "$1/threat-hunting"
	grep -rl 'category: process_creation' "$sigma/rules-emerging-threats" | while IFS= read -r r; do
		cp "$r" "$1/$(basename "$r")"
	done
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# finish: the script's verdict; a script in which no check passed has
# tested nothing (an empty loop, a missed input) and fails too.
finish() {
	if [ -s "$tmp/.checks/failed" ]; then
		echo "$(wc -l <"$tmp/.checks/failed") failed checks" >&2
		exit 1
	fi
	if [ ! -s "$tmp/.checks/passed" ]; then
		echo "FAIL: no check passed: nothing was tested" >&2
		exit 1
	fi
	exit 0
}
