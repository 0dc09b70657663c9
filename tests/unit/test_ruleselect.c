/* Rule selection: eh_ruleset_keep_if and the selection made of it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "evtxhunt/logsource.h"
#include "evtxhunt/ruleselect.h"
#include "evtxhunt/sigma.h"

/* two rules of different log sources, the second tagged */
static const char *const rules_yaml[] = {
	"title: Proc\nid: p-1\nlogsource: {category: process_creation, product: windows}\n"
	"detection: {sel: {Image|endswith: '\\x.exe'}, condition: sel}\n",
	"title: Net\nid: n-2\ntags: [attack.T1021]\nlogsource: {category: network_connection, product: windows}\n"
	"detection: {sel: {Image|endswith: '\\y.exe'}, condition: sel}\n",
};

static struct eh_ruleset *two_rules(void)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	for (size_t i = 0; i < 2; i++)
		cr_assert_eq(eh_ruleset_load_text(rs, "t.yml", rules_yaml[i], strlen(rules_yaml[i])), 1);
	return rs;
}

static bool not_proc(const struct eh_rule *r, void *user)
{
	(*(int *)user)++;
	return strcmp(r->id, "p-1") != 0;
}

Test(ruleselect, keep_if_drops_the_rule_and_its_rows)
{
	struct eh_ruleset *rs = two_rules();
	const uint64_t *proc = eh_logsource_select("process_creation", "windows", NULL);
	cr_assert(eh_ruleset_wants_rows(rs, proc));
	int calls = 0;
	cr_assert_eq(eh_ruleset_keep_if(rs, not_proc, &calls), 1);
	cr_assert_eq(calls, 2, "asked once per rule");
	cr_assert_eq(eh_ruleset_count(rs), 1);
	cr_assert_str_eq(eh_ruleset_rule(rs, 0)->id, "n-2");
	/* routing must not see the dropped rule: its rows are no longer wanted */
	cr_assert_not(eh_ruleset_wants_rows(rs, proc));
	cr_assert(eh_ruleset_wants_rows(rs, eh_logsource_select("network_connection", "windows", NULL)));
	eh_ruleset_free(rs);
}

Test(ruleselect, tag_any_case_and_exclusion_by_title)
{
	struct eh_ruleset *rs = two_rules();
	struct eh_rule_select *s = eh_select_new();
	eh_select_tag(s, "ATTACK.t1021");
	struct eh_select_counts c;
	FILE *warn = tmpfile();
	eh_select_apply(s, rs, warn, &c);
	cr_assert_eq(c.untagged, 1);
	cr_assert_eq(c.excluded, 0);
	cr_assert_eq(eh_ruleset_count(rs), 1);
	cr_assert_str_eq(eh_ruleset_rule(rs, 0)->id, "n-2");
	cr_assert_eq(ftell(warn), 0, "the tag matched: no warning");
	eh_select_free(s);

	s = eh_select_new();
	eh_select_exclude(s, "  net \r", "--exclude-rule");
	eh_select_apply(s, rs, warn, &c);
	cr_assert_eq(c.excluded, 1);
	cr_assert_eq(eh_ruleset_count(rs), 0);
	eh_select_free(s);
	fclose(warn);
	eh_ruleset_free(rs);
}
