# Shared set-up for the end-to-end tests: strict shell, C locale, a private
# temporary directory, and small assertion helpers. Sourced by each test;
# the paths come from AM_TESTS_ENVIRONMENT (Makefile.am).
set -eu
LC_ALL=C
export LC_ALL
: "${EVTXHUNT:?run through make check}"
: "${TESTDATA:?run through make check}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/evtxhunt-e2e.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

pass() {
	echo "ok: $*"
}

# run EXPECTED_STATUS CMD...: runs CMD, output in $tmp/out and $tmp/err.
run() {
	want=$1
	shift
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		fail "exit $got, expected $want: $*"
		sed 's/^/  stderr: /' "$tmp/err" | head -20 >&2
		return 1
	fi
	return 0
}

# same FILE GOLDEN WHAT: FILE equals GOLDEN, else a diff.
same() {
	if cmp -s "$1" "$2"; then
		pass "$3"
	else
		fail "$3 differs from $2:"
		diff -u "$2" "$1" | head -40 >&2 || true
	fi
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

finish() {
	[ "$failures" -eq 0 ] || exit 1
	exit 0
}
