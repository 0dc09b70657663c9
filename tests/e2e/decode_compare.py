#!/usr/bin/env python3
"""Compares readback's two readings of the same logs (tests/e2e/decode.sh).

usage: decode_compare.py DECODED LIBEVTX LIBEVTX_STDERR

Both are JSON Lines, one record each, in the same order. They must be
equal record by record, except:
  - a record only the decoder reads must be one libevtx's warnings name as
    a record it cannot render as XML;
  - where libevtx copied a byte string holding markup into its XML
    unescaped, libxml2 read the markup as elements: the decoder's record
    then holds a value with '<' or '&', and the two agree on everything
    before that field (after it, libxml2 may have lost fields).
Prints each difference it cannot explain and a summary; exits 1 if any.
"""
import json
import re
import sys


def main():
    decoded = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
    libevtx = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
    unrenderable = set(int(m) for m in re.findall(
        r"record (\d+) \([^)]*\): libevtx cannot render the record as XML",
        open(sys.argv[3], encoding="utf-8", errors="replace").read()))
    bad = same = markup = extra = 0
    j = 0
    for rec in decoded:
        other = libevtx[j] if j < len(libevtx) else None
        if other == rec:
            same += 1
            j += 1
            continue
        if other is None or other["record"] != rec["record"]:
            if rec["record"] in unrenderable:
                extra += 1
                continue
            bad += 1
            print("only the decoder reads record %d: %s" % (rec["record"], json.dumps(rec)[:300]))
            continue
        j += 1
        head = {k: v for k, v in rec.items() if k != "fields"}
        other_head = {k: v for k, v in other.items() if k != "fields"}
        first = next((i for i, f in enumerate(rec["fields"]) if "<" in f[1] or "&" in f[1]), None)
        if head == other_head and first is not None and rec["fields"][:first] == other["fields"][:first]:
            markup += 1
            continue
        bad += 1
        print("record %d read otherwise:\n  decoded %s\n  libevtx %s" %
              (rec["record"], json.dumps(rec)[:400], json.dumps(other)[:400]))
    if j != len(libevtx):
        bad += len(libevtx) - j
        print("%d records libevtx reads are missing from the decoder's reading" % (len(libevtx) - j))
    print("%d records the same, %d with markup in a byte string, %d only the decoder reads, %d unexplained"
          % (same, markup, extra, bad))
    return 1 if bad or same == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
