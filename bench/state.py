#!/usr/bin/python3
"""evtxhunt --state benchmark: a first sweep into a new state, then a rerun
over the unchanged log (target: under 5% of the first run's time), and a
rerun after the rule set gained a rule (everything is due again), in one
run, median of REPEAT. Not part of make check.

usage: bench/state.py   (after bench/make-inputs.sh)
Environment: BENCH_DIR (inputs), EVTXHUNT (the binary), REPEAT (3).
"""
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
REPEAT = int(os.environ.get('REPEAT', '3'))
SEED = os.path.join(HERE, '..', 'rules')


def run(args):
    with open(os.devnull, 'wb') as null:
        start = time.monotonic()
        code = subprocess.call([EVTXHUNT, '-q'] + args, stdout=null, stderr=null)
        wall = time.monotonic() - start
    if code not in (0, 1):
        sys.exit('%s: exit %d' % (' '.join(args), code))
    return wall


def main():
    log = os.path.join(BENCH, 'sysmon-512.evtx')
    if not os.path.exists(log):
        sys.exit('%s missing: run bench/make-inputs.sh' % log)
    work = tempfile.mkdtemp(prefix='evtxhunt-state-')
    extra = os.path.join(work, 'rules')
    shutil.copytree(SEED, extra)
    with open(os.path.join(extra, 'extra.yml'), 'w') as f:
        f.write('title: bench extra rule\nid: 00000000-0000-4000-8000-00000000beef\n'
                'logsource: {category: process_creation, product: windows}\n'
                'detection:\n  sel: {Image|endswith: \\\\bench-none.exe}\n  condition: sel\n')
    firsts, seconds, newrule = [], [], []
    for i in range(REPEAT):
        state = os.path.join(work, 'state-%d.db' % i)
        firsts.append(run(['--state', state, log]))
        seconds.append(run(['--state', state, log]))
        newrule.append(run(['--state', state, '-r', extra, log]))
    plain = statistics.median(run([log]) for _ in range(REPEAT))
    first, second, third = (statistics.median(x) for x in (firsts, seconds, newrule))
    size = os.path.getsize(log) / 1e6
    print('input: sysmon-512 (%.0f MB), seed rule, median of %d' % (size, REPEAT))
    print('%-52s %8s %10s' % ('case', 'wall s', 'of first'))
    print('%-52s %8.3f %9.1f%%' % ('no --state', plain, 100 * plain / first))
    print('%-52s %8.3f %9.1f%%' % ('--state, first run (new state)', first, 100.0))
    print('%-52s %8.3f %9.1f%%' % ('--state, rerun, log unchanged', second, 100 * second / first))
    print('%-52s %8.3f %9.1f%%' % ('--state, rerun with one rule more (all due again)', third, 100 * third / first))
    print('target: rerun under 5%% of the first run: %s' % ('met' if second < 0.05 * first else 'NOT met'))
    shutil.rmtree(work)


if __name__ == '__main__':
    main()
