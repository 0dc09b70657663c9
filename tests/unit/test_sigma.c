/* Sigma semantics: values, modifiers, conditions and load errors. */
#include "config.h"

#include <unistd.h>

#include "evtxhunt/logsource.h"
#include "sigma_helpers.h"

#define HEAD                                  \
	"title: t\n"                          \
	"id: 00000000-0000-0000-0000-000000000000\n" \
	"logsource:\n"                        \
	"  category: process_creation\n"      \
	"  product: windows\n"                \
	"detection:\n"

/* Whether DETECTION (YAML under 'detection:', two-space indented) holds
 * for a Sysmon 1 event (in Sysmon's channel: the log source wants it)
 * with the NULL-ended name, value pairs of AP. With SYSTEM, also Computer
 * WS1, Level 4 and the EventID text, as the field mapper sets them. */
static bool holds_event(bool system, const char *detection, va_list ap)
{
	char yaml[4096];
	snprintf(yaml, sizeof yaml, HEAD "%s", detection);
	struct eh_ruleset *rs = rules_from(yaml);
	struct eh_event ev;
	eh_event_init(&ev);
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_PROVIDER, SYSMON, strlen(SYSMON));
	eh_event_set_system(&ev, EH_SYS_CHANNEL, SYSMON_CHANNEL, strlen(SYSMON_CHANNEL));
	if (system) {
		eh_event_set_system(&ev, EH_SYS_COMPUTER, "WS1", 3);
		eh_event_set_system(&ev, EH_SYS_LEVEL, "4", 1);
		ev.event_id = 1; /* before finish: EventID's text comes from it */
	}
	const char *name;
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		eh_event_add_field(&ev, name, strlen(name), value, strlen(value));
	}
	eh_event_finish(&ev);
	ev.event_id = 1;
	bool hit = matches(rs, &ev);
	eh_event_release(&ev);
	eh_ruleset_free(rs);
	return hit;
}

static bool holds(const char *detection, ...)
{
	va_list ap;
	va_start(ap, detection);
	bool hit = holds_event(false, detection, ap);
	va_end(ap);
	return hit;
}

#define SEL(x) "  sel:\n    " x "\n  condition: sel\n"

Test(values, plain_equality_is_whole_and_caseless)
{
	cr_assert(holds(SEL("Image: 'C:\\x\\A.exe'"), "Image", "c:\\X\\a.EXE", NULL));
	cr_assert_not(holds(SEL("Image: 'C:\\x\\A.exe'"), "Image", "C:\\x\\A.exe ", NULL));
	cr_assert_not(holds(SEL("Image: 'A.exe'"), "Image", "C:\\x\\A.exe", NULL));
}

/* contains finds a literal anywhere in a value: at its start and end, in
 * a run of its first character, in values of 256 and 257 bytes (either
 * side of the matcher's short search), and not one byte past the end. */
Test(values, contains_at_every_place)
{
	char v[300];
	for (size_t len = 255; len <= 258; len++) {
		memset(v, 'a', len);
		v[len] = '\0';
		v[len - 3] = 'x', v[len - 2] = 'y', v[len - 1] = 'z';
		cr_assert(holds(SEL("CommandLine|contains: 'xyz'"), "CommandLine", v, NULL), "end of %zu", len);
		cr_assert(holds(SEL("CommandLine|contains: 'aaxyz'"), "CommandLine", v, NULL), "run of a, %zu", len);
		cr_assert_not(holds(SEL("CommandLine|contains: 'xyzq'"), "CommandLine", v, NULL), "past the end, %zu", len);
		cr_assert_not(holds(SEL("CommandLine|contains: 'axz'"), "CommandLine", v, NULL), "first and last only, %zu", len);
		v[0] = 'q', v[1] = 'r';
		cr_assert(holds(SEL("CommandLine|contains: 'QR'"), "CommandLine", v, NULL), "start of %zu", len);
	}
	cr_assert(holds(SEL("CommandLine|contains: 'ab'"), "CommandLine", "ab", NULL));
	cr_assert_not(holds(SEL("CommandLine|contains: 'ab'"), "CommandLine", "a", NULL));
}

/* Sigma is caseless beyond ASCII: simple case folding of Latin-1, Latin
 * Extended-A, Greek and Cyrillic, on the rule and on the event alike. */
Test(values, caseless_beyond_ascii)
{
	/* ПРИВЕТ, привет, ПрИвЕт */
	cr_assert(holds(SEL("CommandLine|contains: '\u041f\u0420\u0418\u0412\u0415\u0422'"), "CommandLine",
			"echo \u043f\u0440\u0438\u0432\u0435\u0442 >x", NULL));
	cr_assert(holds(SEL("CommandLine|contains: '\u043f\u0440\u0438\u0432\u0435\u0442'"), "CommandLine",
			"echo \u041f\u0440\u0418\u0432\u0415\u0442", NULL));
	cr_assert_not(holds(SEL("CommandLine|contains: '\u043f\u0440\u0438\u0432\u0435\u0442'"), "CommandLine",
			    "echo \u043f\u0440\u0438\u0432\u0435", NULL));
	cr_assert(holds(SEL("Image|endswith: '\\\u00c9T\u00c9.exe'"), "Image", "C:\\\u00e9t\u00e9.EXE", NULL),
		  "\u00c9 is \u00e9");
	cr_assert(holds(SEL("Image: '*\u0141\u00f3d\u017a*'"), "Image", "C:\\\u0142\u00d3D\u0179\\a.exe", NULL),
		  "in a wildcard pattern too");
	/* simple folding takes \u03a3 and final \u03c2 to \u03c3 */
	cr_assert(holds(SEL("CommandLine: '\u03a3\u039f\u03a6\u039f\u03a3'"), "CommandLine", "\u03c3\u03bf\u03c6\u03bf\u03c2", NULL));
	cr_assert(holds(SEL("CommandLine: '\u03c3\u03bf\u03c6\u03bf\u03c2'"), "CommandLine", "\u03a3\u039f\u03a6\u039f\u03a3", NULL));
	cr_assert(holds(SEL("CommandLine: '\u03c2'"), "CommandLine", "\u03c3", NULL));
	/* non-letters are untouched: \u00d7 is not x, \u00df is not ss */
	cr_assert_not(holds(SEL("CommandLine|contains: '\u00d7'"), "CommandLine", "x", NULL));
	cr_assert_not(holds(SEL("CommandLine|contains: '\u00df'"), "CommandLine", "ss", NULL));
	cr_assert(holds(SEL("CommandLine|contains: '\u00d7'"), "CommandLine", "3\u00d74", NULL));
	/* cased stays cased */
	cr_assert_not(holds(SEL("CommandLine|cased|contains: '\u041f'"), "CommandLine", "\u043f", NULL));
	cr_assert(holds(SEL("CommandLine|cased|contains: '\u041f'"), "CommandLine", "\u041f", NULL));
}

Test(values, wildcards)
{
	cr_assert(holds(SEL("Image: '*\\a.exe'"), "Image", "C:\\x\\A.exe", NULL));
	cr_assert(holds(SEL("Image: 'C:\\\\*\\a.exe'"), "Image", "C:\\x\\y\\a.exe", NULL));
	cr_assert_not(holds(SEL("Image: 'C:\\*\\a.exe'"), "Image", "C:\\x\\a.exe", NULL), "\\* is a literal star");
	cr_assert(holds(SEL("Image: 'a?c'"), "Image", "abc", NULL));
	cr_assert(holds(SEL("Image: 'a?c'"), "Image", "a\xc3\xa9" "c", NULL), "? takes one character, not one byte");
	cr_assert_not(holds(SEL("Image: 'a?c'"), "Image", "ac", NULL));
	cr_assert(holds(SEL("Image: '*'"), "Image", "", NULL));
}

Test(values, escapes)
{
	/* \* and \? are literal; \\ is one backslash; any other backslash is itself */
	cr_assert(holds(SEL("CommandLine: 'a\\*b'"), "CommandLine", "a*b", NULL));
	cr_assert_not(holds(SEL("CommandLine: 'a\\*b'"), "CommandLine", "axxb", NULL));
	cr_assert(holds(SEL("CommandLine: 'a\\?b'"), "CommandLine", "a?b", NULL));
	cr_assert_not(holds(SEL("CommandLine: 'a\\?b'"), "CommandLine", "axb", NULL));
	cr_assert(holds(SEL("CommandLine: '\\\\\\\\127.0.0.1\\\\'"), "CommandLine", "\\\\127.0.0.1\\", NULL));
	cr_assert(holds(SEL("CommandLine: 'C:\\Windows\\'"), "CommandLine", "C:\\Windows\\", NULL));
	cr_assert(holds(SEL("CommandLine: 'a\\\\*'"), "CommandLine", "a\\anything", NULL), "\\\\* is a backslash, then a wildcard");
}

Test(values, wildcard_inside_contains_is_still_a_wildcard)
{
	cr_assert(holds(SEL("CommandLine|contains: 'a*c'"), "CommandLine", "xx abbbc yy", NULL));
	cr_assert_not(holds(SEL("CommandLine|contains: 'a*c'"), "CommandLine", "xx ab yy", NULL));
}

Test(values, numbers_and_booleans_compare_as_text)
{
	cr_assert(holds(SEL("ProcessId: 4242"), "ProcessId", "4242", NULL));
	cr_assert_not(holds(SEL("ProcessId: 4242"), "ProcessId", "42420", NULL));
	cr_assert(holds(SEL("Flag: true"), "Flag", "true", NULL));
}

Test(values, null_means_absent_or_empty)
{
	cr_assert(holds(SEL("OriginalFileName: null"), "Image", "x", NULL));
	cr_assert(holds(SEL("OriginalFileName: null"), "OriginalFileName", "", NULL));
	cr_assert_not(holds(SEL("OriginalFileName: null"), "OriginalFileName", "x", NULL));
	cr_assert(holds(SEL("OriginalFileName: ''"), "OriginalFileName", "", NULL));
}

Test(values, list_is_or_map_is_and_list_of_maps_is_or)
{
	const char *list = "  sel:\n    Image:\n      - a\n      - b\n  condition: sel\n";
	cr_assert(holds(list, "Image", "b", NULL));
	cr_assert_not(holds(list, "Image", "c", NULL));
	const char *map = "  sel:\n    Image: a\n    User: u\n  condition: sel\n";
	cr_assert(holds(map, "Image", "a", "User", "u", NULL));
	cr_assert_not(holds(map, "Image", "a", "User", "v", NULL));
	const char *maps = "  sel:\n    - Image: a\n    - User: u\n  condition: sel\n";
	cr_assert(holds(maps, "Image", "x", "User", "u", NULL));
	cr_assert_not(holds(maps, "Image", "x", "User", "x", NULL));
}

Test(values, absent_field_is_false_and_its_negation_true)
{
	const char *d = "  sel:\n    Image: a\n  filter:\n    ParentImage|endswith: '\\x.exe'\n"
			"  condition: sel and not filter\n";
	cr_assert(holds(d, "Image", "a", NULL));
	cr_assert_not(holds(d, "Image", "a", "ParentImage", "C:\\x.exe", NULL));
}

Test(values, keywords_search_every_field)
{
	const char *d = "  keywords:\n    - 'mimikatz'\n    - 'sekurlsa'\n  condition: keywords\n";
	cr_assert(holds(d, "CommandLine", "run MimiKatz.exe", NULL));
	cr_assert_not(holds(d, "CommandLine", "notepad", NULL));
}

Test(modifiers, contains_startswith_endswith)
{
	cr_assert(holds(SEL("CommandLine|contains: ' /S '"), "CommandLine", "x /s y", NULL));
	cr_assert(holds(SEL("CommandLine|startswith: 'REG'"), "CommandLine", "regsvr32", NULL));
	cr_assert_not(holds(SEL("CommandLine|startswith: 'svr'"), "CommandLine", "regsvr32", NULL));
	cr_assert(holds(SEL("CommandLine|endswith: '.DLL'"), "CommandLine", "a.dll", NULL));
	cr_assert_not(holds(SEL("CommandLine|endswith: '.dll'"), "CommandLine", "a.dll ", NULL));
}

Test(modifiers, all)
{
	const char *d = "  sel:\n    CommandLine|contains|all:\n      - ' -a '\n      - ' -b '\n  condition: sel\n";
	cr_assert(holds(d, "CommandLine", "x -b -a y", NULL));
	cr_assert_not(holds(d, "CommandLine", "x -a y", NULL));
}

Test(modifiers, cased)
{
	cr_assert(holds(SEL("CommandLine|cased: 'AbC'"), "CommandLine", "AbC", NULL));
	cr_assert_not(holds(SEL("CommandLine|cased: 'AbC'"), "CommandLine", "abc", NULL));
	cr_assert_not(holds(SEL("CommandLine|contains|cased: 'B'"), "CommandLine", "abc", NULL));
}

Test(modifiers, exists_on_absent_and_empty_fields)
{
	cr_assert(holds(SEL("OriginalFileName|exists: true"), "OriginalFileName", "", NULL), "empty still exists");
	cr_assert_not(holds(SEL("OriginalFileName|exists: true"), "Image", "x", NULL));
	cr_assert(holds(SEL("OriginalFileName|exists: false"), "Image", "x", NULL));
	cr_assert_not(holds(SEL("OriginalFileName|exists: false"), "OriginalFileName", "", NULL));
}

Test(modifiers, windash_variants)
{
	const char *d = SEL("CommandLine|windash|contains: ' -enc '");
	cr_assert(holds(d, "CommandLine", "powershell -enc AAA", NULL));
	cr_assert(holds(d, "CommandLine", "powershell /enc AAA", NULL));
	cr_assert(holds(d, "CommandLine", "powershell \xe2\x80\x93" "enc AAA", NULL), "en dash");
	cr_assert(holds(d, "CommandLine", "powershell \xe2\x80\x94" "enc AAA", NULL), "em dash");
	cr_assert(holds(d, "CommandLine", "powershell \xe2\x80\x95" "enc AAA", NULL), "horizontal bar");
	cr_assert_not(holds(d, "CommandLine", "powershell +enc AAA", NULL));
}

Test(conditions, not_binds_tighter_than_and_tighter_than_or)
{
	const char *d = "  a:\n    A: '1'\n  b:\n    B: '1'\n  c:\n    C: '1'\n  condition: a or b and not c\n";
	/* a or (b and (not c)) */
	cr_assert(holds(d, "A", "1", "C", "1", NULL));
	cr_assert(holds(d, "B", "1", NULL));
	cr_assert_not(holds(d, "B", "1", "C", "1", NULL));
	const char *p = "  a:\n    A: '1'\n  b:\n    B: '1'\n  c:\n    C: '1'\n  condition: (a or b) and not c\n";
	cr_assert_not(holds(p, "A", "1", "C", "1", NULL));
	cr_assert(holds(p, "A", "1", NULL));
}

Test(conditions, one_of_all_of_and_them)
{
	const char *sels = "  sel_a:\n    A: '1'\n  sel_b:\n    B: '1'\n  other:\n    C: '1'\n";
	char d[512];
	snprintf(d, sizeof d, "%s  condition: 1 of sel_*\n", sels);
	cr_assert(holds(d, "B", "1", NULL));
	cr_assert_not(holds(d, "C", "1", NULL));
	snprintf(d, sizeof d, "%s  condition: all of sel_*\n", sels);
	cr_assert(holds(d, "A", "1", "B", "1", NULL));
	cr_assert_not(holds(d, "A", "1", NULL));
	snprintf(d, sizeof d, "%s  condition: 1 of them\n", sels);
	cr_assert(holds(d, "C", "1", NULL));
	snprintf(d, sizeof d, "%s  condition: all of them\n", sels);
	cr_assert_not(holds(d, "A", "1", "B", "1", NULL));
	cr_assert(holds(d, "A", "1", "B", "1", "C", "1", NULL));
	snprintf(d, sizeof d, "%s  condition: not 1 of sel_* and other\n", sels);
	cr_assert(holds(d, "C", "1", NULL));
	cr_assert_not(holds(d, "C", "1", "A", "1", NULL));
}

Test(conditions, selection_patterns_with_several_stars)
{
	const char *sels = "  sel_a_x:\n    A: '1'\n  sel_b_y:\n    B: '1'\n";
	char d[512];
	snprintf(d, sizeof d, "%s  condition: 1 of s*_*_x\n", sels);
	cr_assert(holds(d, "A", "1", NULL));
	cr_assert_not(holds(d, "B", "1", NULL));
	snprintf(d, sizeof d, "%s  condition: all of *e*_*\n", sels);
	cr_assert(holds(d, "A", "1", "B", "1", NULL));
	cr_assert_not(holds(d, "A", "1", NULL));
	snprintf(d, sizeof d, "%s  condition: 1 of sel_a_x*\n", sels);
	cr_assert(holds(d, "A", "1", NULL), "a trailing star matches nothing too");
}

/* The recursive matcher took exponential time in the stars (fuzz_rule). */
Test(conditions, many_stars_take_linear_time, .timeout = 10)
{
	char d[1024];
	snprintf(d, sizeof d, "  sel_%s:\n    A: '1'\n  condition: all of sel_%s\n",
		 "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj",
		 "**j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*j*x");
	struct eh_ruleset *rs;
	char yaml[2048];
	snprintf(yaml, sizeof yaml, HEAD "%s", d);
	const struct eh_rule_error *e = rejection(&rs, yaml);
	cr_assert(strstr(e->reason, "no selection matches") != NULL, "%s",
		  e->reason);
	eh_ruleset_free(rs);
}

Test(conditions, list_of_conditions_is_or)
{
	const char *d = "  a:\n    A: '1'\n  b:\n    B: '1'\n  condition:\n    - a\n    - b\n";
	cr_assert(holds(d, "B", "1", NULL));
}

Test(errors, unknown_modifier_points_at_its_key)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e = rejection(&rs, HEAD "  sel:\n    Image|contanis: x\n  condition: sel\n");
	cr_assert_eq(e->line, 8);
	cr_assert_eq(e->column, 5);
	cr_assert_str_eq(e->reason, "unknown modifier 'contanis'");
	cr_assert_str_eq(e->file, "bad.yml");
	eh_ruleset_free(rs);
}

Test(errors, unsupported_modifier_is_named)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e = rejection(&rs, HEAD "  sel:\n    Image|expand: '%var%'\n  condition: sel\n");
	cr_assert(strstr(e->reason, "'expand' needs placeholder values") != NULL, "%s", e->reason);
	eh_ruleset_free(rs);
}

Test(errors, conflicting_modifiers)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e =
		rejection(&rs, HEAD "  sel:\n    Image|contains|endswith: x\n  condition: sel\n");
	cr_assert_str_eq(e->reason, "modifier 'endswith' cannot be combined with 'contains'");
	eh_ruleset_free(rs);
}

Test(errors, unknown_selection_in_condition)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e = rejection(&rs, HEAD "  sel:\n    Image: x\n  condition: sel and filter\n");
	cr_assert_str_eq(e->reason, "condition: unknown selection 'filter'");
	cr_assert_eq(e->line, 9);
	cr_assert_eq(e->column, 22, "column of 'filter' in the condition");
	eh_ruleset_free(rs);
}

/* fuzz_rule found this one crashing the error message's formatting */
Test(errors, unexpected_character_in_condition)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e = rejection(&rs, HEAD "  sel:\n    Image: x\n  condition: sel and /i\n");
	cr_assert_str_eq(e->reason, "condition: unexpected '/'");
	cr_assert_eq(e->column, 22);
	eh_ruleset_free(rs);
}

Test(errors, aggregation_is_reported_as_unsupported)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e =
		rejection(&rs, HEAD "  sel:\n    Image: x\n  condition: sel | count() by User > 3\n");
	cr_assert(strstr(e->reason, "aggregation") != NULL, "%s", e->reason);
	eh_ruleset_free(rs);
}

/* correlation.c reads them; one without a timespan is refused at its section */
Test(errors, an_incomplete_correlation_is_reported)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e =
		rejection(&rs, "title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n");
	cr_assert(strstr(e->reason, "no timespan") != NULL, "%s", e->reason);
	cr_assert_eq(e->line, 3);
	cr_assert_eq(e->column, 3);
	eh_ruleset_free(rs);
}

Test(errors, yaml_syntax_error_has_a_position)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e = rejection(&rs, HEAD "  sel:\n    Image: [x\n  condition: sel\n");
	cr_assert_gt(e->line, 0);
	cr_assert(strncmp(e->reason, "YAML syntax", 11) == 0, "%s", e->reason);
	eh_ruleset_free(rs);
}

Test(loading, non_rule_yaml_is_counted_not_loaded)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	const char *y = "foo: bar\n";
	eh_ruleset_load_text(rs, "x.yml", y, strlen(y));
	cr_assert_eq(eh_ruleset_count(rs), 0);
	cr_assert_eq(eh_ruleset_error_count(rs), 0);
	cr_assert_eq(eh_ruleset_not_rules(rs), 1);
	eh_ruleset_free(rs);
}

Test(loading, unmapped_log_source_is_loaded_and_counted)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	const char *y = "title: t\nlogsource:\n  category: dns\ndetection:\n  s:\n    q: x\n  condition: s\n";
	eh_ruleset_load_text(rs, "x.yml", y, strlen(y));
	cr_assert_eq(eh_ruleset_count(rs), 1);
	cr_assert_eq(eh_ruleset_unmapped(rs), 1);
	eh_ruleset_free(rs);
}

Test(loading, metadata_is_kept)
{
	struct eh_ruleset *rs = rules_from(HEAD "  sel:\n    Image: x\n  condition: sel\n"
					   "level: high\nstatus: test\ntags:\n  - attack.t1218.011\n");
	const struct eh_rule *r = eh_ruleset_rule(rs, 0);
	cr_assert_str_eq(r->title, "t");
	cr_assert_str_eq(r->level, "high");
	cr_assert_str_eq(r->status, "test");
	cr_assert_eq(r->ntags, 1);
	cr_assert_str_eq(r->tags[0], "attack.t1218.011");
	eh_ruleset_free(rs);
}

Test(matching, glob_does_not_blow_up)
{
	/* many stars against a long subject: backtracking stays linear-ish */
	char subject[20001];
	memset(subject, 'a', 20000);
	subject[20000] = '\0';
	cr_assert_not(holds(SEL("CommandLine: '*a*a*a*a*a*a*a*a*b'"), "CommandLine", subject, NULL));
}

Test(modifiers, re_searches_anywhere_and_is_cased_by_default)
{
	cr_assert(holds(SEL("CommandLine|re: 'reg(svr)?32 +/s'"), "CommandLine", "x regsvr32  /s y", NULL));
	cr_assert_not(holds(SEL("CommandLine|re: 'REGSVR32'"), "CommandLine", "regsvr32", NULL));
	cr_assert(holds(SEL("CommandLine|re|i: 'REGSVR32'"), "CommandLine", "regsvr32", NULL));
	cr_assert(holds(SEL("CommandLine|re: '^a.*z$'"), "CommandLine", "abcz", NULL));
}

Test(modifiers, re_sub_modifiers_m_and_s)
{
	cr_assert_not(holds(SEL("CommandLine|re: '^two'"), "CommandLine", "one\ntwo", NULL));
	cr_assert(holds(SEL("CommandLine|re|m: '^two'"), "CommandLine", "one\ntwo", NULL));
	cr_assert_not(holds(SEL("CommandLine|re: 'one.two'"), "CommandLine", "one\ntwo", NULL));
	cr_assert(holds(SEL("CommandLine|re|s: 'one.two'"), "CommandLine", "one\ntwo", NULL));
	cr_assert(holds(SEL("CommandLine|re|i|m: '^TWO'"), "CommandLine", "one\ntwo", NULL), "sub-modifiers chain");
}

Test(modifiers, base64)
{
	/* base64("http://evil") = aHR0cDovL2V2aWw= ; as a prefix the padding is dropped */
	cr_assert(holds(SEL("CommandLine|base64|contains: 'http://evil'"), "CommandLine",
			"powershell -e aHR0cDovL2V2aWwgdGFpbA==", NULL));
	cr_assert(holds(SEL("CommandLine|base64: 'http://evil'"), "CommandLine", "aHR0cDovL2V2aWw=", NULL));
	cr_assert_not(holds(SEL("CommandLine|base64|contains: 'http://evil'"), "CommandLine", "AHR0CDOVL2V2AWW", NULL),
		      "base64 text is case-sensitive");
}

Test(modifiers, base64offset_all_three_offsets)
{
	const char *d = SEL("CommandLine|base64offset|contains: 'http://evil'");
	cr_assert(holds(d, "CommandLine", "-e aHR0cDovL2V2aWwgdGFpbA==", NULL), "offset 0");
	cr_assert(holds(d, "CommandLine", "-e YWh0dHA6Ly9ldmlsIHRhaWw=", NULL), "offset 1");
	cr_assert(holds(d, "CommandLine", "-e YWJodHRwOi8vZXZpbCB0YWls", NULL), "offset 2");
	cr_assert_not(holds(d, "CommandLine", "-e aHR0cHM6Ly9ldmls", NULL));
}

Test(modifiers, utf16le_base64offset_as_powershell_encodes)
{
	const char *d = SEL("CommandLine|utf16le|base64offset|contains: 'Invoke-Mimikatz'");
	cr_assert(holds(d, "CommandLine", "-enc SQBuAHYAbwBrAGUALQBNAGkAbQBpAGsAYQB0AHoAeA==", NULL), "offset 0");
	cr_assert(holds(d, "CommandLine", "-enc YUkAbgB2AG8AawBlAC0ATQBpAG0AaQBrAGEAdAB6AHg=", NULL), "offset 1");
	cr_assert(holds(d, "CommandLine", "-enc YWJJAG4AdgBvAGsAZQAtAE0AaQBtAGkAawBhAHQAegB4", NULL), "offset 2");
	const char *w = SEL("CommandLine|wide|base64offset|contains: 'Invoke-Mimikatz'");
	cr_assert(holds(w, "CommandLine", "-enc SQBuAHYAbwBrAGUALQBNAGkAbQBpAGsAYQB0AHoAeA==", NULL), "wide = utf16le");
}

Test(modifiers, cidr_v4_and_v6)
{
	const char *v4 = SEL("DestinationIp|cidr: '10.0.0.0/8'");
	cr_assert(holds(v4, "DestinationIp", "10.200.3.4", NULL));
	cr_assert_not(holds(v4, "DestinationIp", "11.0.0.1", NULL));
	cr_assert_not(holds(v4, "DestinationIp", "not an address", NULL));
	const char *odd = SEL("DestinationIp|cidr: '192.168.0.0/23'");
	cr_assert(holds(odd, "DestinationIp", "192.168.1.255", NULL));
	cr_assert_not(holds(odd, "DestinationIp", "192.168.2.0", NULL));
	const char *v6 = SEL("DestinationIp|cidr: 'fe80::/10'");
	cr_assert(holds(v6, "DestinationIp", "fe80::1", NULL));
	cr_assert(holds(v6, "DestinationIp", "febf::1", NULL));
	cr_assert_not(holds(v6, "DestinationIp", "fec0::1", NULL));
	cr_assert_not(holds(v6, "DestinationIp", "10.0.0.1", NULL), "an IPv4 address is not in an IPv6 network");
}

Test(modifiers, fieldref)
{
	const char *eq = SEL("ParentImage|fieldref: Image");
	cr_assert(holds(eq, "Image", "C:\\a.exe", "ParentImage", "c:\\A.EXE", NULL), "caseless equality");
	cr_assert_not(holds(eq, "Image", "C:\\a.exe", "ParentImage", "C:\\b.exe", NULL));
	cr_assert_not(holds(eq, "ParentImage", "C:\\b.exe", NULL), "the referenced field is absent");
	const char *c = SEL("CommandLine|fieldref|contains: Image");
	cr_assert(holds(c, "Image", "a.exe", "CommandLine", "run A.EXE now", NULL));
	cr_assert_not(holds(SEL("ParentImage|fieldref|cased: Image"), "Image", "a", "ParentImage", "A", NULL));
}

Test(modifiers, numeric_comparisons)
{
	cr_assert(holds(SEL("TerminalSessionId|gt: 1"), "TerminalSessionId", "2", NULL));
	cr_assert_not(holds(SEL("TerminalSessionId|gt: 2"), "TerminalSessionId", "2", NULL));
	cr_assert(holds(SEL("TerminalSessionId|gte: 2"), "TerminalSessionId", "2", NULL));
	cr_assert(holds(SEL("TerminalSessionId|lt: 2.5"), "TerminalSessionId", "2", NULL));
	cr_assert(holds(SEL("TerminalSessionId|lte: 2"), "TerminalSessionId", "2", NULL));
	cr_assert_not(holds(SEL("TerminalSessionId|lt: 5"), "TerminalSessionId", "x", NULL), "not a number");
}

Test(errors, misplaced_modifiers)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e = rejection(&rs, HEAD "  sel:\n    Image|i: x\n  condition: sel\n");
	cr_assert_str_eq(e->reason, "modifiers 'i', 'm' and 's' belong to 're'");
	eh_ruleset_free(rs);
	e = rejection(&rs, HEAD "  sel:\n    Image|utf16le|contains: x\n  condition: sel\n");
	cr_assert(strstr(e->reason, "need 'base64'") != NULL, "%s", e->reason);
	eh_ruleset_free(rs);
	e = rejection(&rs, HEAD "  sel:\n    Image|re|contains: x\n  condition: sel\n");
	cr_assert_str_eq(e->reason, "modifier 'contains' cannot be combined with 're'");
	eh_ruleset_free(rs);
	e = rejection(&rs, HEAD "  sel:\n    Ip|cidr: 10.0.0.0/33\n  condition: sel\n");
	cr_assert(strstr(e->reason, "not an IPv4 or IPv6 network") != NULL, "%s", e->reason);
	eh_ruleset_free(rs);
	e = rejection(&rs, HEAD "  sel:\n    Image|re: 'a(b'\n  condition: sel\n");
	cr_assert(strncmp(e->reason, "regular expression:", 19) == 0, "%s", e->reason);
	cr_assert_eq(e->line, 8);
	eh_ruleset_free(rs);
}

Test(modifiers, order_does_not_matter)
{
	cr_assert(holds(SEL("CommandLine|contains|windash: ' -enc '"), "CommandLine", "x /enc y", NULL));
	cr_assert(holds(SEL("CommandLine|windash|contains: ' -enc '"), "CommandLine", "x /enc y", NULL));
	cr_assert(holds(SEL("CommandLine|contains|base64offset: 'http://evil'"), "CommandLine", "YWh0dHA6Ly9ldmlsIHRhaWw=", NULL));
}

Test(loading, filter_by_level_and_status)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	const char *rules[] = {
		HEAD "  s:\n    Image: a\n  condition: s\nlevel: low\nstatus: stable\n",
		HEAD "  s:\n    Image: a\n  condition: s\nlevel: high\nstatus: test\n",
		HEAD "  s:\n    Image: a\n  condition: s\nlevel: critical\nstatus: experimental\n",
		HEAD "  s:\n    Image: a\n  condition: s\n",
	};
	for (int i = 0; i < 4; i++)
		eh_ruleset_load_text(rs, "x.yml", rules[i], strlen(rules[i]));
	cr_assert_eq(eh_ruleset_count(rs), 4);
	cr_assert_eq(eh_ruleset_filter(rs, eh_level_rank("high"), NULL), 2, "low and the level-less rule go");
	cr_assert_eq(eh_ruleset_count(rs), 2);
	cr_assert_eq(eh_ruleset_filter(rs, -1, "stable,test"), 1);
	cr_assert_str_eq(eh_ruleset_rule(rs, 0)->level, "high");
	cr_assert(eh_ruleset_wants(rs, SYSMON, 1));
	eh_ruleset_filter(rs, -1, "deprecated");
	cr_assert_not(eh_ruleset_wants(rs, SYSMON, 1), "no rule left wants anything");
	eh_ruleset_free(rs);
}

/* Each worker's matcher counts its own regex tests stopped at the match
 * limit; taking the count resets it. */
Test(matching, regex_limit_hits_belong_to_their_matcher, .timeout = 30)
{
	struct eh_ruleset *rs = rules_from(HEAD SEL("CommandLine|re: '^(\\w+\\s?)*$'"));
	char value[64];
	memset(value, 'a', sizeof value - 2);
	value[sizeof value - 2] = '!';
	value[sizeof value - 1] = '\0';
	struct eh_event ev;
	make_event(&ev, SYSMON, 1, "CommandLine", value, NULL);
	struct eh_matcher *m = eh_matcher_new(rs), *other = eh_matcher_new(rs);
	cr_assert_eq(eh_matcher_match(m, &ev, NULL, NULL, NULL), 0, "stopped: no match");
	cr_assert_eq(eh_matcher_take_regex_limit_hits(m), 1);
	cr_assert_eq(eh_matcher_take_regex_limit_hits(m), 0, "taken");
	cr_assert_eq(eh_matcher_take_regex_limit_hits(other), 0, "another worker's matcher");
	eh_matcher_free(m);
	eh_matcher_free(other);
	eh_event_release(&ev);
	eh_ruleset_free(rs);
}

/* ---- fields of any event (issue 13) ------------------------------------ */

/* holds() with the System fields set (see holds_event). */
static bool holds_sys(const char *detection, ...)
{
	va_list ap;
	va_start(ap, detection);
	bool hit = holds_event(true, detection, ap);
	va_end(ap);
	return hit;
}

Test(fields, system_fields_under_sigma_names)
{
	cr_assert(holds_sys(SEL("EventID: 1"), NULL));
	cr_assert_not(holds_sys(SEL("EventID: 4688"), NULL));
	cr_assert(holds_sys(SEL("Provider_Name: 'microsoft-windows-sysmon'"), NULL), "caseless as any value");
	cr_assert(holds_sys(SEL("Computer|startswith: ws"), NULL));
	cr_assert(holds_sys(SEL("Level: 4"), NULL));
	cr_assert(holds_sys(SEL("Channel: 'Microsoft-Windows-Sysmon/Operational'"), NULL));
	cr_assert_not(holds_sys(SEL("Security_UserID: x"), NULL), "an unset System field is absent");
	cr_assert(holds_sys(SEL("Security_UserID: null"), NULL));
	cr_assert(holds_sys("  sel:\n    EventID:\n      - 4688\n      - 1\n  condition: sel\n", NULL));
}

Test(fields, repeated_name_holds_when_one_value_holds)
{
	const char *c = SEL("Data|contains: evil");
	cr_assert(holds_sys(c, "Data", "good", "Data", "an evil one", NULL), "the second value");
	cr_assert(holds_sys(c, "Data", "evil", "Data", "good", NULL), "the first value");
	cr_assert_not(holds_sys(c, "Data", "good", "Data", "fine", NULL));
	/* not sel: the negation of "some value contains evil" */
	const char *n = "  sel:\n    EventID: 1\n  filter:\n    Data|contains: evil\n  condition: sel and not filter\n";
	cr_assert_not(holds_sys(n, "Data", "good", "Data", "evil", NULL));
	cr_assert(holds_sys(n, "Data", "good", "Data", "fine", NULL));
	/* all: each value holds for some value of the field */
	const char *all = SEL("Data|contains|all: [a1, b2]");
	cr_assert(holds_sys(all, "Data", "xa1", "Data", "b2y", NULL));
	cr_assert_not(holds_sys(all, "Data", "xa1", "Data", "c3", NULL));
	cr_assert(holds_sys(SEL("Data: null"), "Data", "x", "Data", "", NULL), "one empty value");
	cr_assert(holds_sys(SEL("Data|re: '^b$'"), "Data", "a", "Data", "b", NULL));
	/* a field compared with a repeated field: any pair */
	cr_assert(holds_sys(SEL("Image|fieldref: Data"), "Image", "y", "Data", "x", "Data", "Y", NULL));
}

Test(fields, keywords_search_every_value_system_ones_too)
{
	const char *d = "  keywords:\n    - 'evil'\n  condition: keywords\n";
	cr_assert(holds_sys(d, "Data", "good", "Data", "so evil", NULL), "a later value of a repeated name");
	const char *c = "  keywords:\n    - 'ws1'\n  condition: keywords\n";
	cr_assert(holds_sys(c, "Image", "x", NULL), "the Computer");
	cr_assert_not(holds_sys("  keywords:\n    - 'ws2'\n  condition: keywords\n", "Image", "x", NULL));
}

Test(fields, a_payload_field_named_like_a_system_field_is_the_payloads)
{
	cr_assert(holds_sys(SEL("Computer: OTHER"), "Computer", "OTHER", NULL));
	cr_assert_not(holds_sys(SEL("Computer: WS1"), "Computer", "OTHER", NULL), "the System Computer is not a value");
	cr_assert(holds_sys(SEL("Computer: WS1"), "Image", "x", NULL), "without a payload Computer, the System one");
	/* System 104 (SigmaHQ's win_system_eventlog_cleared): UserData's
	 * Channel is the log cleared; the System Channel would match every 104 */
	const char *f = "  sel:\n    EventID: 1\n  filter:\n    Channel: System\n  condition: sel and not filter\n";
	cr_assert(holds_sys(f, "Channel", "Microsoft-Windows-TaskScheduler/Operational", NULL));
	cr_assert_not(holds_sys(f, "Channel", "System", NULL));
	cr_assert_not(holds_sys(SEL("Channel: 'Microsoft-Windows-Sysmon/Operational'"), "Channel", "System", NULL), "a rule on Channel reads the payload's");
}

/* ---- event-id guards (sigma_eventid.c) ------------------------------------ */

/* The guard of DETECTION's rule: "any" when none is known, else its ids
 * as "1,4624". */
static void guard_of(const char *detection, char *out, size_t size)
{
	char yaml[4096];
	snprintf(yaml, sizeof yaml, HEAD "%s", detection);
	struct eh_ruleset *rs = rules_from(yaml);
	const struct sigma_rule_body *b = eh_ruleset_rule(rs, 0)->body;
	if (!b->event_ids_known) {
		snprintf(out, size, "any");
	} else {
		size_t used = 0;
		out[0] = '\0';
		for (size_t i = 0; i < b->nevent_ids && used < size; i++)
			used += (size_t)snprintf(out + used, size - used, "%s%u", i ? "," : "", b->event_ids[i]);
	}
	eh_ruleset_free(rs);
}

#define GUARD_IS(detection, want)                                             \
	do {                                                                  \
		char got[256];                                                \
		guard_of(detection, got, sizeof got);                         \
		cr_assert_str_eq(got, want, "%s", detection);                 \
	} while (0)

Test(guards, read_off_the_condition)
{
	GUARD_IS(SEL("EventID: 4624"), "4624");
	GUARD_IS("  sel:\n    EventID:\n      - 4625\n      - 4624\n      - 4625\n  condition: sel\n", "4624,4625");
	GUARD_IS("  sel:\n    EventID: 4624\n    LogonType: 3\n  filter:\n    EventID: 1\n  condition: sel and not filter\n",
		 "4624");
	GUARD_IS("  a:\n    EventID: 1\n  b:\n    EventID: 2\n  condition: 1 of a or b\n", "1,2");
	GUARD_IS("  sel_a:\n    EventID: 1\n  sel_b:\n    EventID: 2\n  condition: 1 of sel_*\n", "1,2");
	GUARD_IS("  a:\n    EventID: 1\n  b:\n    EventID: [2, 3]\n  condition: a and b\n", "1");
	GUARD_IS("  sel:\n    - EventID: 1\n    - EventID: 7\n  condition: sel\n", "1,7");
	/* nothing known */
	GUARD_IS("  sel:\n    - EventID: 1\n    - Image: x\n  condition: sel\n", "any");
	GUARD_IS("  a:\n    EventID: 1\n  b:\n    Image: x\n  condition: a or b\n", "any");
	GUARD_IS("  sel:\n    EventID: 1\n  condition: not sel\n", "any");
	GUARD_IS(SEL("EventID|startswith: 46"), "any");
	GUARD_IS(SEL("EventID: '04624'"), "any");
	GUARD_IS(SEL("EventID: 4294967296"), "any");
	GUARD_IS(SEL("EventID|gt: 4000"), "any");
	GUARD_IS(SEL("EventID: null"), "any");
	GUARD_IS(SEL("eventid: 4624"), "any");
}

Test(guards, skip_only_what_could_not_hold)
{
	/* the System EventID (1 here) */
	cr_assert(holds_sys(SEL("EventID: 1"), NULL));
	cr_assert_not(holds_sys(SEL("EventID: [4624, 4625]"), NULL));
	/* a payload field named EventID is what the condition reads */
	cr_assert(holds_sys(SEL("EventID: 7"), "EventID", "7", NULL));
	cr_assert_not(holds_sys(SEL("EventID: 1"), "EventID", "7", NULL));
	/* two values: each side of an AND met by another one */
	const char *both = "  a:\n    EventID: 4624\n  b:\n    EventID: 4625\n  condition: a and b\n";
	cr_assert(holds_sys(both, "EventID", "4624", "EventID", "4625", NULL));
	cr_assert_not(holds_sys(both, "EventID", "4624", "EventID", "7", NULL));
	/* values that are not plain numbers leave the condition to decide */
	cr_assert(holds_sys(SEL("EventID|startswith: '0x'"), "EventID", "0x10", NULL));
	cr_assert(holds_sys("  a:\n    EventID: 3\n  b:\n    EventID|endswith: x\n  condition: a or b\n", "EventID", "0x", NULL));
	cr_assert_not(holds_sys(SEL("EventID: 3"), "EventID", "03", NULL));
	/* more values than the view keeps numbers of */
	cr_assert(holds_sys(SEL("EventID: 9"), "EventID", "1", "EventID", "2", "EventID", "3", "EventID", "4",
			    "EventID", "5", "EventID", "9", NULL));
	/* without any EventID: a guarded rule cannot hold */
	cr_assert_not(holds(SEL("EventID: 1"), "Image", "x", NULL));
	cr_assert(holds("  sel:\n    EventID: 1\n  condition: not sel\n", "Image", "x", NULL));
}

/* What routing reads of an event for the guards. */
Test(guards, the_id_routing_reads)
{
	struct eh_ruleset *rs = rules_from(HEAD SEL("EventID: 1"));
	struct eh_ruleset *none = rules_from(HEAD SEL("Image: x"));
	struct eh_event ev;
	make_event(&ev, "Microsoft-Windows-Security-Auditing", 0, "LogonType", "3", NULL);
	cr_assert_eq(eh_ruleset_guard_id(rs, &ev), EH_GUARD_NONE, "no EventID at all");
	/* the number without its text (a record libevtx read whose EventID
	 * text the field mapper did not take): renaming writes the text, so a
	 * rule reached through a renaming row may see it */
	ev.event_id = 4688;
	cr_assert_eq(eh_ruleset_guard_id(rs, &ev), EH_GUARD_ANY);
	struct eh_event renamed;
	eh_event_init(&renamed);
	for (size_t row = 0; row < eh_logsource_rows; row++)
		if (eh_logsource_table[row].fields && eh_logsource_table[row].event_id == 4688) {
			const struct eh_event *n = eh_logsource_normalize((int)row, &ev, &renamed);
			cr_assert_str_eq(eh_event_get_system(n, "EventID", NULL), "4688", "what made the guard ANY");
		}
	eh_event_release(&renamed);
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_EVENT_ID, "4624", 4);
	eh_event_finish(&ev);
	cr_assert_eq(eh_ruleset_guard_id(rs, &ev), 4624);
	cr_assert_eq(eh_ruleset_guard_id(none, &ev), EH_GUARD_ANY, "no rule has a guard");
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_EVENT_ID, "4624", 4);
	eh_event_add_field(&ev, "EventID", 7, "7", 1);
	eh_event_finish(&ev);
	cr_assert_eq(eh_ruleset_guard_id(rs, &ev), 7, "the payload's, as the condition reads it");
	eh_event_reset(&ev);
	eh_event_add_field(&ev, "EventID", 7, "7", 1);
	eh_event_add_field(&ev, "EventID", 7, "8", 1);
	eh_event_finish(&ev);
	cr_assert_eq(eh_ruleset_guard_id(rs, &ev), EH_GUARD_ANY, "two values");
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_EVENT_ID, "+4624", 5);
	eh_event_finish(&ev);
	cr_assert_eq(eh_ruleset_guard_id(rs, &ev), EH_GUARD_ANY, "not as Windows writes it");
	eh_event_release(&ev);
	eh_ruleset_free(rs);
	eh_ruleset_free(none);
}

Test(guards, routing_leaves_out_what_the_guards_rule_out)
{
	const char *yaml = "title: a\nlogsource:\n  product: windows\n  service: security\n"
			   "detection:\n  sel:\n    EventID: 4624\n  condition: sel\n"
			   "---\ntitle: b\nlogsource:\n  product: windows\n  service: security\n"
			   "detection:\n  sel:\n    EventID: [4625, 4624]\n  condition: sel\n"
			   "---\ntitle: c\nlogsource:\n  product: windows\n  service: security\n"
			   "detection:\n  sel:\n    LogonType: 3\n  condition: sel\n";
	struct eh_ruleset *rs = eh_ruleset_new();
	cr_assert_eq(eh_ruleset_load_text(rs, "t.yml", yaml, strlen(yaml)), 3);
	struct eh_event ev;
	make_event(&ev, "Microsoft-Windows-Security-Auditing", 4624, NULL);
	uint64_t rows[8] = { 0 }, out[8];
	cr_assert(eh_logsource_rows_of(&ev, rows));
	cr_assert_eq(eh_ruleset_route(rs, rows, 4624, NULL, NULL, out), 3);
	cr_assert_eq(out[0], 7);
	cr_assert_eq(eh_ruleset_route(rs, rows, 4625, NULL, NULL, out), 2);
	cr_assert_eq(out[0], 6);
	cr_assert_eq(eh_ruleset_route(rs, rows, 1, NULL, NULL, out), 1);
	cr_assert_eq(out[0], 4);
	cr_assert_eq(eh_ruleset_route(rs, rows, EH_GUARD_NONE, NULL, NULL, out), 1);
	cr_assert_eq(eh_ruleset_route(rs, rows, EH_GUARD_ANY, NULL, NULL, out), 3);
	/* a rule left out by its guard is still taken by its first row */
	uint64_t taken[8] = { 0 };
	cr_assert_eq(eh_ruleset_route(rs, rows, 1, NULL, taken, out), 1);
	cr_assert_eq(taken[0], 7);
	eh_event_release(&ev);
	eh_ruleset_free(rs);
}

/* ---- loading many texts on threads ---------------------------------------- */

/* 200 texts: rules, YAML errors, rejected rules and non-rules, mixed. */
static struct eh_ruleset *load_mixed(int threads)
{
	enum { N = 200 };
	static char names[N][32], texts[N][256];
	const char *name_ptrs[N], *text_ptrs[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "t%03d.yml", i);
		if (i % 7 == 3)
			snprintf(texts[i], sizeof texts[i], "title: [broken %d\n", i);
		else if (i % 11 == 5)
			snprintf(texts[i], sizeof texts[i], "title: r%d\nlogsource: {product: windows}\ndetection: {sel: {a: 1}}\n", i);
		else if (i % 13 == 6)
			snprintf(texts[i], sizeof texts[i], "just: a map %d\n", i);
		else
			snprintf(texts[i], sizeof texts[i],
				 "title: r%d\nlogsource: {product: windows}\ndetection: {sel: {EventID: %d}, condition: sel}\n", i, i);
		name_ptrs[i] = names[i];
		text_ptrs[i] = texts[i];
	}
	struct eh_ruleset *rs = eh_ruleset_new();
	eh_ruleset_set_threads(rs, threads);
	eh_ruleset_load_texts(rs, name_ptrs, text_ptrs, N);
	return rs;
}

Test(loading, threads_change_nothing)
{
	struct eh_ruleset *one = load_mixed(1), *many = load_mixed(4);
	cr_assert_gt(eh_ruleset_count(one), 100);
	cr_assert_eq(eh_ruleset_count(many), eh_ruleset_count(one));
	for (size_t i = 0; i < eh_ruleset_count(one); i++) {
		cr_assert_str_eq(eh_ruleset_rule(many, i)->title, eh_ruleset_rule(one, i)->title);
		cr_assert_eq(eh_ruleset_rule(many, i)->content_hash, eh_ruleset_rule(one, i)->content_hash);
	}
	cr_assert_gt(eh_ruleset_error_count(one), 30);
	cr_assert_eq(eh_ruleset_error_count(many), eh_ruleset_error_count(one));
	for (size_t i = 0; i < eh_ruleset_error_count(one); i++) {
		const struct eh_rule_error *a = eh_ruleset_error(one, i), *b = eh_ruleset_error(many, i);
		cr_assert_str_eq(b->file, a->file);
		cr_assert_str_eq(b->reason, a->reason);
		cr_assert_eq(b->line, a->line);
		cr_assert_eq(b->column, a->column);
	}
	cr_assert_gt(eh_ruleset_not_rules(one), 5);
	cr_assert_eq(eh_ruleset_not_rules(many), eh_ruleset_not_rules(one));
	for (size_t i = 0; i < eh_ruleset_not_rules(one); i++)
		cr_assert_str_eq(eh_ruleset_not_rule_file(many, i), eh_ruleset_not_rule_file(one, i));
	/* and as eh_ruleset_load_text one after the other */
	cr_assert_str_eq(eh_ruleset_rule(one, 0)->title, "r0");
	cr_assert_str_eq(eh_ruleset_error(one, 0)->file, "t003.yml");
	eh_ruleset_free(one);
	eh_ruleset_free(many);
}

/* ---- expand: placeholder values from a file (--placeholders) ------------ */

static void use_placeholders(const char *yaml)
{
	char path[] = "/tmp/evtxhunt-ph-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	char *cause = NULL;
	int rc = eh_placeholders_load(path, &cause);
	unlink(path);
	cr_assert_eq(rc, 0, "%s", cause ? cause : "");
}

static void no_placeholders(void)
{
	eh_placeholders_clear();
}

Test(expand, a_placeholder_is_its_list_of_values, .fini = no_placeholders)
{
	use_placeholders("admins: [Administrator, root]\ndcs:\n  - DC01\n  - 'DC*'\n");
	const char *d = SEL("User|expand: '%admins%'");
	cr_assert(holds(d, "User", "root", NULL));
	cr_assert(holds(d, "User", "ADMINISTRATOR", NULL), "caseless as any value");
	cr_assert_not(holds(d, "User", "bob", NULL));
	/* with the other modifiers, and under not */
	const char *n = "  sel:\n    Image: a\n  filter:\n    Computer|contains|expand: '%dcs%'\n"
			"  condition: sel and not filter\n";
	cr_assert_not(holds(n, "Image", "a", "Computer", "corp-dc01", NULL));
	cr_assert_not(holds(n, "Image", "a", "Computer", "dc99.corp", NULL), "a wildcard in a value stays one");
	cr_assert(holds(n, "Image", "a", "Computer", "ws01", NULL));
	/* inside a longer value: each value in its place */
	cr_assert(holds(SEL("User|expand: 'CORP\\%admins%'"), "User", "corp\\root", NULL));
	cr_assert_not(holds(SEL("User|expand: 'CORP\\%admins%'"), "User", "root", NULL));
}

Test(expand, an_unknown_placeholder_is_rejected_where_it_is, .fini = no_placeholders)
{
	use_placeholders("admins: [Administrator]\n");
	struct eh_ruleset *rs;
	const struct eh_rule_error *e =
		rejection(&rs, HEAD "  sel:\n    User|expand:\n      - '%admins%'\n      - '%known_cdcs%'\n  condition: sel\n");
	cr_assert_str_eq(e->reason, "placeholder 'known_cdcs' is not in the placeholders file");
	cr_assert_str_eq(e->file, "bad.yml");
	cr_assert_eq(e->line, 10);
	cr_assert_eq(e->column, 9);
	eh_ruleset_free(rs);
}

Test(expand, a_bad_placeholders_file_is_refused)
{
	char *cause = NULL;
	cr_assert_eq(eh_placeholders_load("/nonexistent/ph.yml", &cause), -1);
	cr_assert_not_null(cause);
	free(cause);
	char path[] = "/tmp/evtxhunt-ph-XXXXXX";
	int fd = mkstemp(path);
	const char *bad = "admins:\n  nested: map\n";
	cr_assert_eq(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	close(fd);
	cause = NULL;
	cr_assert_eq(eh_placeholders_load(path, &cause), -1);
	cr_assert(strstr(cause, "2:3") != NULL && strstr(cause, "admins") != NULL, "%s", cause);
	free(cause);
	unlink(path);
}

/* What one rule expands into is bounded: the value that takes it past a
 * limit is where the error points, and the error names the limit. */
Test(bounds, windash_past_the_limit_of_one_rule_is_refused_where_it_is)
{
	struct buf yaml;
	buf_init(&yaml);
	buf_adds(&yaml, HEAD "  sel:\n    CommandLine|windash|contains:\n");
	for (int i = 0; i < 200; i++) /* 4 dash places: 625 values of each */
		buf_addf(&yaml, "      - ' -a%d -b -c -d'\n", i);
	buf_adds(&yaml, "  condition: sel\n");
	struct eh_ruleset *rs;
	const struct eh_rule_error *e = rejection(&rs, yaml.data);
	cr_assert_eq(e->line, 9 + 80, "the 81st value (line 9 is the first)");
	cr_assert_eq(e->column, 9);
	cr_assert_str_eq(e->reason, "windash, base64offset and expand make more than 50000 values of the 81 written "
				    "(the limit for one rule)");
	eh_ruleset_free(rs);
	buf_free(&yaml);
}

Test(bounds, plain_lists_load_and_the_rule_set_is_bounded_in_all)
{
	struct buf yaml;
	buf_init(&yaml);
	for (int rule = 0; rule < 3; rule++) {
		buf_addf(&yaml, "%s" HEAD "  sel:\n    CommandLine|contains:\n", rule ? "---\n" : "");
		for (int i = 0; i < 200000; i++)
			buf_addf(&yaml, "      - 'ioc%d'\n", i);
		buf_adds(&yaml, "  condition: sel\n");
	}
	struct eh_ruleset *rs = eh_ruleset_new();
	eh_ruleset_load_text(rs, "set.yml", yaml.data, yaml.len);
	cr_assert_eq(eh_ruleset_count(rs), 2, "two lists of 200,000 fit the set's 500,000 values");
	cr_assert_eq(eh_ruleset_error_count(rs), 1);
	const struct eh_rule_error *e = eh_ruleset_error(rs, 0);
	cr_assert_eq(e->line, 2 * 200010 + 9 + 100000, "the 100,001st value of the third rule");
	cr_assert_str_eq(e->reason, "the rules loaded take more than 500000 values or 268435456 bytes of values after "
				    "modifiers (the limit for all rules together, which bounds the time to compile them)");
	eh_ruleset_free(rs);
	buf_free(&yaml);
}

/* Keywords are searched in all folded values at once: never across two
 * values, and a keyword holding a NUL still field by field. */
Test(values, keywords_never_match_across_two_values)
{
	const char *d = "  keywords:\n    - 'ab'\n  condition: keywords\n";
	cr_assert_not(holds(d, "A", "xa", "B", "by", NULL), "a in one value, b in the next");
	cr_assert(holds(d, "A", "xa", "B", "zAB", NULL));
	const char *nul = "  keywords:\n    - \"a\\0b\"\n  condition: keywords\n";
	cr_assert_not(holds(nul, "A", "xa", "B", "by", NULL), "the NUL between two values is no NUL of the event");
}
