#!/bin/sh
# The committed fixtures are exactly what the writer produces from their
# descriptions (testdata/fixtures/fixtures.list).
# To rewrite them after changing a description: tests/e2e/fixtures.sh --update
. "$E2E_LIB"
: "${EVTXGEN:?run through make check}"
expect_status 0 sh "$(dirname "$E2E_LIB")/../fixtures/make-fixtures.sh" "$EVTXGEN" "$TESTDATA/fixtures" "$tmp/logs"
# every fixture the list names, so a file the writer failed to write fails
grep -v '^#' "$TESTDATA/fixtures/fixtures.list" | grep -v '^[[:space:]]*$' | cut -d' ' -f1 >"$tmp/names"
expect_true "fixtures.list names fixtures" test -s "$tmp/names"
while read -r name; do
	[ "${1:-}" = --update ] && [ -f "$tmp/logs/$name" ] && cp "$tmp/logs/$name" "$TESTDATA/logs/$name"
	if [ ! -f "$tmp/logs/$name" ]; then
		fail "$name: not written by evtxgen"
	elif cmp -s "$tmp/logs/$name" "$TESTDATA/logs/$name"; then
		pass "$name"
	else
		fail "$name is not what evtxgen writes from its description"
	fi
done <"$tmp/names"
finish
