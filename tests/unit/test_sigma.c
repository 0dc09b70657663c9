/* Sigma semantics: values, modifiers, conditions and load errors. */
#include "config.h"

#include "sigma_helpers.h"

#define HEAD                                  \
	"title: t\n"                          \
	"id: 00000000-0000-0000-0000-000000000000\n" \
	"logsource:\n"                        \
	"  category: process_creation\n"      \
	"  product: windows\n"                \
	"detection:\n"

/* Whether DETECTION (YAML under 'detection:', two-space indented) holds
 * for a Sysmon 1 event with the given fields. */
static bool holds(const char *detection, ...)
{
	char yaml[4096];
	snprintf(yaml, sizeof yaml, HEAD "%s", detection);
	struct eh_ruleset *rs = rules_from(yaml);
	struct eh_event ev;
	eh_event_init(&ev);
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_PROVIDER, SYSMON, strlen(SYSMON));
	va_list ap;
	va_start(ap, detection);
	const char *name;
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		eh_event_add_field(&ev, name, strlen(name), value, strlen(value));
	}
	va_end(ap);
	eh_event_finish(&ev);
	ev.event_id = 1;
	bool hit = matches(rs, &ev);
	eh_event_release(&ev);
	eh_ruleset_free(rs);
	return hit;
}

#define SEL(x) "  sel:\n    " x "\n  condition: sel\n"

Test(values, plain_equality_is_whole_and_caseless)
{
	cr_assert(holds(SEL("Image: 'C:\\x\\A.exe'"), "Image", "c:\\X\\a.EXE", NULL));
	cr_assert_not(holds(SEL("Image: 'C:\\x\\A.exe'"), "Image", "C:\\x\\A.exe ", NULL));
	cr_assert_not(holds(SEL("Image: 'A.exe'"), "Image", "C:\\x\\A.exe", NULL));
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
	const struct eh_rule_error *e = rejection(&rs, HEAD "  sel:\n    Image|re: '.*'\n  condition: sel\n");
	cr_assert_str_eq(e->reason, "modifier 're' is not supported yet");
	eh_ruleset_free(rs);
}

Test(errors, conflicting_modifiers)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e =
		rejection(&rs, HEAD "  sel:\n    Image|contains|endswith: x\n  condition: sel\n");
	cr_assert(strstr(e->reason, "conflicts") != NULL, "%s", e->reason);
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

Test(errors, aggregation_is_reported_as_unsupported)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e =
		rejection(&rs, HEAD "  sel:\n    Image: x\n  condition: sel | count() by User > 3\n");
	cr_assert(strstr(e->reason, "aggregation") != NULL, "%s", e->reason);
	eh_ruleset_free(rs);
}

Test(errors, correlation_rules_are_reported)
{
	struct eh_ruleset *rs;
	const struct eh_rule_error *e =
		rejection(&rs, "title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n");
	cr_assert_str_eq(e->reason, "correlation rules are not supported");
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
