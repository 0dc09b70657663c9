/* Field mapper: record XML as libevtx renders it to normalized events. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "evtxhunt/fieldmap.h"

static struct eh_fieldmap *fm;
static struct eh_event ev;

static void setup(void)
{
	fm = eh_fieldmap_new();
	cr_assert_not_null(fm);
	eh_event_init(&ev);
}

static void teardown(void)
{
	eh_event_release(&ev);
	eh_fieldmap_free(fm);
}

TestSuite(fieldmap, .init = setup, .fini = teardown);

static const char *SYSMON_XML =
	"<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
	"  <System>\n"
	"    <Provider Name=\"Microsoft-Windows-Sysmon\" Guid=\"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}\"/>\n"
	"    <EventID>1</EventID>\n"
	"    <TimeCreated SystemTime=\"2019-07-19T14:53:47.083068200Z\"/>\n"
	"    <EventRecordID>4047</EventRecordID>\n"
	"    <Channel>Microsoft-Windows-Sysmon/Operational</Channel>\n"
	"    <Computer>MSEDGEWIN10</Computer>\n"
	"    <Security UserID=\"S-1-5-18\"/>\n"
	"  </System>\n"
	"  <EventData>\n"
	"    <Data Name=\"RuleName\"/>\n"
	"    <Data Name=\"Image\">C:\\Windows\\SysWOW64\\regsvr32.exe</Data>\n"
	"    <Data Name=\"CommandLine\"> /s C:\\a &amp; &lt;b&gt;.dll</Data>\n"
	"    <Data Name=\"LogonId\">0x0000000000050951</Data>\n"
	"    <Data Name=\"LogonId2\">0x00000000000003e7</Data>\n"
	"  </EventData>\n"
	"</Event>\n";

Test(fieldmap, system_and_eventdata_by_name)
{
	char *cause = NULL;
	cr_assert_eq(eh_fieldmap_parse(fm, SYSMON_XML, strlen(SYSMON_XML), &ev, &cause), 0);
	cr_assert_str_eq(ev.provider, "Microsoft-Windows-Sysmon");
	cr_assert_str_eq(ev.channel, "Microsoft-Windows-Sysmon/Operational");
	cr_assert_str_eq(ev.computer, "MSEDGEWIN10");
	cr_assert_str_eq(ev.user_sid, "S-1-5-18");
	cr_assert_eq(ev.record_id, 4047);
	cr_assert_eq(ev.time, eh_time_parse("2019-07-19T14:53:47.0830682Z"));
	cr_assert_str_eq(eh_event_get(&ev, "Image", NULL), "C:\\Windows\\SysWOW64\\regsvr32.exe");
	cr_assert_str_eq(eh_event_get(&ev, "CommandLine", NULL), " /s C:\\a & <b>.dll", "entities decoded");
	cr_assert_str_eq(eh_event_get(&ev, "RuleName", NULL), "", "empty element: present and empty");
	cr_assert_null(eh_event_get(&ev, "OriginalFileName", NULL), "absent stays absent");
}

Test(fieldmap, hex_values_as_windows_shows_them)
{
	char *cause = NULL;
	cr_assert_eq(eh_fieldmap_parse(fm, SYSMON_XML, strlen(SYSMON_XML), &ev, &cause), 0);
	cr_assert_str_eq(eh_event_get(&ev, "LogonId", NULL), "0x50951");
	cr_assert_str_eq(eh_event_get(&ev, "LogonId2", NULL), "0x3e7");
}

Test(fieldmap, raw_control_characters_survive)
{
	/* libevtx writes control characters raw, which XML forbids */
	const char *xml = "<Event><System><Provider Name=\"P\"/></System><EventData>"
			  "<Data Name=\"A\">x\x03y\x1b[2J</Data><Data Name=\"B\">after</Data></EventData></Event>";
	char *cause = NULL;
	cr_assert_eq(eh_fieldmap_parse(fm, xml, strlen(xml), &ev, &cause), 0);
	cr_assert_str_eq(eh_event_get(&ev, "A", NULL), "x\x03y\x1b[2J");
	cr_assert_str_eq(eh_event_get(&ev, "B", NULL), "after");
}

Test(fieldmap, user_data_leaves_become_fields)
{
	const char *xml = "<Event><System><Provider Name=\"P\"/><Computer>C</Computer></System>"
			  "<UserData><LogFileCleared xmlns=\"x\"><SubjectUserName>bob</SubjectUserName>"
			  "</LogFileCleared></UserData></Event>";
	char *cause = NULL;
	cr_assert_eq(eh_fieldmap_parse(fm, xml, strlen(xml), &ev, &cause), 0);
	cr_assert_str_eq(eh_event_get(&ev, "SubjectUserName", NULL), "bob");
}

Test(fieldmap, no_time_is_reported_as_minus_one)
{
	const char *xml = "<Event><System><Provider Name=\"P\"/></System></Event>";
	char *cause = NULL;
	cr_assert_eq(eh_fieldmap_parse(fm, xml, strlen(xml), &ev, &cause), 0);
	cr_assert_eq(ev.time, -1);
}

Test(fieldmap, malformed_xml_keeps_what_it_can)
{
	const char *xml = "<Event><System><Provider Name=\"P\"/></System><EventData>"
			  "<Data Name=\"A\">ok</Data><Data Name=\"B\">unclosed";
	char *cause = NULL;
	cr_assert_eq(eh_fieldmap_parse(fm, xml, strlen(xml), &ev, &cause), 0);
	cr_assert_str_eq(eh_event_get(&ev, "A", NULL), "ok");
	cr_assert_eq(eh_fieldmap_parse(fm, "garbage", 7, &ev, &cause), -1);
	cr_assert_not_null(cause);
	free(cause);
}

Test(fieldmap, parser_is_reusable)
{
	char *cause = NULL;
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(eh_fieldmap_parse(fm, SYSMON_XML, strlen(SYSMON_XML), &ev, &cause), 0);
		cr_assert_eq(ev.nfields, 5);
	}
}

/* Security 1102 as libevtx renders it (DE_1102_security_log_cleared.evtx) */
static const char *LOG_CLEARED_XML =
	"<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
	"  <System>\n"
	"    <Provider Name=\"Microsoft-Windows-Eventlog\" Guid=\"{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}\"/>\n"
	"    <EventID>1102</EventID>\n"
	"    <Version>0</Version>\n"
	"    <Level>4</Level>\n"
	"    <Task>104</Task>\n"
	"    <Opcode>0</Opcode>\n"
	"    <Keywords>0x4020000000000000</Keywords>\n"
	"    <TimeCreated SystemTime=\"2019-03-19T23:35:07.524202100Z\"/>\n"
	"    <EventRecordID>452811</EventRecordID>\n"
	"    <Correlation/>\n"
	"    <Execution ProcessID=\"812\" ThreadID=\"3916\"/>\n"
	"    <Channel>Security</Channel>\n"
	"    <Computer>PC01.example.corp</Computer>\n"
	"    <Security/>\n"
	"  </System>\n"
	"  <UserData>\n"
	"    <LogFileCleared xmlns=\"http://manifests.microsoft.com/win/2004/08/windows/eventlog\">\n"
	"      <SubjectUserSid>S-1-5-21-1587066498-1489273250-1035260531-1106</SubjectUserSid>\n"
	"      <SubjectUserName>user01</SubjectUserName>\n"
	"      <SubjectDomainName>EXAMPLE</SubjectDomainName>\n"
	"      <SubjectLogonId>0x0000000000017dad</SubjectLogonId>\n"
	"    </LogFileCleared>\n"
	"  </UserData>\n"
	"</Event>\n";

Test(fieldmap, system_fields_under_sigma_names)
{
	char *cause = NULL;
	cr_assert_eq(eh_fieldmap_parse(fm, LOG_CLEARED_XML, strlen(LOG_CLEARED_XML), &ev, &cause), 0);
	cr_assert_str_eq(eh_event_get_system(&ev, "EventID", NULL), "1102");
	cr_assert_str_eq(eh_event_get_system(&ev, "Provider_Name", NULL), "Microsoft-Windows-Eventlog");
	cr_assert_str_eq(eh_event_get_system(&ev, "Channel", NULL), "Security");
	cr_assert_str_eq(eh_event_get_system(&ev, "Computer", NULL), "PC01.example.corp");
	cr_assert_null(eh_event_get_system(&ev, "Security_UserID", NULL), "<Security/> has no UserID");
	cr_assert_str_eq(eh_event_get_system(&ev, "Version", NULL), "0");
	cr_assert_str_eq(eh_event_get_system(&ev, "Level", NULL), "4");
	cr_assert_str_eq(eh_event_get_system(&ev, "Task", NULL), "104");
	cr_assert_str_eq(eh_event_get_system(&ev, "Opcode", NULL), "0");
	cr_assert_str_eq(eh_event_get_system(&ev, "Keywords", NULL), "0x4020000000000000");
	cr_assert_eq(ev.event_id, 1102);
	cr_assert_eq(ev.nfields, 4, "System fields are not payload fields");
	cr_assert_eq(eh_fieldmap_parse(fm, SYSMON_XML, strlen(SYSMON_XML), &ev, &cause), 0);
	cr_assert_str_eq(eh_event_get_system(&ev, "Security_UserID", NULL), "S-1-5-18");
	cr_assert_null(eh_event_get_system(&ev, "Level", NULL), "absent in this XML: not set");
}

Test(fieldmap, user_data_leaves_at_any_depth)
{
	char *cause = NULL;
	cr_assert_eq(eh_fieldmap_parse(fm, LOG_CLEARED_XML, strlen(LOG_CLEARED_XML), &ev, &cause), 0);
	cr_assert_str_eq(eh_event_get(&ev, "SubjectUserSid", NULL), "S-1-5-21-1587066498-1489273250-1035260531-1106");
	cr_assert_str_eq(eh_event_get(&ev, "SubjectUserName", NULL), "user01");
	cr_assert_str_eq(eh_event_get(&ev, "SubjectLogonId", NULL), "0x17dad", "hex as Windows shows it");
	/* a leaf under an inner element: the leaf, not the inner element's text */
	const char *xml = "<Event><System><Provider Name=\"P\"/></System><UserData><Ev xmlns=\"x\">"
			  "<Outer><Inner>deep</Inner><Inner2/></Outer><Top>t</Top></Ev></UserData></Event>";
	cr_assert_eq(eh_fieldmap_parse(fm, xml, strlen(xml), &ev, &cause), 0);
	cr_assert_str_eq(eh_event_get(&ev, "Inner", NULL), "deep");
	cr_assert_str_eq(eh_event_get(&ev, "Inner2", NULL), "", "an empty leaf is present and empty");
	cr_assert_str_eq(eh_event_get(&ev, "Top", NULL), "t");
	cr_assert_null(eh_event_get(&ev, "Outer", NULL), "not a leaf");
	cr_assert_eq(ev.nfields, 3);
}

Test(fieldmap, unnamed_data_is_one_field_with_several_values)
{
	const char *xml = "<Event><System><Provider Name=\"Service Control Manager\"/><EventID Qualifiers=\"16384\">7036"
			  "</EventID></System><EventData><Data>Windows Update</Data><Data>running</Data>"
			  "<Binary>770075</Binary></EventData></Event>";
	char *cause = NULL;
	cr_assert_eq(eh_fieldmap_parse(fm, xml, strlen(xml), &ev, &cause), 0);
	cr_assert_eq(ev.nfields, 3);
	cr_assert_str_eq(ev.fields[0].name, "Data");
	cr_assert_str_eq(ev.fields[0].value, "Windows Update");
	cr_assert_str_eq(ev.fields[1].name, "Data");
	cr_assert_str_eq(ev.fields[1].value, "running");
	cr_assert_str_eq(eh_event_get_system(&ev, "EventID", NULL), "7036", "without its Qualifiers");
}

/* Windows writes HexInt32 and HexInt64 values without leading zeros
 * (4624's ProcessId 0x1d4, 4769's TicketEncryptionType 0x17, 4625's
 * Status 0x0); libevtx pads them to 8 and 16 digits. */
Test(fieldmap, hex32_values_as_windows_shows_them)
{
	const char *xml = "<Event><System><Provider Name=\"P\"/><Keywords>0x0000000000000000</Keywords></System>"
			  "<EventData><Data Name=\"ProcessId\">0x000001d4</Data><Data Name=\"Status\">0x00000000</Data>"
			  "<Data Name=\"Sub\">0xc000006d</Data><Data Name=\"Text\">0x0000001</Data>"
			  "<Data Name=\"Details\">DWORD (0x00000001)</Data></EventData></Event>";
	char *cause = NULL;
	cr_assert_eq(eh_fieldmap_parse(fm, xml, strlen(xml), &ev, &cause), 0);
	cr_assert_str_eq(eh_event_get(&ev, "ProcessId", NULL), "0x1d4");
	cr_assert_str_eq(eh_event_get(&ev, "Status", NULL), "0x0");
	cr_assert_str_eq(eh_event_get(&ev, "Sub", NULL), "0xc000006d");
	cr_assert_str_eq(eh_event_get(&ev, "Text", NULL), "0x0000001", "7 digits: not a HexInt32 rendering");
	cr_assert_str_eq(eh_event_get(&ev, "Details", NULL), "DWORD (0x00000001)");
	cr_assert_str_eq(eh_event_get_system(&ev, "Keywords", NULL), "0x0");
}
