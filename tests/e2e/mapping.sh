#!/bin/sh
# Security 4688 reaches process_creation rules under Sysmon's names.
. "$E2E_LIB"
cd "$TESTDATA"
expect_status 1 "$EVTXHUNT" -q -f csv -r rules/mapping -r ../rules logs/security_4688.evtx
# record_id,rule_title per hit, in timeline order
cut -d, -f3,7 "$tmp/out" | tail -n +2 >"$tmp/hits"
cat >"$tmp/want" <<'WANT'
"Mapping probe (evtxhunt test rule)",9001
"Regsvr32.EXE Calling of DllRegisterServer Export Function Implicitly",9001
"Target account wins (evtxhunt test rule)",9002
WANT
expect_same "$tmp/hits" "$tmp/want" "4688: mapped fields, target account, no hit on a Sysmon-only field"
finish
