#!/bin/sh
# evtxhunt's own decoder (src/bxdecode.c) reads every record as libevtx
# and libxml2 do: every record of testdata/, of ../shared/samples when
# present, and of a fixture with a value of every type, read back both
# ways (readback, readback --libevtx), field by field, System fields,
# times and record ids included. Where the two may differ, they differ
# only as said here:
#   - a byte string holding markup (LiveId logs hold SOAP envelopes):
#     libevtx copies it into its XML unescaped and libxml2 reads elements
#     in it, losing the value and fields after it; the decoder reads the
#     value (checked below);
#   - a record libevtx cannot render as XML at all is read by the decoder
#     (every such record is named in libevtx's warnings).
# Then every Windows rule of ../shared/sigma (or the fixtures' rules) over
# the same logs, with and without --no-decode: the same hits.
. "$E2E_LIB"
: "${EVTXGEN:?}" "${READBACK:?}"
"$EVTXGEN" "$TESTDATA/fixtures/typed_values.txt" "$tmp/typed_values.evtx" >/dev/null 2>"$tmp/gen.err" ||
	fail "evtxgen typed_values.txt: $(cat "$tmp/gen.err")"
inputs="$TESTDATA/logs $tmp/typed_values.evtx"
[ -d "${SHARED:-}/samples" ] && inputs="$inputs $SHARED/samples"

# shellcheck disable=SC2086
st=0
"$READBACK" $inputs >"$tmp/decoded" 2>"$tmp/decoded.err" || st=$?
echo $st >"$tmp/decoded.st"
# shellcheck disable=SC2086
st=0
"$READBACK" --libevtx $inputs >"$tmp/libevtx" 2>"$tmp/libevtx.err" || st=$?
echo $st >"$tmp/libevtx.st"
expect_eq "$(cat "$tmp/decoded.st")" "$(cat "$tmp/libevtx.st")" "readback status, decoded and through libevtx"
expect_true "records read" test -s "$tmp/libevtx"
decoded=$(sed -n 's/^readback: \([0-9]*\) records decoded, \([0-9]*\) left to libevtx$/\1/p' "$tmp/decoded.err")
left=$(sed -n 's/^readback: \([0-9]*\) records decoded, \([0-9]*\) left to libevtx$/\2/p' "$tmp/decoded.err")
expect_true "most records decoded ($decoded decoded, $left left to libevtx)" \
	test "${decoded:-0}" -gt 0 -a "${decoded:-0}" -gt "$((${left:-0} * 10))"
expect_contains "$tmp/libevtx.err" "readback: 0 records decoded, 0 left to libevtx" "--libevtx decodes nothing"

# record by record (tests/e2e/decode_compare.py says what may differ)
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
if "$py" "$(dirname "$E2E_LIB")/decode_compare.py" "$tmp/decoded" "$tmp/libevtx" "$tmp/libevtx.err" >"$tmp/cmp"; then
	pass "decoded as libevtx reads: $(tail -1 "$tmp/cmp")"
else
	fail "decoded otherwise than libevtx reads:"
	head -40 "$tmp/cmp" >&2
fi

# values of every type as Event Viewer shows them (the first fixture event
# is decoded, the second left to libevtx: both read the same)
typed=$(grep '"computer":"TYPED-HOST"' "$tmp/decoded" | head -1)
for v in '["TargetUserSid","S-1-5-21-3569595041-403175141-1548433961-1000"]' '["SubjectUserSid","S-1-5-18"]' \
	'["LogonGuid","{12345678-ABCD-1234-7856-010203040506}"]' '["Status","0xc000006d"]' '["SubStatus","0x0"]' \
	'["TargetLogonId","0x3e7"]' '["ElevatedToken","true"]' '["Virtual","false"]' '["Odd","true"]' '["I8","127"]' \
	'["U8","255"]' '["I16","-32768"]' '["U16","65535"]' '["I32","-2147483648"]' '["LogonType","3"]' \
	'["I64","-9223372036854775808"]' '["U64","18446744073709551615"]' '["Size4","16"]' '["Size8","16"]' \
	'["Blob","00FF10AB"]' '["Empty",""]' '["Ansi","plain ascii"]' '["When","2024-03-01T14:51:31.886144000Z"]' \
	'["SysWhen","2024-03-01T10:00:00.287Z"]' '["IpAddress","10.0.0.5"]'; do
	case $typed in
	*"$v"*) pass "typed value $v" ;;
	*) fail "typed value $v: not in $typed" ;;
	esac
done
expect_true "a byte string with markup read as it is, the next field intact" \
	grep -qF '"fields":[["AnsiMarkup","<b>&"],["After","still here"]]' "$tmp/decoded"

# hits, decoded and not (not over the typed fixture: its byte string with
# markup reads otherwise, as said above)
hunted=$TESTDATA/logs
[ -d "${SHARED:-}/samples" ] && hunted="$hunted $SHARED/samples"
sigma=${SHARED:-}/sigma
if [ -d "$sigma" ]; then
	set -- -r "$sigma/rules/windows" -r "$sigma/rules-threat-hunting/windows" -r "$sigma/rules-emerging-threats" \
		--placeholders "$TESTDATA/families/placeholders.yml"
else
	set -- -r "$TESTDATA/families/rules"
fi
# shellcheck disable=SC2086
st=0
"$EVTXHUNT" -q -f jsonl --stats-json "$tmp/stats" "$@" $hunted >"$tmp/hits" 2>"$tmp/hits.err" || st=$?
echo $st >"$tmp/hits.st"
# shellcheck disable=SC2086
st=0
"$EVTXHUNT" -q -f jsonl --no-decode --stats-json "$tmp/stats.libevtx" "$@" $hunted >"$tmp/hits.libevtx" 2>"$tmp/hits.libevtx.err" || st=$?
echo $st >"$tmp/hits.libevtx.st"
expect_true "hits" test -s "$tmp/hits.libevtx"
expect_eq "$(cat "$tmp/hits.st")" "$(cat "$tmp/hits.libevtx.st")" "hunt status with and without --no-decode"
expect_same "$tmp/hits" "$tmp/hits.libevtx" "$(wc -l <"$tmp/hits.libevtx") hits with and without --no-decode"
# carving: with the decoder, candidates libevtx is sure to fail on are not
# handed to it (chunkscan.c, carving_doomed): the same records recovered,
# the same found unparsable, as when libevtx tries every one (the live
# records differ by the one libevtx cannot render, as said above)
counters() {
	"$py" -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(" ".join("%s=%s" % (k, s[k]) for k in ("records", "records_recovered", "recovered_duplicates",
                                            "recovered_unparsable", "hits")))' "$1"
}
expect_eq "$(counters "$tmp/stats")" "$(counters "$tmp/stats.libevtx")" "the same records carved, with and without --no-decode"
finish
