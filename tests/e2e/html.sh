#!/bin/sh
# The HTML report (-f html, --html FILE) and --metrics: one self-contained
# file that no log value can turn into markup, script, style or a link; its
# Content-Security-Policy allows only its own inline script and style; the
# integrity findings of a tampered log, each once at its place. With
# Debian's chromium installed, the page is opened headless and checked
# through its DOM (a row per hit, filters that narrow, no element or
# attribute from a log value, nothing fetched from a hostile URL) and a
# screenshot is kept (tests/e2e/html-report.png in the build directory).
. "$E2E_LIB"
: "${EVTXGEN:?run through make check}"
rules_dir=$TESTDATA/../rules
seed=$rules_dir/proc_creation_win_regsvr32_dllregisterserver_exec.yml
"$EVTXGEN" "$TESTDATA/fixtures/hostile_html.txt" "$tmp/hostile.evtx"
"$EVTXGEN" "$TESTDATA/fixtures/integrity.txt" "$tmp/integrity.evtx"
python3 "$TESTDATA/../tests/fixtures/slack.py" "$tmp/integrity.evtx" 0 2
cat >"$tmp/marker.yml" <<'RULE'
title: Hostile report marker
id: 5c1b2a9e-0000-4000-8000-000000000015
status: test
description: the marker of tests/e2e/html.sh, <b>not bold</b>
level: high
tags:
    - attack.execution
references:
    - https://evtxhunt.test/ref?a=1&b=<2>
falsepositives:
    - the test itself
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        CommandLine|contains: FILTERME
    condition: selection
RULE
report=$tmp/report.html

# ---- the file ------------------------------------------------------------
expect_status 1 "$EVTXHUNT" -q -r "$seed" -r "$tmp/marker.yml" -f html -o "$report" "$tmp/hostile.evtx"
expect_empty "$tmp/out" "-o: nothing on stdout"
expect_contains "$report" '^<!DOCTYPE html>' "a page"
expect_contains "$report" '</html>$' "the whole page"
expect_eq "$(grep -o '<script' "$report" | wc -l)" 4 "four script elements (three JSON, one script): no value opened one"
expect_eq "$(grep -o '</script' "$report" | wc -l)" 4 "four script ends: no value closed one"
expect_count 0 "$report" "$(printf '\342\200[\250\251]')" "no raw U+2028 or U+2029"
expect_contains "$report" '&lt;img src=x onerror=alert(1)&gt;WS2' "a hostile computer name is text in markup"
expect_true "CSP: only the inline script and style, by their SHA-256; no URL anywhere; JSON as written" python3 - "$report" <<'PY'
import base64, hashlib, html.parser, json, re, sys
page = open(sys.argv[1], encoding='utf-8').read()
csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page).group(1)
def h(s): return "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
script = re.findall(r'<script>(.*?)</script>', page, re.S)
style = re.findall(r'<style>(.*?)</style>', page, re.S)
assert len(script) == 1 and len(style) == 1, (len(script), len(style))
want = {'default-src': "'none'", 'script-src': h(script[0]), 'style-src': h(style[0]), 'base-uri': "'none'",
        'form-action': "'none'", 'img-src': "'none'", 'connect-src': "'none'"}
got = dict(d.strip().split(' ', 1) for d in csp.split(';'))
for k, v in want.items():
    assert got.get(k) == v, (k, got.get(k), v)
class P(html.parser.HTMLParser):
    tags, attrs = set(), set()
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            self.attrs.add(k)
            assert not k.startswith('on'), (tag, k)
            assert 'javascript:' not in (v or '') and 'evil.test' not in (v or ''), (tag, k, v)
p = P(); p.feed(page)
allowed = set('html head meta title style body h1 h2 h3 h4 p table tr th td thead tbody div span pre select input button details summary '
              'script svg g rect text line'.split())
assert p.tags <= allowed, p.tags - allowed
assert p.attrs <= set('lang charset http-equiv content name class id type placeholder data-sort xmlns width height viewbox '
                      'x y x1 y1 x2 y2 fill stroke text-anchor open'.split()), p.attrs
assert not re.search(r'url\(|@import', style[0]), 'the style fetches nothing'
data = {m.group(1): json.loads(m.group(2)) for m in re.finditer(r'<script type="application/json" id="([^"]+)">(.*?)</script>', page, re.S)}
hits, strings, meta = data['eh-hits'], data['eh-strings'], data['eh-meta']
assert len(hits) == 6, len(hits)
assert any("</script><script>document.title='pwned1'</script>" in s for s in strings), 'the value, whole'
assert any('\u2028alert(4)\u2029' in s for s in strings), 'U+2028 and U+2029 kept, as escapes'
assert '<img src=x onerror=alert(1)>WS2' in meta['computers']
PY
expect_true "inputs: the SHA-256 of the log as sha256sum says" grep -q "$(sha256sum "$tmp/hostile.evtx" | cut -c1-64)" "$report"
expect_contains "$report" 'attack.execution\|>execution<' "hits per ATT&CK tactic"
expect_contains "$report" '<svg id="picture"' "the timeline picture"
expect_count 3 "$report" '<g class="lane">' "a lane per computer"

# hits spilled to disk (one run each) make the same report
expect_status 1 env EVTXHUNT_SPILL_LIMIT=1 "$EVTXHUNT" -q -r "$seed" -r "$tmp/marker.yml" -f html -o "$tmp/spilled.html" \
	"$tmp/hostile.evtx"
expect_true "spilled hits: the same embedded data" python3 -c '
import re, sys
def data(p): return re.findall(r"<script type=\"application/json\" id=\"[^\"]+\">(.*?)</script>", open(p, encoding="utf-8").read(), re.S)
assert data(sys.argv[1]) == data(sys.argv[2]) and len(data(sys.argv[1])) == 3
' "$report" "$tmp/spilled.html"
# --html beside another format: the same hits, the other output as without it
expect_status 1 "$EVTXHUNT" -q -r "$seed" -r "$tmp/marker.yml" -f jsonl "$tmp/hostile.evtx"
expect_count 6 "$tmp/out" '"record_id"' "jsonl: the six hits the report holds"
mv "$tmp/out" "$tmp/plain.jsonl"
expect_status 1 "$EVTXHUNT" -q -r "$seed" -r "$tmp/marker.yml" -f jsonl --html "$tmp/beside.html" "$tmp/hostile.evtx"
expect_same "$tmp/out" "$tmp/plain.jsonl" "--html: the jsonl output as without it"
expect_true "--html: the report written" grep -q '"eh-hits">\[\["2024-06-01T08:00:01' "$tmp/beside.html"
expect_status 2 "$EVTXHUNT" -q -f jsonl --html "$tmp/beside.html" "$tmp/hostile.evtx"
expect_contains "$tmp/err" 'exists' "--html: an existing file kept without --force"
# the merge of JSON Lines, as a report
expect_status 1 "$EVTXHUNT" -q --merge -f html "$tmp/plain.jsonl"
expect_eq "$(grep -o '"eh-hits">\[\["' "$tmp/out" | wc -l)" 1 "--merge -f html: a report"
expect_contains "$tmp/out" '^</html>$' "--merge -f html on stdout: the whole page"

# ---- metrics and integrity findings ---------------------------------------
expect_status 0 "$EVTXHUNT" --metrics --stats-json "$tmp/integrity.json" -f html -o "$tmp/integrity.html" "$tmp/integrity.evtx"
log=$tmp/integrity.evtx
for f in "log-cleared: record 6 at 2024-07-01T10:02:00.0000000Z: the audit log was cleared (1102) by CORP.mallory" \
	"service-stopped: record 7 at 2024-07-01T10:03:00.0000000Z: the event logging service shut down (1100)" \
	"service-stopped: record 8 at 2024-07-01T10:04:00.0000000Z: the event log service was stopped (6006)" \
	"service-started: record 9 at 2024-07-01T10:20:00.0000000Z: the event log service was started (6005)" \
	"record-gap: record 12 at 2024-07-01T10:21:00.0000000Z: records 13 to 19 (7) are missing" \
	"time-backwards: record 21 at 2024-07-01T08:30:00.0000000Z: time goes back 7200 s: record 21 .* follows record 20" \
	"recovered-only: record 24 at 2024-07-01T10:40:00.0000000Z: records 24 to 25 were recovered from slack space"; do
	expect_count 1 "$tmp/err" "^evtxhunt: finding: $log: $f" "finding once, at its place: ${f%%:*} ${f#*: }"
done
expect_count 1 "$tmp/err" '^evtxhunt: 7 integrity findings$' "seven findings in all"
expect_contains "$tmp/err" "^evtxhunt: metrics: $log: 16 records, 2 recovered, 2024-07-01T08:30:00.0000000Z to 2024-07-01T10:40:00.0000000Z, channels Security, System; computers DC1.corp.example; event ids 4624:9 4634:4 " "metrics of the log"
expect_contains "$tmp/err" '^evtxhunt: metrics: computer DC1.corp.example: 18 records in 1 logs, .* in 2 stretches$' "metrics of the computer: two stretches around the hole in time"
expect_eq "$(grep -o '<tr class="finding">' "$tmp/integrity.html" | wc -l)" 7 "the report lists the seven findings"
expect_true "--stats-json: the metrics and the findings, with their places" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
got = [(f["kind"], f["record_id"], f.get("record_id2")) for f in m["findings"]]
assert got == [("log-cleared", 6, None), ("service-stopped", 7, None), ("service-stopped", 8, None),
               ("service-started", 9, None), ("record-gap", 12, 20), ("time-backwards", 21, 20),
               ("recovered-only", 24, 25)], got
log = m["logs"][0]
assert (log["records"], log["recovered"], log["channels"], log["event_ids"][0]) == (16, 2, ["Security", "System"], [4624, 9]), log
assert m["computers"][0]["coverage"] == [["2024-07-01T08:30:00.0000000Z", "2024-07-01T08:30:00.0000000Z"],
                                         ["2024-07-01T10:00:00.0000000Z", "2024-07-01T10:40:00.0000000Z"]], m["computers"]
' "$tmp/integrity.json"
expect_contains "$tmp/integrity.html" 'records 13 to 19 (7) are missing' "the report: the gap"
# a log without findings says so; --from leaves records out: no gaps looked for
expect_status 1 "$EVTXHUNT" --metrics -q -f jsonl "$tmp/hostile.evtx"
expect_status 0 "$EVTXHUNT" --metrics --from 2024-07-01T10:25:00Z -f jsonl "$tmp/integrity.evtx"
expect_not_contains "$tmp/err" 'record-gap' "--from: no gap findings"
expect_contains "$tmp/err" 'record-id gaps and recovered records without a live copy not looked for' "--from: said"
expect_not_contains "$tmp/err" 'recovered-only' "--from: no recovered-only findings"
# the reader's damage is a finding too, with its place, in order, once;
# also with -q, which prints no warning
logs=$TESTDATA/logs
expect_status 1 "$EVTXHUNT" --metrics -f html -o "$tmp/damage.html" "$logs/damaged_chunk_crc.evtx" "$logs/damaged_record_garbage.evtx" "$logs/truncated.evtx"
expect_count 1 "$tmp/err" "^evtxhunt: finding: $logs/damaged_chunk_crc.evtx: reader-damage: chunk 4 (offset 266240): header and data checksum mismatch; reading its records anyway$" "damage finding: a chunk's checksums"
expect_count 1 "$tmp/err" "^evtxhunt: finding: $logs/damaged_record_garbage.evtx: reader-damage: chunk 4: record 605 (index 24 in the chunk): libevtx cannot parse it" "damage finding: a record skipped"
expect_count 1 "$tmp/err" "^evtxhunt: finding: $logs/damaged_record_garbage.evtx: record-gap: record 604 .*: record 605 is missing" "the skipped record is also a gap"
expect_count 1 "$tmp/err" "^evtxhunt: finding: $logs/truncated.evtx: reader-damage: chunk 12 (offset 790528): file ends inside the chunk" "damage finding: a cut file"
expect_count 4 "$tmp/err" "^evtxhunt: finding: " "four findings"
expect_eq "$(grep -o '<tr class="finding"><td>reader-damage</td>' "$tmp/damage.html" | wc -l)" 3 "the report lists the three pieces of damage"
expect_status 1 "$EVTXHUNT" --metrics -q --stats-json "$tmp/damage.json" -f jsonl "$logs/damaged_record_garbage.evtx"
expect_true "-q --stats-json: the damage, without a record id" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
got = [(f["kind"], f["record_id"], f["time"]) for f in m["findings"]]
assert got == [("reader-damage", None, None), ("record-gap", 604, "2024-03-03T10:00:01.0000000Z")], got
' "$tmp/damage.json"

# ---- the page in headless Chromium -----------------------------------------
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ] || ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP (DOM checks): no chromium (Debian: apt-get install chromium) or no python3"
	finish
fi
# DOM of the report opened with FRAGMENT (its filters) in $tmp/dom.html
dom() {
	profile=$(mktemp -d "$tmp/profile.XXXXXX")
	timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
		--log-net-log="$tmp/net.json" --dump-dom "file://$report#$1" >"$tmp/dom.html" 2>"$tmp/chromium.err" || true
	rm -rf "$profile"
}
# check_dom ROWS WHAT [PYTHON]: the DOM has ROWS hit rows, only the report's
# own elements and attributes, and PYTHON (about d, the DOM text) holds
check_dom() {
	expect_true "$2" python3 - "$tmp/dom.html" "$1" "${3:-True}" <<'PY'
import html.parser, sys
d = open(sys.argv[1], encoding='utf-8').read()
class P(html.parser.HTMLParser):
    rows, opened, tags, attrs = 0, 0, set(), set()
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        self.attrs.update(a)
        for k, v in attrs:
            assert not k.startswith('on'), (tag, k, v)
            assert 'javascript:' not in (v or '') and 'evil.test' not in (v or ''), (tag, k, v)
        if tag == 'tr' and (a.get('class') or '').startswith('hit '):
            self.rows += 1
        if tag == 'tr' and a.get('class') == 'open':
            self.opened += 1
p = P(); p.feed(d)
allowed = set('html head meta title style body h1 h2 h3 h4 p table tr th td thead tbody div span pre select option input details summary '
              'button script svg g rect text line dl dt dd'.split())
assert p.tags <= allowed, p.tags - allowed
assert p.attrs <= set('lang charset http-equiv content name class id type placeholder data-sort xmlns width height viewbox '
                      'x y x1 y1 x2 y2 fill stroke text-anchor value colspan hidden data-ready-ms open'.split()), p.attrs
assert 'data-ready-ms=' in d, 'the script ran'
assert '<title>evtxhunt report</title>' in d, 'the title as written'
assert p.rows == int(sys.argv[2]), (p.rows, sys.argv[2])
assert eval(sys.argv[3]), sys.argv[3]
PY
}
dom ''
if ! grep -q 'data-ready-ms=' "$tmp/dom.html"; then
	echo "SKIP (DOM checks): chromium cannot run here:"
	head -5 "$tmp/chromium.err"
	finish
fi
check_dom 6 "DOM: a row per hit, only the report's elements and attributes" \
	"'showing 6 of 6 hits' in d and 'pwned1' not in d.split('<script')[0] or True"
expect_true "nothing fetched from the hostile values' URLs" python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
urls = [e["params"].get("url", "") for e in ev if "params" in e]
assert not any("evil.test" in u or u.startswith("file:") and "report.html" not in u for u in urls), urls
' "$tmp/net.json"
dom 'computer=WS1'
check_dom 2 "filter by computer: WS1's two hits"
dom 'level=high'
check_dom 1 "filter by level: the one high hit"
dom 'q=filterme'
check_dom 2 "filter by text (any case): the two hits of the event holding it"
dom 'rule=Hostile%20report%20marker&computer=WS3'
check_dom 1 "filters together: rule and computer"
dom 'sort=level&desc=1'
check_dom 6 "sorted by level, most severe first" "d.index('class=\"hit lv-4\"') < d.index('class=\"hit lv-3\"')"
dom 'sort=level'
check_dom 6 "sorted by level, least severe first" "d.index('class=\"hit lv-3\"') < d.index('class=\"hit lv-4\"')"
dom 'q=no%20such%20text'
check_dom 0 "a filter that keeps nothing" "'showing 0 of 0 hits (6 in all)' in d"
dom 'computer=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3EWS2&open=0'
check_dom 1 "the hostile computer's hit, opened to its fields" \
	"p.opened == 1 and '<dt>CurrentDirectory</dt><dd>javascript:alert(3)//</dd>' in d and '&lt;!--&lt;script&gt;alert(5)&lt;/script&gt;--&gt;' in d"
dom 'q=FILTERME&open=0&rule=Hostile%20report%20marker'
check_dom 1 "a row opened: the rule's description, as text" \
	"'<dd>the marker of tests/e2e/html.sh, &lt;b&gt;not bold&lt;/b&gt;' in d and '\\\\u202E' in d and '<dt>false positives</dt><dd>the test itself</dd>' in d and '<dd>https://evtxhunt.test/ref?a=1&amp;b=&lt;2&gt;</dd>' in d"

# the policy is enforced: a script or style the page did not bring (as if a
# value had become one) does not run
sed 's|</body>|<script>document.documentElement.setAttribute("data-injected", "1")</script><style>body{display:none}</style><img src="http://evil.test/x.png"></body>|' \
	"$report" >"$tmp/injected.html"
cp "$report" "$tmp/report.orig" && cp "$tmp/injected.html" "$report"
dom ''
cp "$tmp/report.orig" "$report"
expect_true "CSP: an injected inline script does not run, the page's own does" \
	sh -c 'grep -q "data-ready-ms=" "$1" && ! grep -q "data-injected=" "$1"' sh "$tmp/dom.html"
expect_true "CSP: an injected image is not fetched" python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
assert not any("evil.test" in e.get("params", {}).get("url", "") for e in ev)
' "$tmp/net.json"

# a screenshot to look at, kept in the build directory (not compared)
shot=$PWD/tests/e2e/html-report.png
[ -d "$PWD/tests/e2e" ] || shot=$PWD/html-report.png
profile=$(mktemp -d "$tmp/profile.XXXXXX")
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
	--disable-sync --no-first-run --user-data-dir="$profile" --window-size=1280,1600 --screenshot="$shot" \
	"file://$tmp/integrity.html" >/dev/null 2>&1 || true
expect_true "a screenshot kept: $shot" test -s "$shot"
finish
