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
	expect_status "$want" timeout 300 "$EVTXHUNT" -f jsonl --no-prefilter --stats-json "$tmp/stats.json" "$@"
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
gen() {
	out=$1
	shift
	"$EVTXGEN" "$@" "$desc" "$tmp/$out"
}

gen mixed.evtx
size=$(wc -c <"$tmp/mixed.evtx")

# --- truncated --------------------------------------------------------------
head -c 2000 "$tmp/mixed.evtx" >"$tmp/mid-header.evtx"
hunt 0 "$tmp/mid-header.evtx"
expect_contains "$tmp/err" 'mid-header.evtx: file ends inside its header (2000 of 4096 bytes)' "cut in the file header: says so"
gen mid-chunk.evtx --damage "truncate $((4096 + 65536 * 6 + 30000))"
hunt 1 "$tmp/mid-chunk.evtx"
expect_hits "1 302 603 904" "cut inside chunk 6, through a record"
expect_contains "$tmp/err" 'chunk 6 (offset 397312): file ends inside the chunk (30000 of 65536 bytes); reading the records before the cut' "cut inside a chunk: says so"
expect_stats "$tmp/stats.json" "cut inside a chunk" chunks=7 chunks_truncated=1
gen mid-record.evtx --damage "truncate $((4096 + 65536 * 6 + 60300))"
hunt 1 "$tmp/mid-record.evtx"
expect_hits "1 302 603 904" "cut through the last record of chunk 6"
expect_stats "$tmp/stats.json" "cut through a record" records_unreadable=1

# --- not EVTX, or nothing at all ----------------------------------------------
: >"$tmp/empty.evtx"
hunt 2 "$tmp/empty.evtx"
expect_contains "$tmp/err" 'empty.evtx: not an EVTX file (too short for a file header)' "zero bytes: says so"
printf 'MZ\220\000 this is a program, not a log' >"$tmp/program.evtx"
hunt 2 "$tmp/program.evtx" "$tmp/mixed.evtx"
expect_contains "$tmp/err" 'program.evtx: not an EVTX file' "not EVTX: says so"
expect_hits "$all" "the next file still read"
# 100 MB of random bytes, alone and behind a real log
python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(7).randbytes(100 << 20))' >"$tmp/random.bin"
hunt 2 "$tmp/random.bin"
expect_contains "$tmp/err" 'random.bin: not an EVTX file' "100 MB of random bytes: says so"
cat "$tmp/mixed.evtx" "$tmp/random.bin" >"$tmp/random-tail.evtx"
rm "$tmp/random.bin"
hunt 1 "$tmp/random-tail.evtx"
expect_hits "$all" "a log followed by 100 MB of random bytes"
expect_contains "$tmp/err" 'chunks 13 to 1612 (offset 856064): no ElfChnk signature and no records; skipped' "random chunks: says so"
expect_stats "$tmp/stats.json" "random chunks" chunks=13 chunks_skipped=1600
bounded "100 MB of random chunks"
rm "$tmp/random-tail.evtx"

# --- the file header ----------------------------------------------------------
gen many-chunks.evtx --damage "header-chunks 500"
hunt 1 "$tmp/many-chunks.evtx"
expect_hits "$all" "header counts 500 chunks"
expect_contains "$tmp/err" 'file header: 500 chunks counted, the file holds 13; reading those' "header counts 500 chunks: says so"
gen dirty.evtx --damage dirty
hunt 1 "$tmp/dirty.evtx"
expect_hits "$all" "dirty, last chunk not counted"

# --- chunks ---------------------------------------------------------------------
gen chunk-magic.evtx --damage "chunk-magic 6"
hunt 1 "$tmp/chunk-magic.evtx"
expect_hits "$all" "chunk 6 without its signature"
expect_contains "$tmp/err" 'chunk 6 (offset 397312): signature damaged, the header checksum vouches for the rest; read' "bad chunk signature: says so"
gen chunk-crc.evtx --damage "chunk-crc 6"
hunt 1 "$tmp/chunk-crc.evtx"
expect_hits "$all" "chunk 6 with a bad checksum"
expect_contains "$tmp/err" 'chunk 6 (offset 397312): header and data checksum mismatch; reading its records anyway' "bad chunk checksum: says so"
expect_stats "$tmp/stats.json" "bad chunk checksum" chunks_checksum_bad=1
gen chunk-header.evtx --damage "chunk-header 6"
hunt 1 "$tmp/chunk-header.evtx"
expect_hits "$all" "chunk 6's header wiped (its records carved)"

# --- records and the offsets inside them ------------------------------------------
gen record-size.evtx --damage "record-size 904"
hunt 1 "$tmp/record-size.evtx"
expect_hits "$all" "a record size out of bounds"
expect_contains "$tmp/err" 'chunk 6: record header at chunk offset [0-9]*: damaged size (size field 4294963200)' "record size out of bounds: says so"
gen record-size-0.evtx --damage "record-size 904 0"
hunt 1 "$tmp/record-size-0.evtx"
expect_hits "$all" "a record size of 0 (a walk that would loop)"
expect_contains "$tmp/err" 'damaged size (size field 0)' "record size 0: says so"
gen record-size-back.evtx --damage "record-size 905 0xffffffe8"
hunt 1 "$tmp/record-size-back.evtx"
expect_hits "$all" "a record size pointing backwards"
gen template-offset.evtx --damage "template-offset 904"
hunt 1 "$tmp/template-offset.evtx"
expect_hits "1 302 603 1205 1506 1807" "a template offset out of the chunk"
expect_contains "$tmp/err" 'chunk 6: record 904 (chunk offset [0-9]*): its template lies outside the chunk' "template offset out of bounds: says so"
expect_stats "$tmp/stats.json" "template offset out of bounds" records_unreadable=1
gen template-loop.evtx --damage "template-loop 904"
hunt 1 "$tmp/template-loop.evtx"
expect_hits "1 302 603 1205 1506 1807" "a template that is its own instance"
expect_contains "$tmp/err" 'chunk 6: record 904 (index [0-9]* in the chunk): libevtx cannot parse it' "template loop: says so"
gen name-offset.evtx --damage "name-offset 1000"
hunt 1 "$tmp/name-offset.evtx"
expect_hits "1 302 603 904 1205 1506 1807" "a string offset out of the chunk"
expect_contains "$tmp/err" 'chunk 6: [0-9]* records from index [0-9]* (ids 905 to 1011): libevtx cannot parse' "string offset out of bounds: says so"
gen name-loop.evtx --damage "name-loop 904"
hunt 1 "$tmp/name-loop.evtx"
expect_hits "$all" "a string table that loops"

# --- files that are not plain files --------------------------------------------
# a sparse file over 4 GiB: chunk 0 of the log again at chunk 70,000
cp "$tmp/mixed.evtx" "$tmp/sparse.evtx"
if dd if="$tmp/mixed.evtx" of="$tmp/sparse.evtx" bs=65536 count=1 iflag=skip_bytes skip=4096 \
	oflag=seek_bytes seek=$((4096 + 65536 * 70000)) conv=notrunc status=none 2>/dev/null; then
	hunt 1 "$tmp/sparse.evtx"
	expect_hits "1 1 302 603 904 1205 1506 1807" "a chunk past 4 GiB of a sparse file"
	expect_stats "$tmp/stats.json" "sparse file" chunks=14 chunks_empty=69987
	bounded "a 4.6 GB sparse file"
else
	echo "dd cannot write a sparse file here: the 4 GiB case is not tested"
fi
rm -f "$tmp/sparse.evtx"

mkfifo "$tmp/fifo.evtx"
hunt 2 "$tmp/fifo.evtx" "$tmp/mixed.evtx"
expect_contains "$tmp/err" 'fifo.evtx: not a regular file (a FIFO)' "a FIFO: says so"
expect_hits "$all" "a FIFO does not block the run"
hunt 2 /dev/zero
expect_contains "$tmp/err" '/dev/zero: not a regular file (a character device)' "a device: says so"
ln -s self.evtx "$tmp/self.evtx"
hunt 2 "$tmp/self.evtx"
expect_contains "$tmp/err" 'self.evtx: cannot open: Too many levels of symbolic links' "a symlink to itself: says so"
mkdir -p "$tmp/walk/sub"
cp "$tmp/mixed.evtx" "$tmp/walk/sub/a.evtx"
ln -s .. "$tmp/walk/sub/up"
mkfifo "$tmp/walk/pipe.evtx"
hunt 1 "$tmp/walk"
expect_hits "$all" "a walk past a FIFO and a symlink loop"
expect_contains "$tmp/err" 'pipe.evtx: not a regular file; skipped' "a FIFO met in a walk: says so"
expect_contains "$tmp/err" 'sub/up: symlink loop' "a symlink loop met in a walk: says so"

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
	expect_status 2 $as_user "$bin" -q -f jsonl "$tmp/locked.evtx" "$tmp/mixed.evtx"
	expect_contains "$tmp/err" 'locked.evtx: cannot open: Permission denied' "no read permission: says so"
	expect_hits "$all" "the next file still read"
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
# (the limit set in the child only; a subshell would lose the check's verdict)
expect_status 1 sh -c 'ulimit -n 32 && exec "$@"' sh timeout 300 "$EVTXHUNT" -q -f csv --stats-json "$tmp/stats.json" "$tmp/many"
expect_count 10001 "$tmp/out" '' "10,000 logs: 10,000 hits (and a header) with 32 descriptors"
expect_stats "$tmp/stats.json" "10,000 logs" files=10000 hits=10000
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
	expect_eq "$st" 2 "shrinking file: status"
	expect_hits "1 302 603" "shrinking file: hits read before it shrank"
	expect_contains "$tmp/err" 'shrink.evtx: the file shrank while being read (from 856064 to 201704 bytes): chunks 5 to 12 are gone; skipped' "shrinking file: says so"
	cp "$tmp/mixed.evtx" "$tmp/grow.evtx"
	set +e
	resize $((4096 + 65536 * 5)) $((4096 + 65536 * 20)) "$tmp/grow.evtx"
	st=$?
	set -e
	expect_eq "$st" 1 "growing file: status"
	expect_hits "$all" "growing file"
	expect_contains "$tmp/err" 'grow.evtx: the file grew while being read (from 856064 to 1314816 bytes); what was added was not read' "growing file: says so"
fi
finish
