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
