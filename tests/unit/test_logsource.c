/* Log source mapping: Security 4688 onto Sysmon's names. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "evtxhunt/logsource.h"

#define SECURITY "Microsoft-Windows-Security-Auditing"

static void add(struct eh_event *ev, const char *name, const char *value)
{
	eh_event_add_field(ev, name, strlen(name), value, strlen(value));
}

Test(logsource, rows_and_selection)
{
	int sysmon = eh_logsource_row_of("Microsoft-Windows-Sysmon", 1);
	int security = eh_logsource_row_of(SECURITY, 4688);
	cr_assert_geq(sysmon, 0);
	cr_assert_geq(security, 0);
	cr_assert_eq(eh_logsource_row_of(SECURITY, 4689), -1);
	uint64_t mask = eh_logsource_select("process_creation", "windows", NULL);
	cr_assert(mask & (UINT64_C(1) << sysmon));
	cr_assert(mask & (UINT64_C(1) << security));
	cr_assert_eq(eh_logsource_select("process_creation", "linux", NULL), 0);
	cr_assert_eq(eh_logsource_select(NULL, "windows", NULL), 0, "a product alone maps nothing");
}

Test(logsource, sysmon_events_pass_through)
{
	struct eh_event in, out;
	eh_event_init(&in);
	eh_event_init(&out);
	eh_event_reset(&in);
	add(&in, "Image", "a.exe");
	eh_event_finish(&in);
	cr_assert_eq(eh_logsource_normalize(eh_logsource_row_of("Microsoft-Windows-Sysmon", 1), &in, &out), &in);
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
	const struct eh_event *ev = eh_logsource_normalize(eh_logsource_row_of(SECURITY, 4688), &in, &out);
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
		const struct eh_event *ev = eh_logsource_normalize(eh_logsource_row_of(SECURITY, 4688), &in, &out);
		cr_assert_str_eq(eh_event_get(ev, "IntegrityLevel", NULL), sids[i][1]);
		cr_assert_str_eq(eh_event_get(ev, "User", NULL), "CORP\\alice", "the target account when present");
		eh_event_release(&in);
		eh_event_release(&out);
	}
}
