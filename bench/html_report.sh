#!/bin/sh
# The HTML report of N hits (default 100,000): file size per hit, and how
# long headless Chromium takes to open it (the page's own measure, from its
# script starting to the first rows shown, and the wall time of a whole
# chromium --dump-dom). Run from a build directory after make check
# (tests/fixtures/evtxgen is built by it).
#   sh bench/html_report.sh [N]
set -eu
n=${1:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/hits.txt" <<DESC
repeat $n
event
id 1
time 2024-03-01T10:00:00.5000000Z
computer HOST-1
record 1
data Image=C:\Windows\SysWOW64\regsvr32.exe
data CommandLine=regsvr32.exe /s C:\ProgramData\drop1.dll
data CurrentDirectory=C:\Users\Public\\
data User=CORP\alice
end
DESC
./tests/fixtures/evtxgen "$tmp/hits.txt" "$tmp/hits.evtx"
start=$(date +%s.%N)
./evtxhunt -q -f html -o "$tmp/report.html" "$tmp/hits.evtx" || [ $? -eq 1 ]
end=$(date +%s.%N)
size=$(stat -c %s "$tmp/report.html")
echo "hits: $n; report: $size bytes, $((size / n)) bytes a hit; written in $(echo "$end - $start" | bc) s"
for i in 1 2 3; do
	start=$(date +%s.%N)
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
		--disable-sync --no-first-run --user-data-dir="$tmp/profile$i" --dump-dom "file://$tmp/report.html" \
		>"$tmp/dom.html" 2>/dev/null
	end=$(date +%s.%N)
	ready=$(grep -o 'data-ready-ms="[0-9]*"' "$tmp/dom.html" | cut -d'"' -f2)
	rows=$(grep -o '<tr class="hit ' "$tmp/dom.html" | wc -l)
	echo "chromium run $i: script ready in $ready ms ($rows rows shown), whole run $(echo "$end - $start" | bc) s"
done
