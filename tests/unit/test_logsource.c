/* Log source mapping: the table's rows, and Security 4688 onto Sysmon's
 * names. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <string.h>

#include "evtxhunt/logsource.h"

#define SECURITY "Microsoft-Windows-Security-Auditing"

static void add(struct eh_event *ev, const char *name, const char *value)
{
	eh_event_add_field(ev, name, strlen(name), value, strlen(value));
}

#define SYSMON_CHANNEL "Microsoft-Windows-Sysmon/Operational"

/* An event of CHANNEL and PROVIDER with EVENT_ID and, when NAME is set,
 * one EventData field. */
static void event_of(struct eh_event *ev, const char *channel, const char *provider, uint32_t event_id,
		     const char *name, const char *value)
{
	eh_event_reset(ev);
	eh_event_set_system(ev, EH_SYS_CHANNEL, channel, strlen(channel));
	eh_event_set_system(ev, EH_SYS_PROVIDER, provider, strlen(provider));
	ev->event_id = event_id;
	if (name)
		add(ev, name, value);
	eh_event_finish(ev);
}

/* Whether the rows of EV meet those a logsource selects. */
static bool selects(const struct eh_event *ev, const char *category, const char *service)
{
	uint64_t rows[16];
	cr_assert_leq(eh_logsource_words(), 16);
	eh_logsource_rows_of(ev, rows);
	return eh_rowset_meets(rows, eh_logsource_select(category, "windows", service));
}

/* The row of the table for a category or service and event id. */
static int row_for(const char *category, const char *channel, uint32_t event_id)
{
	for (size_t i = 0; i < eh_logsource_rows; i++) {
		const struct eh_logsource_row *r = &eh_logsource_table[i];
		if (r->category && strcmp(r->category, category) == 0 && strcmp(r->channel, channel) == 0 &&
		    r->event_id == event_id)
			return (int)i;
	}
	return -1;
}

Test(logsource, rows_and_selection)
{
	int sysmon = row_for("process_creation", SYSMON_CHANNEL, 1);
	int security = row_for("process_creation", "Security", 4688);
	cr_assert_geq(sysmon, 0);
	cr_assert_geq(security, 0);
	const uint64_t *set = eh_logsource_select("process_creation", "windows", NULL);
	cr_assert(eh_rowset_has(set, (size_t)sysmon));
	cr_assert(eh_rowset_has(set, (size_t)security));
	cr_assert_eq(set, eh_logsource_select("process_creation", "windows", NULL), "one set per logsource");
	cr_assert(eh_rowset_empty(eh_logsource_select("process_creation", "linux", NULL)));
	cr_assert(eh_rowset_empty(eh_logsource_select("file_access", "windows", NULL)));
	cr_assert(eh_rowset_empty(eh_logsource_select(NULL, "windows", "no-such-service")));
	cr_assert(eh_rowset_empty(eh_logsource_select(NULL, NULL, NULL)));
	cr_assert_not(eh_rowset_empty(eh_logsource_select(NULL, "windows", NULL)), "product windows alone");
}

Test(logsource, an_event_belongs_to_several_log_sources)
{
	struct eh_event ev;
	eh_event_init(&ev);
	event_of(&ev, SYSMON_CHANNEL, "Microsoft-Windows-Sysmon", 13, "EventType", "SetValue");
	cr_assert(selects(&ev, "registry_set", NULL));
	cr_assert(selects(&ev, "registry_event", NULL));
	cr_assert(selects(&ev, NULL, "sysmon"));
	cr_assert(selects(&ev, NULL, NULL), "product windows alone wants every event");
	cr_assert_not(selects(&ev, "registry_add", NULL));
	cr_assert_not(selects(&ev, "process_creation", NULL));
	cr_assert_not(selects(&ev, NULL, "security"));

	event_of(&ev, SYSMON_CHANNEL, "Microsoft-Windows-Sysmon", 12, "EventType", "CreateKey");
	cr_assert(selects(&ev, "registry_add", NULL));
	cr_assert(selects(&ev, "registry_event", NULL));
	cr_assert_not(selects(&ev, "registry_delete", NULL));
	cr_assert_not(selects(&ev, "registry_set", NULL));
	event_of(&ev, SYSMON_CHANNEL, "Microsoft-Windows-Sysmon", 12, "EventType", "DeleteValue");
	cr_assert(selects(&ev, "registry_delete", NULL));
	cr_assert_not(selects(&ev, "registry_add", NULL));
	event_of(&ev, SYSMON_CHANNEL, "Microsoft-Windows-Sysmon", 12, NULL, NULL);
	cr_assert_not(selects(&ev, "registry_delete", NULL), "no EventType: not the extra condition");
	cr_assert(selects(&ev, "registry_event", NULL));
	eh_event_release(&ev);
}

Test(logsource, keyed_by_channel_not_provider)
{
	struct eh_event ev;
	eh_event_init(&ev);
	/* the log-cleared event is the Eventlog provider's, in Security */
	event_of(&ev, "Security", "Microsoft-Windows-Eventlog", 1102, NULL, NULL);
	cr_assert(selects(&ev, NULL, "security"));
	cr_assert_not(selects(&ev, NULL, "system"));
	event_of(&ev, "PowerShellCore/Operational", "PowerShellCore", 4104, NULL, NULL);
	cr_assert(selects(&ev, "ps_script", NULL));
	cr_assert(selects(&ev, NULL, "powershell"));
	cr_assert_not(selects(&ev, "ps_module", NULL));
	event_of(&ev, "Windows PowerShell", "PowerShell", 400, NULL, NULL);
	cr_assert(selects(&ev, "ps_classic_start", NULL));
	cr_assert(selects(&ev, NULL, "powershell-classic"));
	/* Sysmon's id 1 in another channel is not Sysmon's */
	event_of(&ev, "Some-Vendor/Operational", "Microsoft-Windows-Sysmon", 1, NULL, NULL);
	cr_assert_not(selects(&ev, "process_creation", NULL));
	uint64_t rows[16];
	event_of(&ev, "No-Such-Channel/Operational", "Nobody", 4104, NULL, NULL);
	cr_assert(eh_logsource_rows_of(&ev, rows), "product windows alone still holds");
	cr_assert_not(selects(&ev, "ps_script", NULL));
	cr_assert_not(selects(&ev, NULL, "powershell"));
	/* an unknown channel belongs to the product-windows-only row alone */
	size_t n = 0;
	for (size_t i = 0; i < eh_logsource_rows; i++)
		n += eh_rowset_has(rows, i);
	cr_assert_eq(n, 1);
	eh_event_release(&ev);
}

Test(logsource, early_test_is_a_superset)
{
	const uint64_t *pc = eh_logsource_select("process_creation", "windows", NULL);
	cr_assert(eh_logsource_may_want(pc, 1));
	cr_assert(eh_logsource_may_want(pc, 4688));
	cr_assert_not(eh_logsource_may_want(pc, 4624));
	cr_assert(eh_logsource_may_want(eh_logsource_select(NULL, "windows", "security"), 1102));
	cr_assert(eh_logsource_may_want(eh_logsource_select(NULL, "windows", NULL), 7));
}

Test(logsource, reasons_for_rules_that_cannot_fire)
{
	char buf[256];
	cr_assert_null(eh_logsource_unmapped_reason("image_load", "windows", NULL, buf, sizeof buf));
	cr_assert_str_eq(eh_logsource_unmapped_reason("file_access", "windows", NULL, buf, sizeof buf),
			 "logsource category file_access is not recorded in EVTX (ETW only); the rule cannot fire");
	cr_assert_str_eq(eh_logsource_unmapped_reason(NULL, "windows", "no-such", buf, sizeof buf),
			 "logsource service no-such has no known channel; the rule cannot fire");
}

Test(logsource, sysmon_events_pass_through)
{
	struct eh_event in, out;
	eh_event_init(&in);
	eh_event_init(&out);
	eh_event_reset(&in);
	add(&in, "Image", "a.exe");
	eh_event_finish(&in);
	cr_assert_eq(eh_logsource_normalize(row_for("process_creation", SYSMON_CHANNEL, 1), &in, &out), &in);
	eh_event_release(&in);
	eh_event_release(&out);
}

Test(logsource, security_4688_onto_sysmon_names)
{
	struct eh_event in, out;
	eh_event_init(&in);
	eh_event_init(&out);
	eh_event_reset(&in);
	eh_event_set_system(&in, EH_SYS_COMPUTER, "DC01", 4);
	add(&in, "SubjectUserName", "bob");
	add(&in, "SubjectDomainName", "CORP");
	add(&in, "SubjectLogonId", "0x3e7");
	add(&in, "NewProcessId", "0x1a2c");
	add(&in, "NewProcessName", "C:\\Windows\\System32\\regsvr32.exe");
	add(&in, "ProcessId", "0x10f0");
	add(&in, "CommandLine", "regsvr32 /s x.dll");
	add(&in, "TargetUserName", "-");
	add(&in, "TargetDomainName", "-");
	add(&in, "ParentProcessName", "C:\\Windows\\explorer.exe");
	add(&in, "MandatoryLabel", "S-1-16-12288");
	eh_event_finish(&in);
	const struct eh_event *ev = eh_logsource_normalize(row_for("process_creation", "Security", 4688), &in, &out);
	cr_assert_eq(ev, &out);
	cr_assert_str_eq(eh_event_get(ev, "Image", NULL), "C:\\Windows\\System32\\regsvr32.exe");
	cr_assert_str_eq(eh_event_get(ev, "ParentImage", NULL), "C:\\Windows\\explorer.exe");
	cr_assert_str_eq(eh_event_get(ev, "CommandLine", NULL), "regsvr32 /s x.dll");
	cr_assert_str_eq(eh_event_get(ev, "User", NULL), "CORP\\bob", "subject: the target is '-'");
	cr_assert_str_eq(eh_event_get(ev, "ProcessId", NULL), "6700");
	cr_assert_str_eq(eh_event_get(ev, "ParentProcessId", NULL), "4336", "mapped, not 4688's own ProcessId");
	cr_assert_str_eq(eh_event_get(ev, "IntegrityLevel", NULL), "High");
	cr_assert_str_eq(eh_event_get(ev, "LogonId", NULL), "0x3e7");
	cr_assert_str_eq(eh_event_get(ev, "SubjectUserName", NULL), "bob", "original names stay available");
	cr_assert_null(eh_event_get(ev, "CurrentDirectory", NULL), "absent stays absent");
	cr_assert_null(eh_event_get(ev, "OriginalFileName", NULL));
	cr_assert_str_eq(ev->computer, "DC01");
	eh_event_release(&in);
	eh_event_release(&out);
}

Test(logsource, integrity_levels_and_target_account)
{
	static const char *const sids[][2] = { { "S-1-16-4096", "Low" },    { "S-1-16-8192", "Medium" },
					      { "S-1-16-12288", "High" },  { "S-1-16-16384", "System" },
					      { "S-1-16-99", "S-1-16-99" } };
	for (size_t i = 0; i < 5; i++) {
		struct eh_event in, out;
		eh_event_init(&in);
		eh_event_init(&out);
		eh_event_reset(&in);
		add(&in, "MandatoryLabel", sids[i][0]);
		add(&in, "SubjectUserName", "svc");
		add(&in, "TargetUserName", "alice");
		add(&in, "TargetDomainName", "CORP");
		eh_event_finish(&in);
		const struct eh_event *ev = eh_logsource_normalize(row_for("process_creation", "Security", 4688), &in, &out);
		cr_assert_str_eq(eh_event_get(ev, "IntegrityLevel", NULL), sids[i][1]);
		cr_assert_str_eq(eh_event_get(ev, "User", NULL), "CORP\\alice", "the target account when present");
		eh_event_release(&in);
		eh_event_release(&out);
	}
}

/* chunkscan.c reads an event's EventID for the rules' event-id guards once,
 * before renaming: no row may rename a field to it. */
Test(logsource, no_row_renames_a_field_to_eventid)
{
	for (size_t row = 0; row < eh_logsource_rows; row++)
		for (const struct eh_field_map *m = eh_logsource_table[row].fields; m && m->target; m++)
			cr_assert_str_neq(m->target, "EventID", "row %zu", row);
}
