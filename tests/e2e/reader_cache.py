#!/usr/bin/python3
"""Cache of what the external readers (libevtx's evtxexport, python-evtx)
print for a log, for readers.py, regsvr32_oracle.py and samples.sh.

An entry is keyed by the file's SHA-256, the reader and the reader's
version, and lives in $EVTXHUNT_TEST_CACHE or else
${XDG_CACHE_HOME:-~/.cache}/evtxhunt-tests (EVTXHUNT_TEST_CACHE=off: no
cache). Only the readers' own output is kept: evtxhunt's results and
every comparison are computed each run, and a missing or unreadable
entry is just read again (so a clean machine runs everything).

usage: reader_cache.py evtxexport-count FILE...  prints "COUNT FILE" per
file: the records evtxexport's text output numbers ("Event number").
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

CACHE_FORMAT = 1  # bump when what an entry holds changes


def cache_dir():
    d = os.environ.get('EVTXHUNT_TEST_CACHE', '')
    if d == 'off':
        return None
    return d or os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'evtxhunt-tests')


def cached(reader, version, path, produce, log=None):
    """produce()'s dump of PATH (JSON), from the cache when this reader at
    this version has read a file with the same SHA-256 before."""
    d = cache_dir()
    if d is None:
        return produce()
    with open(path, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    key = hashlib.sha256(('%d\0%s\0%s\0%s' % (CACHE_FORMAT, reader, version, digest)).encode()).hexdigest()
    entry = os.path.join(d, reader, key + '.json')
    try:
        with open(entry, encoding='utf-8') as f:
            dump = json.load(f)
        if log:
            log('%s: %s: read from the cache (%s)' % (path, reader, entry))
        return dump
    except (OSError, ValueError):
        pass
    dump = produce()
    try:  # written whole then renamed: parallel runs never see half an entry
        os.makedirs(os.path.dirname(entry), exist_ok=True)
        fd, part = tempfile.mkstemp(dir=os.path.dirname(entry), suffix='.part')
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(dump, f)
        os.replace(part, entry)
    except OSError as e:
        if log:
            log('%s: %s: not cached: %s' % (path, reader, e))
    return dump


_version = None


def evtxexport_version():
    global _version
    if _version is None:
        v = subprocess.run(['evtxexport', '-V'], capture_output=True, text=True).stdout.split('\n')[0]
        _version = v + ' ' + shutil.which('evtxexport')
    return _version


def evtxexport_xml(path, log=None):
    """evtxexport -f xml's output for PATH, decoded (bad UTF-8 replaced)"""
    return cached('evtxexport', evtxexport_version(), path, lambda: subprocess.run(
        ['evtxexport', '-f', 'xml', path], capture_output=True).stdout.decode('utf-8', 'replace'), log)


def evtxexport_count(path):
    def count():
        out = subprocess.run(['evtxexport', path], capture_output=True).stdout
        return sum(1 for line in out.split(b'\n') if line.startswith(b'Event number'))
    return cached('evtxexport-count', evtxexport_version(), path, count)


if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] != 'evtxexport-count':
        sys.exit(__doc__)
    for p in sys.argv[2:]:
        print(evtxexport_count(p), p)
