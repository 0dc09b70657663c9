#!/bin/sh
# Values from the log never act on the terminal or the spreadsheet, and
# JSON Lines stay valid whatever the log holds.
. "$E2E_LIB"
f=$TESTDATA/logs/hostile_values.evtx

# no raw escape, BEL, C1 (UTF-8 C2 80-9F) or bidi override (E2 80 AE) bytes
raw_controls() {
	LC_ALL=C grep -c "$(printf '[\001-\010\013\014\016-\037\177]')" "$1" || true
}
c1_or_bidi() {
	LC_ALL=C grep -c "$(printf '\302[\200-\237]\|\342\200[\252-\256]\|\342\201[\246-\251]')" "$1" || true
}

for format in table csv jsonl; do
	run 1 "$EVTXHUNT" -q --wide -f "$format" "$f" || continue
	[ "$(raw_controls "$tmp/out")" -eq 0 ] && pass "$format: no raw control characters" ||
		fail "$format: raw control characters"
	[ "$(c1_or_bidi "$tmp/out")" -eq 0 ] && pass "$format: no C1 or bidi controls" ||
		fail "$format: C1 or bidi controls"
done

run 1 "$EVTXHUNT" -q -f csv "$f"
# every cell of the formula fixture starts harmlessly
if grep -q "HYPERLINK" "$tmp/out"; then
	grep "HYPERLINK" "$tmp/out" | tr ',' '\n' | grep -q '^"*[=+@]' && fail "csv: a cell starts a formula" ||
		pass "csv: formulas neutralized"
fi

# CSV: one row per hit, whatever CR, LF, NUL, quotes and commas the values
# hold (CR LF ends rows, as RFC 4180 says; none inside a row)
[ "$(wc -l <"$tmp/out")" -eq 7 ] && [ "$(grep -c "$(printf '\r$')" "$tmp/out")" -eq 7 ] &&
	[ "$(tr -cd '\r' <"$tmp/out" | wc -c)" -eq 7 ] && pass "csv: one line per hit, CR only ending rows"
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert len(rows) == 7 and all(len(r) == len(rows[0]) for r in rows), [len(r) for r in rows]
' "$tmp/out" && pass "csv: a CSV reader sees 6 rows of hits, every one complete"
fi
for format in table jsonl; do
	run 1 "$EVTXHUNT" -q --wide -f "$format" "$f"
	[ "$(grep -c "$(printf '\r')" "$tmp/out" || true)" -eq 0 ] && pass "$format: no raw CR (it would rewrite the line on a terminal)"
done

run 1 "$EVTXHUNT" -q -f jsonl "$f"
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8", errors="strict"):
    obj = json.loads(line)
    assert obj["rule_id"] == "ce2c44b5-a6ac-412a-afba-9e89326fa972"
    n += 1
assert n == 6, n
' "$tmp/out" && pass "jsonl: valid UTF-8 JSON, 6 hits" || fail "jsonl is not valid JSON"
else
	echo "python3 absent: JSON validity not checked"
fi

# A file name is evidence too: escaped in messages.
evil=$(printf '%s/evil\033[31mname.evtx' "$tmp")
printf 'not a log' >"$evil"
run 2 "$EVTXHUNT" -q "$evil" && grep -q 'evil\\x1B\[31mname.evtx: not an EVTX file' "$tmp/err" &&
	pass "file names escaped in messages"
[ "$(raw_controls "$tmp/err")" -eq 0 ] || fail "raw control characters in messages"
finish
