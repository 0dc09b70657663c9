#!/bin/sh
# Every fixture read back, field by field, by two readers that share no
# code with the fixture writer or each other (libevtx's evtxexport and
# python-evtx) and by evtxhunt's own reader, against its description.
# See tests/e2e/readers.py for how values XML cannot carry are compared.
. "$E2E_LIB"
: "${EVTXGEN:?}" "${READBACK:?}"
# python-evtx is a Debian package for Debian's python3
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
command -v "$py" >/dev/null 2>&1 || skip "python3 absent"
check=$(dirname "$E2E_LIB")/readers.py
grep -v '^#' "$TESTDATA/fixtures/fixtures.list" | grep -v '^[[:space:]]*$' >"$tmp/list"
while read -r name desc rest; do
	damaged=
	[ -n "$rest" ] && damaged=--damaged
	if "$py" "$check" $damaged "$EVTXGEN" "$READBACK" "$TESTDATA/fixtures/$desc" "$TESTDATA/logs/$name" \
		>"$tmp/report" 2>&1; then
		pass "$name"
	else
		fail "$name"
	fi
	sed 's/^/  /' "$tmp/report"
done <"$tmp/list"
finish
