#!/usr/bin/python3
"""Reads fixtures back with independent readers and compares every record,
field by field, with what its description says was written.

usage: readers.py [--damaged] EVTXGEN READBACK DESCRIPTION FILE.evtx

With --damaged (a fixture written with --damage), records a reader cannot
return are counted and listed, not failures; every record it does return
must still agree.

Readers: libevtx's evtxexport (-f xml), python-evtx (Debian python3-evtx;
it shares no code with libevtx or evtxhunt), and evtxhunt's own reader
(tests/fixtures/readback). A reader that is not installed is skipped and
said so. Prints one line per disagreement; exits 1 if there is any.

Where XML cannot carry a value exactly, the comparison says how it
normalizes, per reader, instead of skipping the record:
- XML 1.0 cannot hold C0 control characters: evtxexport writes them raw,
  python-evtx drops them (and DEL); for those two readers both sides are
  compared without C0 controls (except tab, LF, CR), and without DEL for
  python-evtx. evtxhunt must return them exactly.
- A NUL ends a string for libevtx: its value is compared up to the NUL;
  evtxexport also prints nothing of the record after it, so the fields
  that follow are not available from evtxexport (said, not counted).
- python-evtx gives times to the microsecond and converts FILETIME through
  floating point: its times are compared within 5 microseconds.
- python-evtx cannot decode a record with a lone surrogate at all
  (UnicodeDecodeError): accepted for those records only, and said.
- A lone surrogate has no UTF-8 form: each reader's replacement is
  accepted where the description has one; libevtx (evtxexport, evtxhunt)
  replaces it together with the code unit after it.
- libevtx 20181227 shifts code points beyond the BMP by -0x3FF; evtxhunt
  undoes it (src/reader.c). evtxexport is compared with the shift applied.

What the two external readers print for a file (evtxexport's XML,
python-evtx's records) is cached (reader_cache.py): python-evtx takes
~5 s a fixture and neither changes with evtxhunt. Nothing else is
cached: evtxhunt's reader, the expected values and every comparison run
each time; a missing cache is just filled.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reader_cache import cached, evtxexport_xml  # noqa: E402

NS = '{http://schemas.microsoft.com/win/2004/08/events/event}'
C0 = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f]')
SURROGATE = re.compile('[\ud800-\udfff]')


def utf16(hexstr):
    return bytes.fromhex(hexstr).decode('utf-16-le', 'surrogatepass')


def expected(evtxgen, desc):
    out = subprocess.run([evtxgen, '--expect', desc], check=True, capture_output=True, text=True).stdout
    events = {}
    for line in out.splitlines():
        o = json.loads(line)
        events[o['record']] = {
            'event_id': o['event_id'], 'time': o['time'], 'provider': utf16(o['provider']),
            'computer': utf16(o['computer']), 'channel': utf16(o['channel']),
            'fields': [(n, utf16(v)) for n, v in o['fields']],
        }
    return events


def time7(t):
    # "2024-05-01T00:00:01.000000100Z" or python-evtx's "2024-05-01 00:00:01.000001"
    # -> 7 digits, as FILETIME holds
    m = re.match(r'(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?Z?$', t or '')
    return '%sT%s.%sZ' % (m.group(1), m.group(2), ((m.group(3) or '') + '0000000')[:7]) if m else t


PUA = 0xF700  # carries raw control characters through the XML parser


def from_xml(text):
    text = re.sub('[\x00-\x08\x0b-\x1f]', lambda m: chr(PUA + ord(m.group())), text)
    ev = ET.fromstring(text)
    back = lambda s: re.sub('[\uf700-\uf71f]', lambda m: chr(ord(m.group()) - PUA), s or '')
    sys_ = ev.find(NS + 'System')
    return int(sys_.findtext(NS + 'EventRecordID')), {
        'event_id': int(sys_.findtext(NS + 'EventID')),
        'time': time7(sys_.find(NS + 'TimeCreated').get('SystemTime')),
        'provider': back(sys_.find(NS + 'Provider').get('Name')),
        'computer': back(sys_.findtext(NS + 'Computer')),
        'channel': back(sys_.findtext(NS + 'Channel')),
        'fields': payload(ev, back),
    }


def payload(ev, back):
    """EventData's Data by Name (None: unnamed), or UserData's leaves by
    element name"""
    ud = ev.find(NS + 'UserData')
    if ud is not None:
        return [(el.tag.split('}')[-1], back(el.text)) for el in ud.iter() if el is not ud and len(el) == 0]
    return [(d.get('Name'), back(d.text)) for d in ev.iter(NS + 'Data')]


def read_evtxexport(path):
    if not shutil.which('evtxexport'):
        return None
    out = evtxexport_xml(path, print)
    events = {}
    for doc in re.split(r'(?=<Event xmlns)', out)[1:]:
        cut = '</Event>' not in doc
        if cut:  # printing stopped at a NUL inside a value
            doc = doc[:doc.rfind('</Data>') + 7] + '</EventData></Event>'
        doc = doc[:doc.index('</Event>') + 8]
        rid, ev = from_xml(doc)
        ev['cut'] = cut
        events[rid] = ev
    return events


def dump_python_evtx(evtx, path):
    """python-evtx's output for PATH: each record's XML or the number of a
    record it cannot decode, in order, and why it stopped, if it did"""
    records, stopped = [], None
    try:
        with evtx.Evtx(path) as log:
            for record in log.records():
                try:
                    records.append(['xml', record.xml()])
                except UnicodeDecodeError:
                    records.append(['undecodable', record.record_num()])
    except Exception as e:  # damaged files stop python-evtx
        stopped = '%s: %s' % (type(e).__name__, str(e)[:100])
    return {'records': records, 'stopped': stopped}


def read_python_evtx(path):
    try:
        import Evtx.Evtx as evtx
    except ImportError:
        return None
    try:
        import importlib.metadata
        version = importlib.metadata.version('python-evtx')
    except Exception:
        version = 'unknown'
    version += ' ' + evtx.__file__ + ' python ' + sys.version.split()[0]
    dump = cached('python-evtx', version, path, lambda: dump_python_evtx(evtx, path), print)
    events = {}
    stopped = dump['stopped']
    try:
        for kind, value in dump['records']:
            if kind == 'undecodable':
                events.setdefault('undecodable', []).append(value)
                continue
            rid, ev = from_xml(value)
            events[rid] = ev
    except Exception as e:  # as before the cache: XML it cannot parse stops the reading
        stopped = '%s: %s' % (type(e).__name__, str(e)[:100])
    if stopped:
        print('%s: python-evtx: stopped: %s' % (path, stopped))
    return events


def read_evtxhunt(readback, path):
    out = subprocess.run([readback, path], capture_output=True).stdout.decode('utf-8')
    events = {}
    for line in out.splitlines():
        o = json.loads(line)
        events[o['record']] = {k: o[k] for k in ('event_id', 'time', 'provider', 'computer', 'channel')}
        # evtxhunt names an unnamed Data 'Data'; the description says None
        events[o['record']]['fields'] = [tuple(f) for f in o['fields']]
    for ev in events.values():
        ev['fields'] = [(None if n == 'Data' else n, v) for n, v in ev['fields']]
    return events


def ticks(t):
    m = re.match(r'(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{7})Z', t)
    y, mo, d, h, mi, s, f = map(int, m.groups())
    import datetime
    days = datetime.date(y, mo, d).toordinal()
    return ((days * 24 + h) * 60 + mi) * 600000000 + s * 10000000 + f


def shift_beyond_bmp(s):
    return ''.join(chr(ord(c) - 0x3FF) if ord(c) > 0xFFFF else c for c in s)


def normalize(value, reader, expected):
    """The form in which READER can return VALUE at all (see the docstring)."""
    if reader in ('evtxexport', 'evtxhunt'):
        value = value.split('\0')[0]
    if reader in ('evtxexport', 'python-evtx'):
        value = C0.sub('', value.replace('\0', ''))
    if reader == 'python-evtx':
        value = value.replace('\x7f', '')
    if reader == 'evtxexport' and expected:
        value = shift_beyond_bmp(value)
    return SURROGATE.sub('\ufffd', value)


def same(want, got, reader):
    a, b = normalize(want, reader, True), normalize(got, reader, False)
    if '\ufffd' in a:  # a lone surrogate: any replacement of it is fine
        pattern = re.escape(a).replace('\ufffd', '.{0,3}')
        if reader in ('evtxexport', 'evtxhunt'):  # libevtx takes the next unit with it
            pattern = re.sub(r'\.\{0,3\}(\\?.)', r'.{0,3}(?:\1)?', pattern)
        return re.fullmatch(pattern, b, re.S) is not None
    return a == b


def ranges(ids):
    out, start = [], None
    for i, x in enumerate(ids):
        if start is None:
            start = x
        if i + 1 == len(ids) or ids[i + 1] != x + 1:
            out.append(str(start) if start == x else '%d-%d' % (start, x))
            start = None
    return ','.join(out)


def main():
    args = sys.argv[1:]
    damaged = args[0] == '--damaged'
    evtxgen, readback, desc, path = args[1:5] if damaged else args[0:4]
    want = expected(evtxgen, desc)
    problems = 0
    readers = {'evtxexport': read_evtxexport(path), 'python-evtx': read_python_evtx(path),
               'evtxhunt': read_evtxhunt(readback, path)}
    for reader, got in readers.items():
        if got is None:
            print('%s: not installed, skipped' % reader)
            continue
        bad = 0
        missing = []
        for rid, w in want.items():
            g = got.get(rid)
            lone = any(SURROGATE.search(v) for _, v in w['fields'])
            if g is None and lone and rid in got.get('undecodable', []):
                print('%s: %s: record %d: cannot decode its lone surrogate, record not read' % (path, reader, rid))
                continue
            if g is None:
                if damaged:
                    missing.append(rid)
                else:
                    print('%s: %s: record %d missing' % (path, reader, rid))
                    bad += 1
                continue
            if reader == 'python-evtx' and abs(ticks(w['time']) - ticks(g['time'])) <= 50:
                g = dict(g, time=w['time'])
            for key in ('event_id', 'time'):
                if w[key] != g[key]:
                    print('%s: %s: record %d: %s %r, expected %r' % (path, reader, rid, key, g[key], w[key]))
                    bad += 1
            for key in ('provider', 'computer', 'channel'):
                if not same(w[key], g[key], reader):
                    print('%s: %s: record %d: %s %r, expected %r' % (path, reader, rid, key, g[key], w[key]))
                    bad += 1
            wf, gf = w['fields'], g['fields']
            if g.get('cut'):
                nul = next((i for i, (_, v) in enumerate(wf) if '\0' in v), None)
                if nul is not None and len(gf) == nul:
                    print('%s: %s: record %d: printing stops at the NUL in %s: the %d fields from there on '
                          'are not available from this reader' % (path, reader, rid, wf[nul][0], len(wf) - nul))
                    wf = wf[:nul]
            if [n for n, _ in wf] != [n for n, _ in gf]:
                print('%s: %s: record %d: fields %s, expected %s' % (path, reader, rid, [n for n, _ in gf], [n for n, _ in wf]))
                bad += 1
                continue
            for (name, wv), (_, gv) in zip(wf, gf):
                if not same(wv, gv, reader):
                    print('%s: %s: record %d: %s = %r, expected %r' % (path, reader, rid, name, gv[:80], wv[:80]))
                    bad += 1
        extra = set(got) - set(want) - {'undecodable'}
        if extra:
            print('%s: %s: %d records not in the description' % (path, reader, len(extra)))
            bad += 1
        lost = ' (%d not returned: %s)' % (len(missing), ranges(missing)) if missing else ''
        print('%s: %s: %d records, %s%s' % (path, reader, len(want) - len(missing),
                                           'all agree' if bad == 0 else '%d disagreements' % bad, lost))
        problems += bad
    sys.exit(1 if problems else 0)


main()
