#!/usr/bin/python3
"""evtxhunt benchmark of issue 13: whole rule sets over logs of real log
sources, each beside libevtx's `evtxexport -f xml FILE > /dev/null` on the
same file, in one run (the machine is shared and noisy: compare the ratios).

  security-34     dense Security log (~1,350 records/MB, as real Security
                  logs have), every Windows rule            target 7x, RSS < 128 MB
  attack-all-256  every channel of the attack samples, every Windows rule
                                                            target 3x, RSS < 128 MB
  attack-256      the Sysmon logs of the attack samples, the process_creation
                  rules                                     target 2x, RSS < 128 MB

Every Windows rule = SigmaHQ's rules/windows, rules-threat-hunting/windows and
rules-emerging-threats. Two of those use 'expand' without placeholder values
and are rejected: evtxhunt then exits 2, which is accepted here only when
every line of its stderr names a rule file (anything else is a failure).

usage: bench/logsources.py [INPUT...]   (after bench/make-inputs.sh; INPUT: only these of the three)
Environment: BENCH_DIR (inputs), EVTXHUNT (the binary), SIGMA (the SigmaHQ
repository), REPEAT (runs per case, median; 3).
"""
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from run import process_creation_rules  # the same rule set as bench/run.py

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.environ.get('BENCH_DIR', '/tmp/evtxhunt-bench')
EVTXHUNT = os.environ.get('EVTXHUNT', os.path.join(HERE, '..', 'evtxhunt'))
SIGMA = os.environ.get('SIGMA', os.path.join(HERE, '..', '..', 'shared', 'sigma'))
REPEAT = int(os.environ.get('REPEAT', '3'))
RULE_DIRS = [os.path.join(SIGMA, d) for d in ('rules/windows', 'rules-threat-hunting/windows',
                                              'rules-emerging-threats')]


def check_exit(cmd, code, err):
    if code in (0, 1):
        return
    lines = [l for l in err.decode(errors='replace').splitlines() if l.strip()]
    if code == 2 and lines and all(l.startswith(tuple(RULE_DIRS)) and '.yml:' in l for l in lines):
        return      # only rejected rules: the rest was scanned
    sys.exit('%s: exit %d\n%s' % (' '.join(cmd), code, '\n'.join(lines[:10])))


def run(cmd):
    """Wall seconds, CPU seconds (user+sys) and peak RSS (KiB) of one run."""
    with open(os.devnull, 'wb') as null, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdout=null, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - start
        err.seek(0)
        check_exit(cmd, os.waitstatus_to_exitcode(status), err.read())
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def measure(cmd):
    runs = [run(cmd) for _ in range(REPEAT)]
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
            max(r[2] for r in runs))


def stats_of(cmd, path):
    with tempfile.NamedTemporaryFile(suffix='.json') as t:
        subprocess.run(cmd + ['--stats-json', t.name, path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        return json.load(open(t.name))


def main():
    pc = process_creation_rules()
    windows = sum((['-r', d] for d in RULE_DIRS), [])
    process_creation = ['-r', pc]
    # input, rules label, rules args, target ratio
    sets = [('security-34', 'all Windows rules', windows, 7),
            ('attack-all-256', 'all Windows rules', windows, 3),
            ('attack-256', 'process_creation rules', process_creation, 2)]
    if sys.argv[1:]:
        sets = [s for s in sets if s[0] in sys.argv[1:]]
    for name, *_ in sets:
        if not os.path.exists(os.path.join(BENCH, name + '.evtx')):
            sys.exit('missing %s: run bench/make-inputs.sh first' % os.path.join(BENCH, name + '.evtx'))
    print('%-15s %-38s %8s %7s %8s %10s %9s' % ('input', 'command', 'wall s', 'cpu s', 'MB/s', 'records/s',
                                                  'peak RSS'))
    summary = []
    for name, label, rules, target in sets:
        path = os.path.join(BENCH, name + '.evtx')
        size = os.path.getsize(path) / 1e6
        st = stats_of([EVTXHUNT, '-q'] + rules, path)
        records = st['records']
        res = {}
        for key, what, cmd in [('ee', 'evtxexport -f xml > /dev/null', ['evtxexport', '-f', 'xml']),
                               ('eh', 'evtxhunt, %s' % label, [EVTXHUNT, '-q'] + rules),
                               ('j1', 'evtxhunt, %s, -j1' % label, [EVTXHUNT, '-q', '-j1'] + rules),
                               # every record through libevtx, as before bxdecode.c
                               ('nd', 'evtxhunt, %s, --no-decode' % label,
                                [EVTXHUNT, '-q', '--no-decode'] + rules)]:
            wall, cpu, rss = measure(cmd + [path])
            res[key] = (wall, cpu, rss)
            print('%-15s %-38s %8.3f %7.3f %8.1f %10.0f %6.1f MB' % (name, what, wall, cpu, size / wall,
                                                                     records / wall, rss / 1024))
            sys.stdout.flush()
        summary.append((name, label, size, records, target, res, st))
    shutil.rmtree(pc)
    print()
    print('targets (ratios from this run; evtxexport is single-threaded, evtxhunt uses one worker per core):')
    for name, label, size, records, target, res, st in summary:
        r, r1 = res['ee'][0] / res['eh'][0], res['ee'][0] / res['j1'][0]
        rss = max(res['eh'][2], res['j1'][2]) / 1024
        print('  %s (%.1f MB, %d records, %.0f records/MB), %s: %.2fx faster than evtxexport, -j1 %.2fx '
              '(target %dx: %s); peak RSS %.1f MB (target < 128: %s)' % (
                  name, size, records, records / size, label, r, r1, target,
                  'met' if r >= target else 'NOT met', rss, 'met' if rss < 128 else 'NOT met'))
        print('    records parsed (events_matched) %d of %d, carved from slack %d, carving attempts failed %d' % (
            st['events_matched'], records, st['records_recovered'], st['recovered_unparsable']))
        print('    live records decoded by evtxhunt %d, left to libevtx %d; --no-decode takes %.2fx the time' % (
            st.get('records_decoded', 0), st.get('records_left_to_libevtx', 0), res['nd'][0] / res['eh'][0]))


if __name__ == '__main__':
    main()
