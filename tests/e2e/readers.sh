#!/bin/sh
# Every fixture read back, field by field, by two readers that share no
# code with the fixture writer or each other (libevtx's evtxexport and
# python-evtx) and by evtxhunt's own reader, against its description.
# See tests/e2e/readers.py for how values XML cannot carry are compared,
# and for the cache of the external readers' output (EVTXHUNT_TEST_CACHE).
. "$E2E_LIB"
: "${EVTXGEN:?}" "${READBACK:?}"
# python-evtx is a Debian package for Debian's python3
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
command -v "$py" >/dev/null 2>&1 || skip "python3 absent"
check=$(dirname "$E2E_LIB")/readers.py
grep -v '^#' "$TESTDATA/fixtures/fixtures.list" | grep -v '^[[:space:]]*$' >"$tmp/list"
expect_true "fixtures.list names fixtures" test -s "$tmp/list"

# one fixture: its report and verdict in $tmp/NAME.report and .status
read_back() { # NAME DESCRIPTION DAMAGED
	if "$py" "$check" $3 "$EVTXGEN" "$READBACK" "$TESTDATA/fixtures/$2" "$TESTDATA/logs/$1" \
		>"$tmp/$1.report" 2>&1; then
		echo 0 >"$tmp/$1.status"
	else
		echo 1 >"$tmp/$1.status"
	fi
}
# as many at a time as there are processors (python-evtx is slow when
# its output is not in the cache); the verdicts are read in list order
jobs=$(nproc 2>/dev/null || echo 2)
running=0
while read -r name desc rest; do
	damaged=
	[ -n "$rest" ] && damaged=--damaged
	read_back "$name" "$desc" "$damaged" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done <"$tmp/list"
wait
while read -r name desc rest; do
	if [ "$(cat "$tmp/$name.status" 2>/dev/null)" = 0 ]; then
		pass "$name"
	else
		fail "$name"
	fi
	sed 's/^/  /' "$tmp/$name.report" 2>/dev/null || true
done <"$tmp/list"
finish
