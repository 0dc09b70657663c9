#!/bin/sh
# Values from the log never act on the terminal or the spreadsheet, and
# JSON Lines stay valid whatever the log holds.
. "$E2E_LIB"
f=$TESTDATA/logs/hostile_values.evtx

# no raw escape, BEL, C1 (UTF-8 C2 80-9F) or bidi override (E2 80 AE) bytes
raw_controls=$(printf '[\001-\010\013\014\016-\037\177]')
c1_or_bidi=$(printf '\302[\200-\237]\|\342\200[\252-\256]\|\342\201[\246-\251]')

for format in table csv jsonl; do
	expect_status 1 "$EVTXHUNT" -q --wide -f "$format" "$f"
	expect_true "$format: hits printed" test -s "$tmp/out"
	expect_count 0 "$tmp/out" "$raw_controls" "$format: no raw control characters"
	expect_count 0 "$tmp/out" "$c1_or_bidi" "$format: no C1 or bidi controls"
done

expect_status 1 "$EVTXHUNT" -q -f csv "$f"
# every cell of the formula fixture starts harmlessly
expect_contains "$tmp/out" "HYPERLINK" "csv: the formula fixture's hit is there"
{ grep "HYPERLINK" "$tmp/out" || true; } | tr ',' '\n' >"$tmp/cells"
expect_not_contains "$tmp/cells" '^"*[=+@]' "csv: formulas neutralized"

# CSV: one row per hit, whatever CR, LF, NUL, quotes and commas the values
# hold (CR LF ends rows, as RFC 4180 says; none inside a row)
expect_count 7 "$tmp/out" '' "csv: one line per hit, and the header"
expect_count 7 "$tmp/out" "$(printf '\r$')" "csv: every line ends in CR LF"
expect_eq "$(tr -cd '\r' <"$tmp/out" | wc -c)" 7 "csv: CR only ending rows"
if command -v python3 >/dev/null 2>&1; then
	expect_true "csv: a CSV reader sees 6 rows of hits, every one complete" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert len(rows) == 7 and all(len(r) == len(rows[0]) for r in rows), [len(r) for r in rows]
' "$tmp/out"
fi
for format in table jsonl; do
	expect_status 1 "$EVTXHUNT" -q --wide -f "$format" "$f"
	expect_true "$format: hits printed" test -s "$tmp/out"
	expect_count 0 "$tmp/out" "$(printf '\r')" "$format: no raw CR (it would rewrite the line on a terminal)"
done

expect_status 1 "$EVTXHUNT" -q -f jsonl "$f"
if command -v python3 >/dev/null 2>&1; then
	expect_true "jsonl: valid UTF-8 JSON, 6 hits" python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8", errors="strict"):
    obj = json.loads(line)
    assert obj["rule_id"] == "ce2c44b5-a6ac-412a-afba-9e89326fa972"
    n += 1
assert n == 6, n
' "$tmp/out"
else
	echo "python3 absent: JSON validity not checked"
fi

# The key fields of other kinds of event: hits read back by --merge (no
# fixture log has them yet), hostile in a network connection's host name
# and port and in the name of an unknown kind's first field.
cat >"$tmp/kinds.jsonl" <<'KINDS'
{"timestamp":"2024-05-01T12:00:00Z","file":"n.evtx","record_id":1,"computer":"WS7","channel":"Microsoft-Windows-Sysmon/Operational","event_id":3,"rule_id":"n-1","rule_title":"Net","level":"high","rule_category":"network_connection","rule_fields":["DestinationHostname"],"fields":{"Image":"C:\\a.exe","DestinationPort":"-2+3","DestinationHostname":"=HYPERLINK(\"x\")\u001b[31m\r\nfake\u202eexe\u009b1m"}}
{"timestamp":"2024-05-01T12:00:01Z","file":"n.evtx","record_id":2,"computer":"WS7","channel":"Other","event_id":77,"rule_id":"u-1","rule_title":"Unknown","rule_category":"new_kind","rule_fields":[],"fields":{"@SUM(1)":"\u0007x","B":"\ty"}}
KINDS
for format in table csv jsonl; do
	expect_status 1 "$EVTXHUNT" -q --wide --merge -f "$format" "$tmp/kinds.jsonl"
	expect_count 0 "$tmp/out" "$raw_controls" "other kinds, $format: no raw control characters"
	expect_count 0 "$tmp/out" "$c1_or_bidi" "other kinds, $format: no C1 or bidi controls"
done
expect_status 1 "$EVTXHUNT" -q --merge -f table "$tmp/kinds.jsonl"
expect_count 0 "$tmp/out" "$(printf '\r')" "other kinds, table: no raw CR"
expect_contains "$tmp/out" '^  DestinationHostname: =HYPERLINK("x")\\x1B\[31m\\r\\nfake\\u202Eexe\\u009B1m$' "other kinds, table: the key field escaped"
expect_contains "$tmp/out" '^  @SUM(1): \\x07x$' "other kinds, table: an unknown kind's fields escaped"
expect_status 1 "$EVTXHUNT" -q --merge -f csv "$tmp/kinds.jsonl"
expect_count 3 "$tmp/out" "$(printf '\r$')" "other kinds, csv: every line ends in CR LF"
expect_eq "$(tr -cd '\r' <"$tmp/out" | wc -c)" 3 "other kinds, csv: CR only ending rows"
expect_contains "$tmp/out" 'DestinationHostname: =HYPERLINK(""x"")\\x1B\[31m\\r\\nfake\\u202Eexe\\u009B1m' "other kinds, csv: details escaped"
if command -v python3 >/dev/null 2>&1; then
	expect_true "other kinds, csv: whole rows, no cell a formula" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert len(rows) == 3 and all(len(r) == len(rows[0]) for r in rows), [len(r) for r in rows]
bad = [c for r in rows for c in r if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
assert not bad, bad
assert rows[2][rows[0].index("details")].startswith("\x27@SUM(1): "), rows[2]
' "$tmp/out"
fi

# A file name is evidence too: escaped in messages.
evil=$(printf '%s/evil\033[31mname.evtx' "$tmp")
printf 'not a log' >"$evil"
expect_status 2 "$EVTXHUNT" -q "$evil"
expect_contains "$tmp/err" 'evil\\x1B\[31mname.evtx: not an EVTX file' "file names escaped in messages"
expect_count 0 "$tmp/err" "$raw_controls" "no raw control characters in messages"
finish
