#!/bin/sh
# The committed fixtures are exactly what the writer produces from their
# descriptions (testdata/fixtures/fixtures.list).
# To rewrite them after changing a description: tests/e2e/fixtures.sh --update
. "$E2E_LIB"
: "${EVTXGEN:?run through make check}"
sh "$(dirname "$E2E_LIB")/../fixtures/make-fixtures.sh" "$EVTXGEN" "$TESTDATA/fixtures" "$tmp/logs"
for f in "$tmp"/logs/*.evtx; do
	name=$(basename "$f")
	[ "${1:-}" = --update ] && cp "$f" "$TESTDATA/logs/$name"
	if cmp -s "$f" "$TESTDATA/logs/$name"; then
		pass "$name"
	else
		fail "$name is not what evtxgen writes from its description"
	fi
done
finish
