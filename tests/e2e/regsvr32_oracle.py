#!/usr/bin/python3
"""Reference for the seed rule, independent of evtxhunt: reads evtxexport's
XML of each file given and prints "FILE RECORD_ID" for every Sysmon Event
ID 1 record that the rule ce2c44b5-a6ac-412a-afba-9e89326fa972 matches,
with its logic written out by hand from the YAML."""
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reader_cache import evtxexport_xml  # noqa: E402

NS = '{http://schemas.microsoft.com/win/2004/08/events/event}'
PATHS = [':\\program files (x86)', ':\\program files\\', ':\\windows\\system32\\', ':\\windows\\syswow64\\']


def hit(d):
    low = {k: (v or '').lower() for k, v in d.items()}
    image = 'Image' in d and low['Image'].endswith('\\regsvr32.exe')
    ofn = 'OriginalFileName' in d and low['OriginalFileName'] == 'regsvr32.exe'
    cmd = low.get('CommandLine')
    if not (image or ofn) or cmd is None or not (' /s ' in cmd or ' /e ' in cmd):
        return False
    cwd = low.get('CurrentDirectory')
    if any(p in cmd for p in PATHS) or (cwd is not None and any(p in cwd for p in PATHS)):
        return False
    if ' /i:' in cmd or '/u ' in cmd:
        return False
    pcmd = low.get('ParentCommandLine')
    if pcmd is not None and pcmd.endswith(':\\windows\\system32\\rpcproxy\\rpcproxy.dll') \
            and cmd == 'regsvr32 /s rpcproxy.dll':
        return False
    return True


def main():
    for path in sys.argv[1:]:
        text = evtxexport_xml(path)  # cached: see reader_cache.py
        text = re.sub('[\x00-\x08\x0b\x0c\x0e-\x1f]', '?', text)
        for doc in re.findall(r'<Event xmlns.*?</Event>', text, re.S):
            try:
                ev = ET.fromstring(doc)
            except ET.ParseError:
                continue
            sys_ = ev.find(NS + 'System')
            if sys_.find(NS + 'Provider').get('Name') != 'Microsoft-Windows-Sysmon' \
                    or sys_.findtext(NS + 'EventID') != '1':
                continue
            data = {e.get('Name'): (e.text or '') for e in ev.iter(NS + 'Data')}
            if hit(data):
                print(path, sys_.findtext(NS + 'EventRecordID'))


main()
