#!/usr/bin/python3
"""Builds a large, valid EVTX log by repeating the chunks of real ones.

usage: build_log.py OUT SIZE_MB [--sysmon-only] [--without WORD] IN.evtx|DIR...

Chunks are self-contained (their string and template offsets are chunk
relative), so copies are valid; record numbers are renumbered and every
checksum recomputed so the file reads as one clean log. --sysmon-only keeps
chunks of Sysmon logs; --without drops chunks holding WORD (UTF-16LE, any
ASCII case), e.g. to build a log with no regsvr32 event at all. The
EventRecordID inside each event is left as it was.
"""
import os
import re
import struct
import sys
import zlib

CHUNK = 65536
SYSMON = 'Microsoft-Windows-Sysmon'.encode('utf-16-le')


def chunks(path):
    data = open(path, 'rb').read()
    for off in range(4096, len(data) - CHUNK + 1, CHUNK):
        c = data[off:off + CHUNK]
        if c[:8] != b'ElfChnk\x00':
            continue
        free = struct.unpack_from('<I', c, 48)[0]
        recs, pos = [], 512
        while pos + 24 <= min(free, CHUNK):
            sig, size = struct.unpack_from('<II', c, pos)
            if sig != 0x2a2a or size < 28 or pos + size > CHUNK:
                break
            recs.append(pos)
            pos += size
        if recs:
            yield c, recs, pos


def caseless_utf16(word):
    return re.compile(b''.join(b'[' + bytes([ord(ch.lower()), ord(ch.upper())]) + b']\\x00'
                               if ch.isalpha() else re.escape(ch.encode('utf-16-le')) for ch in word))


def renumber(c, recs, end, first):
    c = bytearray(c)
    for i, pos in enumerate(recs):
        struct.pack_into('<Q', c, pos + 8, first + i)
    last = first + len(recs) - 1
    struct.pack_into('<QQQQ', c, 8, first, last, first, last)
    struct.pack_into('<II', c, 44, recs[-1], end)
    struct.pack_into('<I', c, 52, zlib.crc32(bytes(c[512:end])))
    struct.pack_into('<I', c, 124, zlib.crc32(bytes(c[:120]) + bytes(c[128:512])))
    return bytes(c), last + 1


def main():
    args = sys.argv[1:]
    out, size_mb = args[0], int(args[1])
    sysmon_only = '--sysmon-only' in args
    without = args[args.index('--without') + 1] if '--without' in args else None
    inputs = [a for a in args[2:] if not a.startswith('--') and a != without]
    paths = []
    for p in inputs:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                paths += [os.path.join(root, f) for f in sorted(files) if f.lower().endswith('.evtx')]
        else:
            paths.append(p)
    bad = caseless_utf16(without) if without else None
    pool = [c for p in sorted(paths) for c in chunks(p)
            if (not sysmon_only or SYSMON in c[0]) and (bad is None or not bad.search(c[0]))]
    if not pool:
        sys.exit('no chunks found')
    n = min(65535, size_mb * 1024 * 1024 // CHUNK)
    nxt = 1
    with open(out, 'wb') as f:
        f.write(b'\0' * 4096)
        for i in range(n):
            c, nxt = renumber(*pool[i % len(pool)], nxt)
            f.write(c)
        hdr = bytearray(4096)
        hdr[:8] = b'ElfFile\x00'
        struct.pack_into('<QQQIHHHH', hdr, 8, 0, n - 1, nxt, 128, 1, 3, 4096, n)
        struct.pack_into('<I', hdr, 124, zlib.crc32(bytes(hdr[:120])))
        f.seek(0)
        f.write(hdr)
    print('%s: %d chunks from %d distinct, %d records, %.1f MB' % (out, n, len(pool), nxt - 1, (4096 + n * CHUNK) / 1e6))


main()
