#!/usr/bin/python3
"""evtxhunt benchmark: wall time, MB/s, records/s and peak RSS, side by side
with libevtx's evtxexport, in one run (ratios are what to compare: the
machine is shared and noisy). Not part of make check.

usage: bench/run.py [--quick]   (after bench/make-inputs.sh)
Environment: BENCH_DIR (inputs), EVTXHUNT (the binary), SIGMA (the SigmaHQ
repository, for the all-rules cases), REPEAT (runs per case, median; 3).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.environ.get('BENCH_DIR', '/tmp/evtxhunt-bench')
EVTXHUNT = os.environ.get('EVTXHUNT', os.path.join(HERE, '..', 'evtxhunt'))
SIGMA = os.environ.get('SIGMA', os.path.join(HERE, '..', '..', 'shared', 'sigma'))
REPEAT = int(os.environ.get('REPEAT', '3'))


def run(cmd):
    """Wall seconds and peak RSS (KiB) of one run; stdout discarded."""
    with open(os.devnull, 'wb') as null:
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdout=null, stderr=null)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit('%s: exit %d' % (' '.join(cmd), code))
    return wall, usage.ru_maxrss


def measure(cmd):
    runs = [run(cmd) for _ in range(REPEAT)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def records_of(path):
    with tempfile.NamedTemporaryFile(suffix='.json') as t:
        subprocess.run([EVTXHUNT, '-q', '--no-prefilter', '--stats-json', t.name, path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return json.load(open(t.name))['records']


def process_creation_rules():
    d = tempfile.mkdtemp(prefix='evtxhunt-rules-')
    shutil.copytree(os.path.join(SIGMA, 'rules/windows/process_creation'), os.path.join(d, 'rules'))
    shutil.copytree(os.path.join(SIGMA, 'rules-threat-hunting/windows/process_creation'), os.path.join(d, 'th'))
    for root, _, files in os.walk(os.path.join(SIGMA, 'rules-emerging-threats')):
        for f in files:
            p = os.path.join(root, f)
            if f.endswith('.yml') and 'category: process_creation' in open(p, errors='replace').read():
                shutil.copy(p, os.path.join(d, f))
    return d


def main():
    inputs = {k: os.path.join(BENCH, k + '.evtx') for k in ('sysmon-512', 'attack-256', 'sysmon-256', 'sysmon-1g')}
    for k, p in inputs.items():
        if not os.path.exists(p):
            sys.exit('missing %s: run bench/make-inputs.sh first' % p)
    rules = process_creation_rules()
    cases = [
        ('sysmon-512', 'evtxexport -f xml > /dev/null', ['evtxexport', '-f', 'xml']),
        ('sysmon-512', 'evtxhunt, seed rule', [EVTXHUNT, '-q']),
        ('sysmon-512', 'evtxhunt, seed rule, -j1', [EVTXHUNT, '-q', '-j1']),
        ('attack-256', 'evtxexport -f xml > /dev/null', ['evtxexport', '-f', 'xml']),
        ('attack-256', 'evtxhunt, seed rule', [EVTXHUNT, '-q']),
        ('attack-256', 'evtxhunt, seed rule, --no-prefilter', [EVTXHUNT, '-q', '--no-prefilter']),
        ('attack-256', 'evtxhunt, all process_creation rules', [EVTXHUNT, '-q', '-r', rules]),
        ('attack-256', 'evtxhunt, all process_creation rules, -j1', [EVTXHUNT, '-q', '-j1', '-r', rules]),
        ('attack-256', 'evtxhunt, all process_creation rules, -j2', [EVTXHUNT, '-q', '-j2', '-r', rules]),
        ('attack-256', 'evtxhunt, all rules, --no-prefilter', [EVTXHUNT, '-q', '--no-prefilter', '-r', rules]),
        ('sysmon-256', 'evtxhunt, seed rule (memory)', [EVTXHUNT, '-q']),
        ('sysmon-1g', 'evtxhunt, seed rule (memory)', [EVTXHUNT, '-q']),
        ('sysmon-1g', 'evtxhunt, seed rule, --no-prefilter (memory)', [EVTXHUNT, '-q', '--no-prefilter']),
    ]
    if '--quick' in sys.argv:
        cases = [c for c in cases if 'no-prefilter' not in c[1]]
    records = {}
    results = {}
    print('%-11s %-48s %8s %9s %12s %9s' % ('input', 'command', 'wall s', 'MB/s', 'records/s', 'peak RSS'))
    for name, label, cmd in cases:
        path = inputs[name]
        if name not in records:
            records[name] = records_of(path)
        wall, rss = measure(cmd + [path])
        size = os.path.getsize(path) / 1e6
        results[(name, label)] = wall
        print('%-11s %-48s %8.3f %9.1f %12.0f %6.1f MB' % (name, label, wall, size / wall, records[name] / wall,
                                                            rss / 1024))
        sys.stdout.flush()
    shutil.rmtree(rules)

    def ratio(a, b):
        return results[a] / results[b]
    ee = 'evtxexport -f xml > /dev/null'
    print()
    print('targets (ratios from this run):')
    print('  seed rule, sysmon-512: %.0fx faster than evtxexport (target 40x), %.2f GB/s (target 1.5)' % (
        ratio(('sysmon-512', ee), ('sysmon-512', 'evtxhunt, seed rule')),
        os.path.getsize(inputs['sysmon-512']) / 1e9 / results[('sysmon-512', 'evtxhunt, seed rule')]))
    print('  seed rule, attack-256: %.0fx faster than evtxexport (target 10x)' % ratio(
        ('attack-256', ee), ('attack-256', 'evtxhunt, seed rule')))
    print('  all process_creation rules, attack-256: %.2fx faster than evtxexport (target > 1)' % ratio(
        ('attack-256', ee), ('attack-256', 'evtxhunt, all process_creation rules')))
    print('  all rules -j2 vs -j1: %.2fx (target 1.7x)' % ratio(
        ('attack-256', 'evtxhunt, all process_creation rules, -j1'),
        ('attack-256', 'evtxhunt, all process_creation rules, -j2')))


if __name__ == '__main__':
    main()
