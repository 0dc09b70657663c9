/* Escaping for the terminal, spreadsheets, JSON and diagnostic lines. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/output.h"
#include "evtxhunt/report.h"

static char *esc(void (*fn)(struct buf *, const char *, size_t), const char *s, size_t len)
{
	static struct buf b;
	buf_free(&b);
	fn(&b, s, len);
	return b.data ? b.data : "";
}
#define TERM(s) esc(eh_escape_terminal, s, sizeof(s) - 1)
#define CSV(s) esc(eh_escape_csv, s, sizeof(s) - 1)
#define JSON(s) esc(eh_escape_json, s, sizeof(s) - 1)

Test(terminal, controls_become_visible)
{
	cr_assert_str_eq(TERM("a\x1b]0;pwned\x07z"), "a\\x1B]0;pwned\\x07z");
	cr_assert_str_eq(TERM("line\r\nnext\ttab"), "line\\r\\nnext\\ttab");
	cr_assert_str_eq(TERM("nul\0x"), "nul\\x00x");
	cr_assert_str_eq(TERM("del\x7f"), "del\\x7F");
}

Test(terminal, c1_bidi_and_invalid_utf8)
{
	cr_assert_str_eq(TERM("csi\xc2\x9b" "31m"), "csi\\u009B31m");
	cr_assert_str_eq(TERM("abc\xe2\x80\xae" "exe"), "abc\\u202Eexe");
	cr_assert_str_eq(TERM("bad\xff\xc3"), "bad\\xFF\\xC3");
	cr_assert_str_eq(TERM("\xed\xa0\x80"), "\\xED\\xA0\\x80", "an encoded surrogate is not UTF-8");
}

Test(terminal, text_and_paths_pass_through)
{
	cr_assert_str_eq(TERM("C:\\Users\\J\xc3\xbcrgen\\\xf0\x9f\x98\x80"), "C:\\Users\\J\xc3\xbcrgen\\\xf0\x9f\x98\x80");
}

Test(csv, quoting_per_rfc4180)
{
	cr_assert_str_eq(CSV("plain"), "plain");
	cr_assert_str_eq(CSV("a,b"), "\"a,b\"");
	cr_assert_str_eq(CSV("say \"hi\""), "\"say \"\"hi\"\"\"");
	cr_assert_str_eq(CSV(""), "");
}

Test(csv, formulas_are_neutralized)
{
	cr_assert_str_eq(CSV("=1+1"), "'=1+1");
	cr_assert_str_eq(CSV("+cmd"), "'+cmd");
	cr_assert_str_eq(CSV("-2+3"), "'-2+3");
	cr_assert_str_eq(CSV("@SUM(A1)"), "'@SUM(A1)");
	cr_assert_str_eq(CSV("\t=1"), "'\\t=1");
	cr_assert_str_eq(CSV("a=1"), "a=1", "only a leading trigger matters");
}

Test(csv, cells_are_terminal_safe)
{
	cr_assert_str_eq(CSV("x\x1b[2J"), "x\\x1B[2J");
	cr_assert_str_eq(CSV("two\nlines"), "two\\nlines");
}

Test(json, escapes_and_utf8)
{
	cr_assert_str_eq(JSON("a\"b\\c"), "\"a\\\"b\\\\c\"");
	cr_assert_str_eq(JSON("\x1b\x07\n"), "\"\\u001b\\u0007\\n\"");
	cr_assert_str_eq(JSON("\xff"), "\"\\ufffd\"", "invalid UTF-8 becomes U+FFFD");
	cr_assert_str_eq(JSON("\xe2\x80\xae"), "\"\\u202e\"");
	cr_assert_str_eq(JSON("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
}

Test(format, names)
{
	cr_assert_eq(eh_format_from_name("table"), EH_FORMAT_TABLE);
	cr_assert_eq(eh_format_from_name("csv"), EH_FORMAT_CSV);
	cr_assert_eq(eh_format_from_name("jsonl"), EH_FORMAT_JSONL);
	cr_assert_eq(eh_format_from_name("xml"), -1);
}

/* "File names in messages are escaped too": every diagnostic line is
 * made by eh_report_line, so checking it checks them all. */
Test(report, message_lines_escape_path_and_reason)
{
	struct buf b;
	buf_init(&b);
	eh_report_line(&b, "error", "logs/a\x1b[31m\tb.evtx", "cannot open: bad\nthing");
	cr_assert_str_eq(b.data, "evtxhunt: error: logs/a\\x1B[31m\\tb.evtx: cannot open: bad\\nthing\n");
	buf_reset(&b);
	eh_report_line(&b, NULL, "state\r.db", "not an evtxhunt state file");
	cr_assert_str_eq(b.data, "evtxhunt: state\\r.db: not an evtxhunt state file\n");
	buf_free(&b);
	char *p = eh_report_path("out\x1b]0;x\a.csv");
	cr_assert_str_eq(p, "out\\x1B]0;x\\x07.csv");
	free(p);
}

/* ---- the output of each kind of event (issue 13) -------------------------- */

#include "evtxhunt/jsonl.h"
#include "evtxhunt/keyfields.h"
#include "evtxhunt/merge.h"

#define SEP " \xc2\xa6 " /* ¦ between pairs */

static struct eh_event *make_event(uint32_t event_id, const char *channel, const char *const *kv)
{
	struct eh_event *ev = xcalloc(1, sizeof *ev);
	eh_event_init(ev);
	for (; kv[0]; kv += 2)
		eh_event_add_field(ev, kv[0], strlen(kv[0]), kv[1], strlen(kv[1]));
	eh_event_set_system(ev, EH_SYS_COMPUTER, "WS7", 3);
	eh_event_set_system(ev, EH_SYS_CHANNEL, channel, strlen(channel));
	eh_event_set_system(ev, EH_SYS_PROVIDER, "P", 1);
	eh_event_finish(ev);
	ev->event_id = event_id;
	ev->record_id = 9;
	ev->time = eh_time_parse("2024-05-01T12:00:00Z");
	return ev;
}

static struct eh_rule rule_of(const char *category, const char *service)
{
	struct eh_rule r = { .id = "r-1", .title = "T", .level = "high", .category = (char *)category,
			     .product = "windows", .service = (char *)service };
	return r;
}

/* Frees the body eh_rule_set_tested_fields gave R (its strings are literals). */
static void free_body(struct eh_rule *r)
{
	struct eh_rule *owner = xcalloc(1, sizeof *owner);
	owner->body = r->body;
	r->body = NULL;
	eh_rule_free(owner);
}

/* The details text of EV as a hit of RULE. */
static char *details_of(const struct eh_rule *rule, const struct eh_event *ev, size_t cut)
{
	static struct buf b;
	struct eh_keyfields kf;
	buf_free(&b);
	eh_keyfields_of(rule, ev, &kf);
	eh_keyfields_details(&b, ev, &kf, cut);
	return b.data ? b.data : "";
}

/* The whole output of one hit in FORMAT, the CSV header dropped. */
static char *output_of(enum eh_format format, const struct eh_rule *rule, struct eh_event *ev, bool wide)
{
	static char *text;
	struct eh_timeline tl;
	struct eh_output_options opt = { format, wide, 80 };
	eh_timeline_init(&tl, 0);
	eh_timeline_add(&tl, rule, ev, eh_timeline_file(&tl, "x.evtx"));
	FILE *f = tmpfile();
	cr_assert(eh_output_timeline(f, &opt, &tl) == 0);
	long n = ftell(f);
	rewind(f);
	free(text);
	text = xcalloc(1, (size_t)n + 1);
	cr_assert(fread(text, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	eh_timeline_release(&tl);
	if (format == EH_FORMAT_CSV)
		return strstr(text, "\r\n") + 2;
	return text;
}

static const char *const network[] = { "UtcTime", "x", "Image", "C:\\a.exe", "SourceIp", "10.0.0.1", "SourcePort",
				       "5000", "DestinationIp", "8.8.8.8", "DestinationPort", "53", NULL };

Test(keyfields, network_connection)
{
	struct eh_rule r = rule_of("network_connection", NULL);
	struct eh_event *ev = make_event(3, "Microsoft-Windows-Sysmon/Operational", network);
	cr_assert_str_eq(details_of(&r, ev, 0), "Image: C:\\a.exe" SEP "SourceIp: 10.0.0.1" SEP "SourcePort: 5000" SEP
				"DestinationIp: 8.8.8.8" SEP "DestinationPort: 53",
			 "the table's fields in its order; an absent one (DestinationHostname) left out");
	cr_assert_str_eq(output_of(EH_FORMAT_CSV, &r, ev, false),
			 "2024-05-01T12:00:00.0000000Z,WS7,T,high,r-1,3,9,Microsoft-Windows-Sysmon/Operational,"
			 "\"Image: C:\\a.exe" SEP "SourceIp: 10.0.0.1" SEP "SourcePort: 5000" SEP "DestinationIp: 8.8.8.8" SEP
			 "DestinationPort: 53\",x.evtx,false,,,,\r\n",
			 "process columns empty for another kind");
	cr_assert_str_eq(output_of(EH_FORMAT_TABLE, &r, ev, false),
			 "2024-05-01T12:00:00.0000000Z  high  WS7\n  T\n  Image: C:\\a.exe\n  SourceIp: 10.0.0.1\n"
			 "  SourcePort: 5000\n  DestinationIp: 8.8.8.8\n  DestinationPort: 53\n  source   x.evtx #9\n\n");
	eh_event_free(ev);
}

Test(keyfields, registry_set)
{
	static const char *const kv[] = { "EventType", "SetValue", "Image", "C:\\r.exe", "TargetObject",
					  "HKLM\\Run\\x", "Details", "C:\\evil.exe", NULL };
	struct eh_rule r = rule_of("registry_set", NULL);
	struct eh_event *ev = make_event(13, "Microsoft-Windows-Sysmon/Operational", kv);
	cr_assert_str_eq(details_of(&r, ev, 0), "Image: C:\\r.exe" SEP "EventType: SetValue" SEP
				"TargetObject: HKLM\\Run\\x" SEP "Details: C:\\evil.exe");
	cr_assert(strstr(output_of(EH_FORMAT_JSONL, &r, ev, false),
			 "\"message\":\"T [high] on WS7: Image: C:\\\\r.exe" SEP "EventType: SetValue" SEP
			 "TargetObject: HKLM\\\\Run\\\\x" SEP "Details: C:\\\\evil.exe\""));
	eh_event_free(ev);
}

Test(keyfields, security_logon_by_event_id)
{
	static const char *const kv[] = { "SubjectUserSid", "S-1-5-18", "TargetUserName", "bob", "TargetDomainName",
					  "CORP", "LogonType", "10", "WorkstationName", "KALI", "IpAddress",
					  "192.0.2.7", NULL };
	struct eh_rule r = rule_of(NULL, "security");
	struct eh_event *ev = make_event(4624, "Security", kv);
	cr_assert_str_eq(details_of(&r, ev, 0), "TargetUserName: bob" SEP "TargetDomainName: CORP" SEP
				"LogonType: 10" SEP "IpAddress: 192.0.2.7" SEP "WorkstationName: KALI");
	cr_assert(strstr(output_of(EH_FORMAT_CSV, &r, ev, false),
			 ",\"TargetUserName: bob" SEP "TargetDomainName: CORP" SEP "LogonType: 10" SEP
			 "IpAddress: 192.0.2.7" SEP "WorkstationName: KALI\",x.evtx,false,,,,\r\n"));
	ev->event_id = 4720; /* account management: another row of the same service */
	cr_assert_str_eq(details_of(&r, ev, 0), "TargetUserName: bob");
	eh_event_free(ev);
}

Test(keyfields, script_block_cut_on_the_terminal)
{
	char big[3001];
	memset(big, 'A', 3000);
	big[3000] = '\0';
	memcpy(big, "iex\r\n", 5);
	const char *const kv[] = { "MessageNumber", "1", "ScriptBlockText", big, "Path", "", NULL };
	struct eh_rule r = rule_of("ps_script", NULL);
	struct eh_event *ev = make_event(4104, "Microsoft-Windows-PowerShell/Operational", kv);
	char *d = details_of(&r, ev, 0);
	cr_assert_eq(strlen(d), strlen("ScriptBlockText: ") + 3000, "CSV and JSON Lines keep it whole");
	char *t = output_of(EH_FORMAT_TABLE, &r, ev, true);
	char *line = strstr(t, "  ScriptBlockText: iex\\r\\nAAA");
	cr_assert(line, "escaped: %s", t);
	cr_assert_eq(eh_display_width(line, strcspn(line, "\n")), 2 + 17 + 1000 + 2 + 1, /* \r \n: two columns each */
		     "--wide: cut to 1000 characters and an ellipsis");
	cr_assert(strstr(line, "A\xe2\x80\xa6\n"));
	t = output_of(EH_FORMAT_TABLE, &r, ev, false);
	cr_assert(strstr(t, "  ScriptBlockText: iex\\r\\nAAAA"));
	eh_event_free(ev);
}

Test(keyfields, unknown_kind_tested_fields_first)
{
	static const char *const kv[] = { "A", "1", "B", "2", "C", "3", "B", "dup", NULL };
	struct eh_rule r = rule_of("something_new", NULL);
	char **tested = xcalloc(2, sizeof *tested);
	tested[0] = xstrdup("C");
	tested[1] = xstrdup("Z"); /* tested but absent */
	eh_rule_set_tested_fields(&r, tested, 2);
	struct eh_event *ev = make_event(77, "Other", kv);
	cr_assert_str_eq(details_of(&r, ev, 0), "C: 3" SEP "A: 1" SEP "B: 2",
			 "the tested fields, then the rest in order, a repeated name once");
	cr_assert(strstr(output_of(EH_FORMAT_JSONL, &r, ev, false),
			 "\"rule_category\":\"something_new\",\"rule_product\":\"windows\",\"rule_service\":null,"
			 "\"rule_fields\":[\"C\",\"Z\"],"));
	cr_assert_str_eq(output_of(EH_FORMAT_TABLE, &r, ev, false),
			 "2024-05-01T12:00:00.0000000Z  high  WS7\n  T\n  C: 3\n  A: 1\n  B: 2\n  source   x.evtx #9\n\n");
	struct eh_rule none = rule_of(NULL, NULL);
	cr_assert_str_eq(details_of(&none, ev, 0), "A: 1" SEP "B: 2" SEP "C: 3", "no logsource, no body: in order");
	eh_event_free(ev);
	free_body(&r);
}

Test(keyfields, process_creation_columns)
{
	static const char *const kv[] = { "Image", "C:\\w\\cmd.exe", "CommandLine", "=cmd /c x", "User", "CORP\\al",
					  "ParentImage", "C:\\e.exe", NULL };
	struct eh_rule r = rule_of("process_creation", NULL);
	struct eh_event *ev = make_event(1, "Microsoft-Windows-Sysmon/Operational", kv);
	cr_assert_str_eq(output_of(EH_FORMAT_CSV, &r, ev, false),
			 "2024-05-01T12:00:00.0000000Z,WS7,T,high,r-1,1,9,Microsoft-Windows-Sysmon/Operational,"
			 "\"Image: C:\\w\\cmd.exe" SEP "CommandLine: =cmd /c x" SEP "ParentImage: C:\\e.exe" SEP
			 "User: CORP\\al\",x.evtx,false,CORP\\al,C:\\w\\cmd.exe,\"'=cmd /c x\",C:\\e.exe\r\n");
	eh_event_free(ev);
}

/* What table and CSV are made from survives JSON Lines: the merged hit
 * prints as the hit did. */
Test(keyfields, round_trip_through_jsonl)
{
	static const char *const kv[] = { "X", "1", "Y", "2", NULL };
	struct eh_rule r = rule_of("something_new", NULL);
	char **tested = xcalloc(1, sizeof *tested);
	tested[0] = xstrdup("Y");
	eh_rule_set_tested_fields(&r, tested, 1);
	struct eh_event *ev = make_event(5, "Other", kv);
	for (int format = EH_FORMAT_TABLE; format <= EH_FORMAT_JSONL; format++) {
		char *before = xstrdup(output_of(format, &r, ev, false));
		char *line = xstrdup(output_of(EH_FORMAT_JSONL, &r, ev, false));
		struct eh_merger *m = eh_merger_new();
		struct eh_timeline tl;
		const char *err;
		size_t col;
		eh_timeline_init(&tl, 0);
		cr_assert(eh_merge_line(m, line, strlen(line), &tl, &err, &col));
		cr_assert_eq(eh_merger_rules(m), 1);
		const struct eh_rule *back = eh_merger_rule(m, 0);
		cr_assert_str_eq(back->category, "something_new");
		cr_assert_null(back->service);
		cr_assert_str_eq(output_of(format, back, ev, false), before, "format %d", format);
		eh_timeline_release(&tl);
		eh_merger_free(m);
		free(before);
		free(line);
	}
	eh_event_free(ev);
	free_body(&r);
}

/* More rows of the table: names with spaces, a service keyed by event id,
 * a category prefix, and an event id of security no row is for. */
Test(keyfields, more_rows)
{
	static const char *const defender[] = { "Product Name", "MD", "Threat Name", "EICAR", "Path", "file:_C:\\e.com",
						"Action Name", "Quarantine", NULL };
	static const char *const service[] = { "ServiceName", "evil", "ImagePath", "C:\\e.exe", "StartType", "auto",
					       "AccountName", "LocalSystem", NULL };
	static const char *const classic[] = { "NewEngineState", "Available", "HostApplication", "powershell -enc x",
					       NULL };
	struct eh_rule r = rule_of(NULL, "windefend");
	struct eh_event *ev = make_event(1116, "Microsoft-Windows-Windows Defender/Operational", defender);
	cr_assert_str_eq(details_of(&r, ev, 0), "Threat Name: EICAR" SEP "Path: file:_C:\\e.com" SEP "Action Name: Quarantine");
	eh_event_free(ev);
	r = rule_of(NULL, "system");
	ev = make_event(7045, "System", service);
	cr_assert_str_eq(details_of(&r, ev, 0), "ServiceName: evil" SEP "ImagePath: C:\\e.exe" SEP "AccountName: LocalSystem");
	ev->event_id = 7036;
	cr_assert_str_eq(details_of(&r, ev, 0), "ServiceName: evil" SEP "ImagePath: C:\\e.exe" SEP "StartType: auto" SEP
				"AccountName: LocalSystem", "another System event: the fields in order");
	eh_event_free(ev);
	r = rule_of("ps_classic_start", NULL);
	ev = make_event(400, "Windows PowerShell", classic);
	cr_assert_str_eq(details_of(&r, ev, 0), "HostApplication: powershell -enc x");
	eh_event_free(ev);
}
