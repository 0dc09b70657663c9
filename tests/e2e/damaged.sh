#!/bin/sh
# Damaged and odd inputs, most written by the fixture writer from
# mixed.txt (1,807 records in 13 chunks; the built-in rule hits records 1,
# 302, 603, 904, 1205, 1506 and 1807, in chunks 0, 2, 4, 6, 8, 10 and 12).
# For each: a message naming file, chunk and record where they apply; the
# run goes on; the exit status and the counts; bounded time; and the hits
# in the undamaged parts all found.
. "$E2E_LIB"
: "${EVTXGEN:?run through make check}"
desc=$TESTDATA/fixtures/mixed.txt
all="1 302 603 904 1205 1506 1807"

# hunt STATUS FILE... : a bounded run, JSON Lines in $tmp/out
hunt() {
	want=$1
	shift
	run "$want" timeout 300 "$EVTXHUNT" -f jsonl --no-prefilter --stats-json "$tmp/stats.json" "$@"
}
# hits: the record ids of the hits in $tmp/out, in order
hits() {
	grep -o '"record_id":[0-9]*' "$tmp/out" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//'
}
# expect_hits WHAT IDS
expect_hits() {
	if [ "$(hits)" = "$2" ]; then pass "$1: hits $2"; else fail "$1: hits '$(hits)', expected '$2'"; fi
}
# said WHAT PATTERN: stderr holds PATTERN (a basic regular expression)
said() {
	if grep -q -- "$2" "$tmp/err"; then pass "$1: says so"; else
		fail "$1: no message matching '$2'"
		sed 's/^/  stderr: /' "$tmp/err" | head -5 >&2
	fi
}
# bounded WHAT: the last run's peak memory stayed under 512 MB, from
# --stats-json (not in AddressSanitizer builds: its quarantine and shadow
# memory alone take more)
asan=no
if command -v ldd >/dev/null 2>&1 && ldd "$EVTXHUNT" 2>/dev/null | grep -q libasan; then asan=yes; fi
bounded() {
	if [ "$asan" = yes ]; then
		echo "ASan build: peak memory of '$1' not checked"
		return 0
	fi
	kb=$(grep -o '"peak_rss_kb":[0-9]*' "$tmp/stats.json" | cut -d: -f2)
	if [ -n "$kb" ] && [ "$kb" -lt 524288 ]; then pass "$1: peak memory $((kb / 1024)) MB"; else
		fail "$1: peak memory ${kb:-unknown} kB"
	fi
}
# counts WHAT KEY=VALUE...: --stats-json counters
counts() {
	what=$1
	shift
	for kv in "$@"; do
		grep -q "\"${kv%%=*}\":${kv#*=}[,}]" "$tmp/stats.json" || fail "$what: ${kv%%=*} is not ${kv#*=}: $(cat "$tmp/stats.json")"
	done
	pass "$what: counts $*"
}
gen() {
	out=$1
	shift
	"$EVTXGEN" "$@" "$desc" "$tmp/$out"
}

gen mixed.evtx
size=$(wc -c <"$tmp/mixed.evtx")

# --- truncated --------------------------------------------------------------
head -c 2000 "$tmp/mixed.evtx" >"$tmp/mid-header.evtx"
hunt 0 "$tmp/mid-header.evtx" && said "cut in the file header" 'mid-header.evtx: file ends inside its header (2000 of 4096 bytes)'
gen mid-chunk.evtx --damage "truncate $((4096 + 65536 * 6 + 30000))"
hunt 1 "$tmp/mid-chunk.evtx" && expect_hits "cut inside chunk 6, through a record" "1 302 603 904"
said "cut inside a chunk" 'chunk 6 (offset 397312): file ends inside the chunk (30000 of 65536 bytes); reading the records before the cut'
counts "cut inside a chunk" chunks=7 chunks_truncated=1
gen mid-record.evtx --damage "truncate $((4096 + 65536 * 6 + 60300))"
hunt 1 "$tmp/mid-record.evtx" && expect_hits "cut through the last record of chunk 6" "1 302 603 904"
counts "cut through a record" records_unreadable=1

# --- not EVTX, or nothing at all ----------------------------------------------
: >"$tmp/empty.evtx"
hunt 2 "$tmp/empty.evtx" && said "zero bytes" 'empty.evtx: not an EVTX file (too short for a file header)'
printf 'MZ\220\000 this is a program, not a log' >"$tmp/program.evtx"
hunt 2 "$tmp/program.evtx" "$tmp/mixed.evtx" && said "not EVTX" 'program.evtx: not an EVTX file' &&
	expect_hits "the next file still read" "$all"
# 100 MB of random bytes, alone and behind a real log
python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(7).randbytes(100 << 20))' >"$tmp/random.bin"
hunt 2 "$tmp/random.bin" && said "100 MB of random bytes" 'random.bin: not an EVTX file'
cat "$tmp/mixed.evtx" "$tmp/random.bin" >"$tmp/random-tail.evtx"
rm "$tmp/random.bin"
hunt 1 "$tmp/random-tail.evtx" && expect_hits "a log followed by 100 MB of random bytes" "$all"
said "random chunks" 'chunks 13 to 1612 (offset 856064): no ElfChnk signature and no records; skipped'
counts "random chunks" chunks=13 chunks_skipped=1600
bounded "100 MB of random chunks"
rm "$tmp/random-tail.evtx"

# --- the file header ----------------------------------------------------------
gen many-chunks.evtx --damage "header-chunks 500"
hunt 1 "$tmp/many-chunks.evtx" && expect_hits "header counts 500 chunks" "$all"
said "header counts 500 chunks" 'file header: 500 chunks counted, the file holds 13; reading those'
gen dirty.evtx --damage dirty
hunt 1 "$tmp/dirty.evtx" && expect_hits "dirty, last chunk not counted" "$all"

# --- chunks ---------------------------------------------------------------------
gen chunk-magic.evtx --damage "chunk-magic 6"
hunt 1 "$tmp/chunk-magic.evtx" && expect_hits "chunk 6 without its signature" "$all"
said "bad chunk signature" 'chunk 6 (offset 397312): signature damaged, the header checksum vouches for the rest; read'
gen chunk-crc.evtx --damage "chunk-crc 6"
hunt 1 "$tmp/chunk-crc.evtx" && expect_hits "chunk 6 with a bad checksum" "$all"
said "bad chunk checksum" 'chunk 6 (offset 397312): header and data checksum mismatch; reading its records anyway'
counts "bad chunk checksum" chunks_checksum_bad=1
gen chunk-header.evtx --damage "chunk-header 6"
hunt 1 "$tmp/chunk-header.evtx" && expect_hits "chunk 6's header wiped (its records carved)" "$all"

# --- records and the offsets inside them ------------------------------------------
gen record-size.evtx --damage "record-size 904"
hunt 1 "$tmp/record-size.evtx" && expect_hits "a record size out of bounds" "$all"
said "record size out of bounds" 'chunk 6: record header at chunk offset [0-9]*: damaged size (size field 4294963200)'
gen record-size-0.evtx --damage "record-size 904 0"
hunt 1 "$tmp/record-size-0.evtx" && expect_hits "a record size of 0 (a walk that would loop)" "$all"
said "record size 0" 'damaged size (size field 0)'
gen record-size-back.evtx --damage "record-size 905 0xffffffe8"
hunt 1 "$tmp/record-size-back.evtx" && expect_hits "a record size pointing backwards" "$all"
gen template-offset.evtx --damage "template-offset 904"
hunt 1 "$tmp/template-offset.evtx" && expect_hits "a template offset out of the chunk" "1 302 603 1205 1506 1807"
said "template offset out of bounds" 'chunk 6: record 904 (chunk offset [0-9]*): its template lies outside the chunk'
counts "template offset out of bounds" records_unreadable=1
gen template-loop.evtx --damage "template-loop 904"
hunt 1 "$tmp/template-loop.evtx" && expect_hits "a template that is its own instance" "1 302 603 1205 1506 1807"
said "template loop" 'chunk 6: record 904 (index [0-9]* in the chunk): libevtx cannot parse it'
gen name-offset.evtx --damage "name-offset 1000"
hunt 1 "$tmp/name-offset.evtx" && expect_hits "a string offset out of the chunk" "1 302 603 904 1205 1506 1807"
said "string offset out of bounds" 'chunk 6: [0-9]* records from index [0-9]* (ids 905 to 1011): libevtx cannot parse'
gen name-loop.evtx --damage "name-loop 904"
hunt 1 "$tmp/name-loop.evtx" && expect_hits "a string table that loops" "$all"

# --- files that are not plain files --------------------------------------------
# a sparse file over 4 GiB: chunk 0 of the log again at chunk 70,000
cp "$tmp/mixed.evtx" "$tmp/sparse.evtx"
if dd if="$tmp/mixed.evtx" of="$tmp/sparse.evtx" bs=65536 count=1 iflag=skip_bytes skip=4096 \
	oflag=seek_bytes seek=$((4096 + 65536 * 70000)) conv=notrunc status=none 2>/dev/null; then
	hunt 1 "$tmp/sparse.evtx" && expect_hits "a chunk past 4 GiB of a sparse file" "1 1 302 603 904 1205 1506 1807"
	counts "sparse file" chunks=14 chunks_empty=69987
	bounded "a 4.6 GB sparse file"
fi
rm -f "$tmp/sparse.evtx"

mkfifo "$tmp/fifo.evtx"
hunt 2 "$tmp/fifo.evtx" "$tmp/mixed.evtx" && said "a FIFO" 'fifo.evtx: not a regular file (a FIFO)' &&
	expect_hits "a FIFO does not block the run" "$all"
hunt 2 /dev/zero && said "a device" '/dev/zero: not a regular file (a character device)'
ln -s self.evtx "$tmp/self.evtx"
hunt 2 "$tmp/self.evtx" && said "a symlink to itself" 'self.evtx: cannot open: Too many levels of symbolic links'
mkdir -p "$tmp/walk/sub"
cp "$tmp/mixed.evtx" "$tmp/walk/sub/a.evtx"
ln -s .. "$tmp/walk/sub/up"
mkfifo "$tmp/walk/pipe.evtx"
hunt 1 "$tmp/walk" && expect_hits "a walk past a FIFO and a symlink loop" "$all"
said "a FIFO met in a walk" 'pipe.evtx: not a regular file; skipped'
said "a symlink loop met in a walk" 'sub/up: symlink loop'

# a file without read permission (as root, run as nobody to see it)
cp "$tmp/mixed.evtx" "$tmp/locked.evtx"
chmod 000 "$tmp/locked.evtx"
as_user= bin=$EVTXHUNT
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	mkdir "$tmp/bin"
	bin=$tmp/bin/evtxhunt
	cp "$EVTXHUNT" "$bin"
	chmod 755 "$tmp" "$tmp/bin"
	chmod 644 "$tmp/mixed.evtx"
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
if [ "$(id -u)" -ne 0 ] || [ -n "$as_user" ]; then
	run 2 $as_user "$bin" -q -f jsonl "$tmp/locked.evtx" "$tmp/mixed.evtx" &&
		said "no read permission" 'locked.evtx: cannot open: Permission denied' &&
		expect_hits "the next file still read" "$all"
else
	echo "root without setpriv: read permission not testable"
fi
rm -f "$tmp/locked.evtx"

# 10,000 small logs in one directory, with 32 file descriptors
mkdir "$tmp/many"
printf 'event\n  id 1\n  time 2024-03-01T10:00:00.0000000Z\n  computer HOST-1\n  data Image=C:\\Windows\\System32\\regsvr32.exe\n  data CommandLine=regsvr32.exe /s C:\\x.dll\nend\n' >"$tmp/one.txt"
"$EVTXGEN" "$tmp/one.txt" "$tmp/one.evtx"
python3 -c '
import os, sys
for i in range(10000):
    os.link(sys.argv[1], os.path.join(sys.argv[2], "host%05d.evtx" % i))' "$tmp/one.evtx" "$tmp/many"
(
	ulimit -n 32
	run 1 timeout 300 "$EVTXHUNT" -q -f csv --stats-json "$tmp/stats.json" "$tmp/many"
) && [ "$(wc -l <"$tmp/out")" -eq 10001 ] && pass "10,000 logs: 10,000 hits with 32 descriptors"
counts "10,000 logs" files=10000 hits=10000
bounded "10,000 logs"
rm -rf "$tmp/many"

# --- a file that shrinks or grows while it is read ----------------------------------
if [ -f "${RESIZE_PRELOAD:-}" ]; then
	resize() { # AT TO FILE: truncate FILE to TO bytes when a read reaches AT
		RESIZE_PATH=$3 RESIZE_AT=$1 RESIZE_TO=$2 LD_PRELOAD=$RESIZE_PRELOAD \
			ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
			timeout 60 "$EVTXHUNT" -j1 -f jsonl "$3" >"$tmp/out" 2>"$tmp/err"
	}
	cp "$tmp/mixed.evtx" "$tmp/shrink.evtx"
	set +e
	resize $((4096 + 65536 * 5)) $((4096 + 65536 * 3 + 1000)) "$tmp/shrink.evtx"
	st=$?
	set -e
	[ "$st" -eq 2 ] && pass "shrinking file: status 2" || fail "shrinking file: status $st"
	expect_hits "shrinking file: hits read before it shrank" "1 302 603"
	said "shrinking file" 'shrink.evtx: the file shrank while being read (from 856064 to 201704 bytes): chunks 5 to 12 are gone; skipped'
	cp "$tmp/mixed.evtx" "$tmp/grow.evtx"
	set +e
	resize $((4096 + 65536 * 5)) $((4096 + 65536 * 20)) "$tmp/grow.evtx"
	st=$?
	set -e
	[ "$st" -eq 1 ] && pass "growing file: status 1" || fail "growing file: status $st"
	expect_hits "growing file" "$all"
	said "growing file" 'grow.evtx: the file grew while being read (from 856064 to 1314816 bytes); what was added was not read'
fi
finish
