/* Correlation rules: parsing, resolution and the engine on synthetic
 * streams of matches (times in seconds from 2024-06-01T09:00:00Z). */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/correlation.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/timeline.h"

#define BASE_RULES                                                                                                   \
	"title: A\nid: id-a\nname: a\nlogsource:\n  product: windows\n  service: security\n"                        \
	"detection:\n  s:\n    EventID: 1\n  condition: s\n---\n"                                                    \
	"title: B\nid: id-b\nname: b\nlogsource:\n  product: windows\n  service: security\n"                        \
	"detection:\n  s:\n    EventID: 2\n  condition: s\n---\n"                                                    \
	"title: C\nid: id-c\nname: c\nlogsource:\n  product: windows\n  service: security\n"                        \
	"detection:\n  s:\n    EventID: 3\n  condition: s\n---\n"

static int64_t t0;

static struct eh_ruleset *load(const char *yaml)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	eh_ruleset_load_text(rs, "t.yml", yaml, strlen(yaml));
	eh_correlations_resolve(rs);
	for (size_t i = 0; i < eh_ruleset_error_count(rs); i++)
		cr_log_error("%d:%d: %s", eh_ruleset_error(rs, i)->line, eh_ruleset_error(rs, i)->column,
			     eh_ruleset_error(rs, i)->reason);
	cr_assert_eq(eh_ruleset_error_count(rs), 0);
	t0 = eh_time_parse("2024-06-01T09:00:00Z");
	return rs;
}

static const struct eh_rule *rule(const struct eh_ruleset *rs, const char *id)
{
	for (size_t i = 0; i < eh_ruleset_count(rs); i++)
		if (strcmp(eh_ruleset_rule(rs, i)->id, id) == 0)
			return eh_ruleset_rule(rs, i);
	cr_assert_fail("no rule %s", id);
	return NULL;
}

static uint64_t next_record = 1;

/* A hit of rule ID at SECONDS with User USER and Value VALUE (NULL: absent). */
static void hit(struct eh_timeline *tl, const struct eh_ruleset *rs, const char *id, int seconds, const char *user,
		const char *value)
{
	struct eh_event ev;
	eh_event_init(&ev);
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_COMPUTER, "HOST", 4);
	if (user)
		eh_event_add_field(&ev, "User", 4, user, strlen(user));
	if (value)
		eh_event_add_field(&ev, "Value", 5, value, strlen(value));
	eh_event_finish(&ev);
	ev.time = t0 + (int64_t)seconds * 10000000;
	ev.record_id = next_record++;
	eh_timeline_add(tl, rule(rs, id), &ev, eh_timeline_file(tl, "x.evtx"));
	eh_event_release(&ev);
}

struct seen {
	char text[8192];
};

static const char *field(const struct eh_event *ev, const char *name)
{
	const char *v = eh_event_get(ev, name, NULL);
	return v ? v : "-";
}

/* "TITLE@SECONDS" for a base hit; "TITLE@SECONDS group=G count=N events=N
 * first=S last=S" for a correlation hit; a line each. */
static void collect(const struct eh_hit *h, void *user)
{
	struct seen *s = user;
	char line[512];
	long at = (long)((h->event->time - t0) / 10000000);
	if (eh_event_get(h->event, "correlation_type", NULL)) {
		long first = (long)((eh_time_parse(field(h->event, "first_event")) - t0) / 10000000);
		long last = (long)((eh_time_parse(field(h->event, "last_event")) - t0) / 10000000);
		snprintf(line, sizeof line, "%s@%ld group=%s count=%s events=%s first=%ld last=%ld\n", h->rule->title, at,
			 field(h->event, "User"), field(h->event, "count"), field(h->event, "events"), first, last);
	} else {
		snprintf(line, sizeof line, "%s@%ld\n", h->rule->title, at);
	}
	strcat(s->text, line);
}

/* Correlates IN and returns what the report would show. */
static const char *run(struct eh_ruleset *rs, struct eh_timeline *in)
{
	static struct seen s;
	struct eh_timeline out;
	eh_timeline_init(&out, 0);
	s.text[0] = '\0';
	cr_assert_eq(eh_correlate(rs, in, &out), 0);
	eh_timeline_each(&out, collect, &s);
	eh_timeline_release(&out);
	eh_timeline_release(in);
	return s.text;
}

#define COUNT_5_IN_5M                                                                                                \
	"title: Five\nid: id-five\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [User]\n"           \
	"  timespan: 5m\n  condition:\n    gte: 5\n"

Test(engine, event_count_fires_once_at_the_fifth_event)
{
	struct eh_ruleset *rs = load(BASE_RULES COUNT_5_IN_5M);
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	int at[] = { 0, 60, 120, 180, 240, 250 }; /* the sixth extends the burst */
	for (size_t i = 0; i < 6; i++)
		hit(&tl, rs, "id-a", at[i], "alice", NULL);
	cr_assert_str_eq(run(rs, &tl), "Five@240 group=alice count=6 events=6 first=0 last=250\n");
	cr_assert_eq(eh_correlation_hits(rs, 0), 1);
	eh_ruleset_free(rs);
}

Test(engine, one_event_short_is_no_hit)
{
	struct eh_ruleset *rs = load(BASE_RULES COUNT_5_IN_5M);
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	for (int i = 0; i < 4; i++)
		hit(&tl, rs, "id-a", i * 60, "alice", NULL);
	cr_assert_str_eq(run(rs, &tl), "");
	eh_ruleset_free(rs);
}

/* The window holds the last timespan, both ends included. */
Test(engine, one_second_outside_the_window_is_no_hit)
{
	struct eh_ruleset *rs = load(BASE_RULES COUNT_5_IN_5M);
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	int at[] = { 0, 60, 120, 180, 301 };
	for (size_t i = 0; i < 5; i++)
		hit(&tl, rs, "id-a", at[i], "alice", NULL);
	cr_assert_str_eq(run(rs, &tl), "");
	eh_timeline_init(&tl, 0);
	int edge[] = { 0, 60, 120, 180, 300 };
	for (size_t i = 0; i < 5; i++)
		hit(&tl, rs, "id-a", edge[i], "bob", NULL);
	cr_assert_str_eq(run(rs, &tl), "Five@300 group=bob count=5 events=5 first=0 last=300\n");
	eh_ruleset_free(rs);
}

Test(engine, two_groups_are_not_mixed)
{
	struct eh_ruleset *rs = load(BASE_RULES COUNT_5_IN_5M);
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	for (int i = 0; i < 8; i++)
		hit(&tl, rs, "id-a", i * 10, i % 2 ? "dave" : "erin", NULL);
	cr_assert_str_eq(run(rs, &tl), "");
	eh_ruleset_free(rs);
}

/* Fixed hourly buckets would split 2 + 3 events; the sliding window does not. */
Test(engine, a_burst_across_the_hour_is_found)
{
	struct eh_ruleset *rs = load(BASE_RULES COUNT_5_IN_5M);
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	for (int i = 0; i < 5; i++)
		hit(&tl, rs, "id-a", 3600 - 90 + i * 45, "alice", NULL); /* 09:58:30 .. 10:01:30 */
	cr_assert_str_eq(run(rs, &tl), "Five@3690 group=alice count=5 events=5 first=3510 last=3690\n");
	eh_ruleset_free(rs);
}

/* A burst that goes on is one hit; after a gap, a second burst is another. */
Test(engine, one_hit_per_maximal_burst)
{
	struct eh_ruleset *rs = load(BASE_RULES COUNT_5_IN_5M);
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	for (int i = 0; i < 40; i++) /* 40 minutes, one a minute: the condition holds from the 5th on */
		hit(&tl, rs, "id-a", i * 60, "alice", NULL);
	for (int i = 0; i < 5; i++)
		hit(&tl, rs, "id-a", 7200 + i, "alice", NULL);
	cr_assert_str_eq(run(rs, &tl), "Five@240 group=alice count=6 events=40 first=0 last=2340\n"
				       "Five@7204 group=alice count=5 events=5 first=7200 last=7204\n");
	eh_ruleset_free(rs);
}

Test(engine, value_count_counts_distinct_values)
{
	struct eh_ruleset *rs = load(BASE_RULES "title: Spray\nid: id-spray\ncorrelation:\n  type: value_count\n"
						"  rules: [id-a]\n  group-by: [User]\n  timespan: 10m\n"
						"  condition:\n    field: Value\n    gte: 3\n");
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	const char *v[] = { "u1", "u1", "u2", "u1", "u2", "u3", "u3" };
	for (int i = 0; i < 7; i++)
		hit(&tl, rs, "id-a", i * 10, "ip1", v[i]);
	for (int i = 0; i < 6; i++) /* 6 events, 2 values */
		hit(&tl, rs, "id-a", 1000 + i, "ip2", i % 2 ? "x" : "y");
	hit(&tl, rs, "id-a", 2000, "ip3", NULL); /* no Value: passed over, and counted */
	cr_assert_str_eq(run(rs, &tl), "Spray@50 group=ip1 count=3 events=7 first=0 last=60\n");
	cr_assert_eq(eh_correlation_skipped(rs, 0), 1);
	eh_ruleset_free(rs);
}

/* Values leave the window: 3 distinct over 20 minutes are not 3 in 10. */
Test(engine, value_count_forgets_values_that_left_the_window)
{
	struct eh_ruleset *rs = load(BASE_RULES "title: Spray\nid: id-spray\ncorrelation:\n  type: value_count\n"
						"  rules: [a]\n  group-by: [User]\n  timespan: 10m\n"
						"  condition:\n    field: Value\n    gte: 3\n");
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	hit(&tl, rs, "id-a", 0, "ip1", "u1");
	hit(&tl, rs, "id-a", 500, "ip1", "u2");
	hit(&tl, rs, "id-a", 601, "ip1", "u3");
	hit(&tl, rs, "id-a", 700, "ip1", "u2");
	cr_assert_str_eq(run(rs, &tl), "");
	eh_ruleset_free(rs);
}

#define TEMPORAL(type)                                                                                               \
	"title: T\nid: id-t\ncorrelation:\n  type: " type "\n  rules: [a, b, c]\n  group-by: [User]\n"              \
	"  timespan: 5m\n"

Test(engine, temporal_wants_every_rule_in_any_order)
{
	struct eh_ruleset *rs = load(BASE_RULES TEMPORAL("temporal"));
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	hit(&tl, rs, "id-c", 0, "u", NULL);
	hit(&tl, rs, "id-a", 10, "u", NULL);
	hit(&tl, rs, "id-b", 20, "u", NULL);
	hit(&tl, rs, "id-c", 1000, "v", NULL);
	hit(&tl, rs, "id-a", 1010, "v", NULL); /* no b for v */
	cr_assert_str_eq(run(rs, &tl), "T@20 group=u count=3 events=3 first=0 last=20\n");
	eh_ruleset_free(rs);
}

Test(engine, temporal_ordered_wants_the_order)
{
	struct eh_ruleset *rs = load(BASE_RULES TEMPORAL("temporal_ordered"));
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	hit(&tl, rs, "id-c", 0, "u", NULL); /* c a b: no */
	hit(&tl, rs, "id-a", 10, "u", NULL);
	hit(&tl, rs, "id-b", 20, "u", NULL);
	hit(&tl, rs, "id-a", 1000, "v", NULL); /* a, b, b, c: yes, at c */
	hit(&tl, rs, "id-b", 1010, "v", NULL);
	hit(&tl, rs, "id-b", 1020, "v", NULL);
	hit(&tl, rs, "id-c", 1030, "v", NULL);
	hit(&tl, rs, "id-a", 2000, "w", NULL); /* in order, over 5m 1s: no */
	hit(&tl, rs, "id-b", 2100, "w", NULL);
	hit(&tl, rs, "id-c", 2301, "w", NULL);
	cr_assert_str_eq(run(rs, &tl), "T@1030 group=v count=3 events=4 first=1000 last=1030\n");
	eh_ruleset_free(rs);
}

/* Group-by 'User' reads User in a's events and Value in b's. */
Test(engine, aliases_read_another_field_per_rule)
{
	struct eh_ruleset *rs = load(BASE_RULES "title: T\nid: id-t\ncorrelation:\n  type: temporal\n"
						"  rules: [a, b]\n  group-by: [User]\n  timespan: 5m\n"
						"  aliases:\n    User:\n      a: User\n      b: Value\n");
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	hit(&tl, rs, "id-a", 0, "eve", NULL);
	hit(&tl, rs, "id-b", 10, "someone", "eve");
	hit(&tl, rs, "id-a", 1000, "mallory", NULL);
	hit(&tl, rs, "id-b", 1010, "mallory", "other");
	cr_assert_str_eq(run(rs, &tl), "T@10 group=eve count=2 events=2 first=0 last=10\n");
	eh_ruleset_free(rs);
}

/* gt 2 and lte 4: the 3rd and 4th events of a run of 6 are the burst. */
Test(engine, a_range_condition_is_two_operators)
{
	struct eh_ruleset *rs = load(BASE_RULES "title: R\nid: id-r\ncorrelation:\n  type: event_count\n"
						"  rules: [a]\n  group-by: [User]\n  timespan: 1h\n"
						"  condition:\n    gt: 2\n    lte: 4\n");
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	for (int i = 0; i < 6; i++)
		hit(&tl, rs, "id-a", i * 60, "admin", NULL);
	cr_assert_str_eq(run(rs, &tl), "R@120 group=admin count=4 events=4 first=0 last=180\n");
	eh_ruleset_free(rs);
}

/* The ordered chain reads the event_count's hits, at their times. */
Test(engine, a_chain_of_correlations)
{
	struct eh_ruleset *rs = load(BASE_RULES COUNT_5_IN_5M
				     "---\ntitle: Then\nid: id-then\ncorrelation:\n  type: temporal_ordered\n"
				     "  rules: [id-five, b]\n  group-by: [User]\n  timespan: 10m\n");
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	hit(&tl, rs, "id-b", 0, "alice", NULL); /* before the burst: not it */
	for (int i = 0; i < 5; i++)
		hit(&tl, rs, "id-a", 60 + i, "alice", NULL);
	hit(&tl, rs, "id-b", 300, "alice", NULL);
	for (int i = 0; i < 5; i++)
		hit(&tl, rs, "id-a", 2000 + i, "bob", NULL); /* no b after */
	hit(&tl, rs, "id-b", 1900, "bob", NULL);
	/* Five's hits are held back (referred to, generate false); b's too.
	 * The window of the chain's hit (10m to 300) holds b at 0 too: every
	 * event of the windows is listed, not only the ordered ones. */
	cr_assert_str_eq(run(rs, &tl), "Then@300 group=alice count=2 events=3 first=0 last=300\n");
	cr_assert_eq(eh_correlation_hits(rs, 0), 2);
	eh_ruleset_free(rs);
}

Test(engine, generate_true_keeps_the_referred_rules_hits)
{
	struct eh_ruleset *rs = load(BASE_RULES "title: Two\nid: id-two\ncorrelation:\n  type: event_count\n"
						"  rules: [a]\n  timespan: 5m\n  condition:\n    gte: 2\n  generate: true\n"
						"---\ntitle: TwoC\nid: id-twoc\ncorrelation:\n  type: event_count\n"
						"  rules: [c]\n  timespan: 5m\n  condition:\n    gte: 2\n");
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	hit(&tl, rs, "id-a", 0, "u", NULL);
	hit(&tl, rs, "id-a", 1, "u", NULL);
	hit(&tl, rs, "id-b", 2, "u", NULL); /* b: referred to by none, always shown */
	hit(&tl, rs, "id-c", 3, "u", NULL);
	hit(&tl, rs, "id-c", 4, "u", NULL);
	/* at one time, the hit goes first: its record is its first event's */
	cr_assert_str_eq(run(rs, &tl), "A@0\nTwo@1 group=- count=2 events=2 first=0 last=1\nA@1\nB@2\n"
				       "TwoC@4 group=- count=2 events=2 first=3 last=4\n");
	eh_ruleset_free(rs);
}

Test(engine, events_without_the_group_by_field_are_counted_apart)
{
	struct eh_ruleset *rs = load(BASE_RULES COUNT_5_IN_5M);
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	for (int i = 0; i < 5; i++)
		hit(&tl, rs, "id-a", i, NULL, NULL);
	cr_assert_str_eq(run(rs, &tl), "");
	cr_assert_eq(eh_correlation_skipped(rs, 0), 5);
	eh_ruleset_free(rs);
}

/* ---- what cannot be used, and where ---- */

/* The one error of loading and resolving YAML, at LINE:COLUMN. */
static void refused(const char *yaml, int line, int column, const char *why)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	eh_ruleset_load_text(rs, "t.yml", yaml, strlen(yaml));
	eh_correlations_resolve(rs);
	cr_assert_eq(eh_ruleset_error_count(rs), 1, "%zu errors for %s", eh_ruleset_error_count(rs), why);
	const struct eh_rule_error *e = eh_ruleset_error(rs, 0);
	cr_assert(strstr(e->reason, why) != NULL, "'%s' does not say '%s'", e->reason, why);
	cr_assert_eq(e->line, line, "%s: line %d", e->reason, e->line);
	cr_assert_eq(e->column, column, "%s: column %d", e->reason, e->column);
	cr_assert_str_eq(e->file, "t.yml");
	eh_ruleset_free(rs);
}

#define CORR_HEAD "title: X\nid: id-x\ncorrelation:\n" /* the section's map starts at line 4, column 3 */

Test(errors, unknown_type)
{
	refused(BASE_RULES CORR_HEAD "  type: event_sum\n  rules: [a]\n  timespan: 5m\n", 37, 9,
		"unknown correlation type 'event_sum'");
}

Test(errors, unknown_operator)
{
	refused(BASE_RULES CORR_HEAD "  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition:\n    ge: 3\n", 41, 5,
		"unknown condition operator 'ge'");
}

Test(errors, value_count_without_field)
{
	refused(BASE_RULES CORR_HEAD "  type: value_count\n  rules: [a]\n  timespan: 5m\n  condition:\n    gte: 3\n", 41,
		5, "needs 'field'");
}

Test(errors, bad_timespan)
{
	refused(BASE_RULES CORR_HEAD "  type: event_count\n  rules: [a]\n  timespan: 5 minutes\n  condition:\n    gte: 3\n",
		39, 13, "timespan '5 minutes'");
}

Test(errors, unknown_rule)
{
	refused(BASE_RULES CORR_HEAD "  type: event_count\n  rules: [a, nobody]\n  timespan: 5m\n  condition:\n    gte: 3\n",
		38, 14, "no rule has the id or name 'nobody'");
}

Test(errors, ambiguous_rule)
{
	refused(BASE_RULES "title: A2\nid: id-a2\nname: a\nlogsource:\n  product: windows\n  service: security\n"
			   "detection:\n  s:\n    EventID: 1\n  condition: s\n---\n" CORR_HEAD
			   "  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition:\n    gte: 3\n",
		49, 11, "'a' is ambiguous");
}

Test(errors, a_cycle)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	const char *yaml = "title: X\nid: x\ncorrelation:\n  type: event_count\n  rules: [y]\n  timespan: 5m\n"
			   "  condition:\n    gte: 1\n---\n"
			   "title: Y\nid: y\ncorrelation:\n  type: event_count\n  rules: [x]\n  timespan: 5m\n"
			   "  condition:\n    gte: 1\n";
	eh_ruleset_load_text(rs, "t.yml", yaml, strlen(yaml));
	cr_assert_eq(eh_correlations_resolve(rs), 0);
	cr_assert_geq(eh_ruleset_error_count(rs), 1);
	bool cycle = false;
	for (size_t i = 0; i < eh_ruleset_error_count(rs); i++)
		cycle |= strstr(eh_ruleset_error(rs, i)->reason, "cycle") != NULL;
	cr_assert(cycle);
	eh_ruleset_free(rs);
}

Test(errors, an_alias_without_a_field_for_a_rule)
{
	refused(BASE_RULES CORR_HEAD "  type: temporal\n  rules: [a, b]\n  group-by: [who]\n  timespan: 5m\n"
				     "  aliases:\n    who:\n      a: User\n",
		42, 5, "alias 'who' gives no field for rule 'b'");
}

/* X cannot be parsed (no condition); Z, which refers to it, says so. */
Test(errors, a_correlation_referring_to_a_broken_one)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	const char *yaml = BASE_RULES CORR_HEAD "  type: event_count\n  rules: [a]\n  timespan: 5m\n---\n"
					      "title: Z\nid: z\ncorrelation:\n  type: temporal\n  rules: [id-x, b]\n"
					      "  timespan: 5m\n";
	eh_ruleset_load_text(rs, "t.yml", yaml, strlen(yaml));
	cr_assert_eq(eh_correlations_resolve(rs), 0);
	cr_assert_eq(eh_ruleset_error_count(rs), 2);
	cr_assert(strstr(eh_ruleset_error(rs, 0)->reason, "needs a condition") != NULL, "%s", eh_ruleset_error(rs, 0)->reason);
	const struct eh_rule_error *e = eh_ruleset_error(rs, 1);
	cr_assert(strstr(e->reason, "refers to 'id-x', a rule that cannot be used") != NULL, "%s", e->reason);
	cr_assert_eq(e->line, 45);
	cr_assert_eq(e->column, 11);
	eh_ruleset_free(rs);
}

/* A base rule that cannot be compiled: the correlation says so, not "no
 * rule has that id". */
Test(errors, a_correlation_referring_to_a_rejected_rule)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	const char *yaml = "title: Bad\nid: id-bad\nlogsource:\n  product: windows\n  service: security\n"
			   "detection:\n  s:\n    EventID|nosuch: 1\n  condition: s\n---\n" CORR_HEAD
			   "  type: event_count\n  rules: [id-bad]\n  timespan: 5m\n  condition:\n    gte: 2\n";
	eh_ruleset_load_text(rs, "t.yml", yaml, strlen(yaml));
	cr_assert_eq(eh_correlations_resolve(rs), 0);
	cr_assert_eq(eh_ruleset_error_count(rs), 2);
	const struct eh_rule_error *e = eh_ruleset_error(rs, 1);
	cr_assert(strstr(e->reason, "refers to 'id-bad', a rule that cannot be used") != NULL, "%s", e->reason);
	cr_assert_eq(e->line, 15);
	cr_assert_eq(e->column, 11);
	eh_ruleset_free(rs);
}

/* ---- --state: an earlier run's hits as context ---- */

static const char *run_context(struct eh_ruleset *rs, struct eh_timeline *in, struct eh_timeline *context)
{
	static struct seen s;
	struct eh_timeline out;
	eh_timeline_init(&out, 0);
	s.text[0] = '\0';
	cr_assert_eq(eh_correlate_context(rs, in, context, &out), 0);
	eh_timeline_each(&out, collect, &s);
	eh_timeline_release(&out);
	eh_timeline_release(in);
	eh_timeline_release(context);
	return s.text;
}

Test(engine, a_burst_spanning_two_runs_is_found)
{
	struct eh_ruleset *rs = load(BASE_RULES COUNT_5_IN_5M);
	struct eh_timeline tl, context;
	eh_timeline_init(&tl, 0);
	eh_timeline_init(&context, 0);
	for (int i = 0; i < 3; i++)
		hit(&context, rs, "id-a", i * 60, "alice", NULL);
	for (int i = 3; i < 5; i++)
		hit(&tl, rs, "id-a", i * 60, "alice", NULL);
	cr_assert_str_eq(run_context(rs, &tl, &context), "Five@240 group=alice count=5 events=5 first=0 last=240\n");
	eh_ruleset_free(rs);
}

/* The earlier run reported the burst (it started at its events): not again,
 * though this run's event extends it. */
Test(engine, a_burst_an_earlier_run_reported_is_not_reported_again)
{
	struct eh_ruleset *rs = load(BASE_RULES COUNT_5_IN_5M);
	struct eh_timeline tl, context;
	eh_timeline_init(&tl, 0);
	eh_timeline_init(&context, 0);
	for (int i = 0; i < 6; i++)
		hit(&context, rs, "id-a", i * 60, "alice", NULL);
	hit(&tl, rs, "id-a", 390, "alice", NULL);
	cr_assert_str_eq(run_context(rs, &tl, &context), "");
	cr_assert_eq(eh_correlation_hits(rs, 0), 0);
	cr_assert_eq(eh_correlation_known(rs, 0), 1);
	eh_ruleset_free(rs);
}

Test(engine, the_horizon_is_the_longest_timespan_times_the_deepest_chain)
{
	struct eh_ruleset *rs = load(BASE_RULES COUNT_5_IN_5M
				     "---\ntitle: Then\nid: id-then\ncorrelation:\n  type: temporal_ordered\n"
				     "  rules: [id-five, b]\n  group-by: [User]\n  timespan: 10m\n");
	cr_assert_eq(eh_correlations_horizon(rs), INT64_C(2) * 600 * 10000000);
	cr_assert(eh_correlations_refer(rs, rule(rs, "id-a")));
	cr_assert(eh_correlations_refer(rs, rule(rs, "id-b")));
	cr_assert(!eh_correlations_refer(rs, rule(rs, "id-c")));
	eh_ruleset_free(rs);
}

/* --min-level high: the low rule a high correlation counts stays, and so
 * does the medium correlation a kept chain refers to; the medium one no
 * kept correlation needs goes, with the rule only it refers to. */
Test(filter, a_kept_correlation_keeps_what_it_refers_to)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	const char *yaml = BASE_RULES "title: Inner\nid: inner\nlevel: medium\ncorrelation:\n  type: event_count\n"
				      "  rules: [a]\n  timespan: 5m\n  condition:\n    gte: 2\n---\n"
				      "title: Chain\nid: chain\nlevel: high\ncorrelation:\n  type: temporal\n"
				      "  rules: [inner, b]\n  timespan: 5m\n---\n"
				      "title: Other\nid: other\nlevel: medium\ncorrelation:\n  type: event_count\n"
				      "  rules: [c]\n  timespan: 5m\n  condition:\n    gte: 2\n";
	eh_ruleset_load_text(rs, "t.yml", yaml, strlen(yaml));
	cr_assert_eq(eh_ruleset_filter(rs, eh_level_rank("high"), NULL), 2); /* Other and C */
	cr_assert_eq(eh_correlations_resolve(rs), 2);
	cr_assert_eq(eh_ruleset_error_count(rs), 0);
	cr_assert_eq(eh_ruleset_count(rs), 2);
	cr_assert_str_eq(eh_ruleset_rule(rs, 0)->id, "id-a");
	cr_assert_str_eq(eh_ruleset_rule(rs, 1)->id, "id-b");
	cr_assert_str_eq(eh_correlation_rule(rs, 0)->id, "inner");
	cr_assert_str_eq(eh_correlation_rule(rs, 1)->id, "chain");
	eh_ruleset_free(rs);
}

Test(errors, an_operand_that_is_not_a_count)
{
	refused(BASE_RULES CORR_HEAD "  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition:\n    gte: -1\n", 41,
		10, "'gte' takes a whole number");
	refused(BASE_RULES CORR_HEAD "  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition:\n    gte: '5'\n", 41,
		10, "'gte' takes a whole number");
}
