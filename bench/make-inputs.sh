#!/bin/sh
# Builds the benchmark logs from the real samples (chunks repeated and
# renumbered; see build_log.py) into BENCH_DIR (default /tmp/evtxhunt-bench).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
samples=${SAMPLES:-$here/../../shared/samples/evtx-attack-samples}
out=${BENCH_DIR:-/tmp/evtxhunt-bench}
mkdir -p "$out"
[ -d "$samples" ] || { echo "no samples at $samples" >&2; exit 1; }
py=$here/build_log.py
# Sysmon-heavy, no regsvr32 anywhere: the seed rule's best case
[ -s "$out/sysmon-512.evtx" ] || python3 "$py" "$out/sysmon-512.evtx" 512 --sysmon-only --without regsvr32 "$samples"
# every Sysmon log of the attack samples, hits included
[ -s "$out/attack-256.evtx" ] || python3 "$py" "$out/attack-256.evtx" 256 --sysmon-only "$samples"
# the same kind of log at 256 MB and 1 GB, for peak memory
[ -s "$out/sysmon-256.evtx" ] || python3 "$py" "$out/sysmon-256.evtx" 256 --sysmon-only --without regsvr32 "$samples"
[ -s "$out/sysmon-1g.evtx" ] || python3 "$py" "$out/sysmon-1g.evtx" 1024 --sysmon-only --without regsvr32 "$samples"
# issue 13's log sources (bench/logsources.py): a dense Security log
# (~1,350 records/MB, as real ones) and every channel of the attack samples
edge=${EDGE_SAMPLES:-$here/../../shared/samples/parser-edge-cases}
[ -s "$out/security-34.evtx" ] || python3 "$py" "$out/security-34.evtx" 34 "$edge/security.evtx" "$edge/Security_with_size_t.evtx" "$edge/post-Security.evtx"
[ -s "$out/attack-all-256.evtx" ] || python3 "$py" "$out/attack-all-256.evtx" 256 "$samples"
ls -l "$out"
