/* Timeline order (time, file, record id, arrival) and spilling. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evtxhunt/timeline.h"

static void add(struct eh_timeline *tl, const struct eh_rule *rule, int64_t time, uint64_t rid, const char *file)
{
	struct eh_event ev;
	eh_event_init(&ev);
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_COMPUTER, "HOST", 4);
	char v[32];
	snprintf(v, sizeof v, "value-%llu", (unsigned long long)rid);
	eh_event_add_field(&ev, "CommandLine", 11, v, strlen(v));
	eh_event_finish(&ev);
	ev.time = time;
	ev.record_id = rid;
	eh_timeline_add(tl, rule, &ev, eh_timeline_file(tl, file));
	eh_event_release(&ev);
}

/* Collects "rule-title:time:file:record:value" lines in timeline order. */
static void collect(const struct eh_hit *h, void *user)
{
	char line[256];
	snprintf(line, sizeof line, "%s:%lld:%s:%llu:%s:%s\n", h->rule->title, (long long)h->event->time, h->file,
		 (unsigned long long)h->event->record_id, eh_event_get(h->event, "CommandLine", NULL),
		 h->event->computer);
	strcat(user, line);
}

static struct eh_rule r1 = { .title = "one" }, r2 = { .title = "two" };

static void fill(struct eh_timeline *tl)
{
	add(tl, &r1, 300, 1, "b.evtx");
	add(tl, &r1, 100, 9, "b.evtx");
	add(tl, &r1, 100, 2, "b.evtx");
	add(tl, &r1, 100, 5, "a.evtx");
	add(tl, &r2, 100, 5, "a.evtx");
	for (int i = 0; i < 200; i++)
		add(tl, i % 2 ? &r1 : &r2, 1000 - i * 3, (uint64_t)i, i % 3 ? "c.evtx" : "a.evtx");
}

Test(timeline, sorted_by_time_file_record_then_arrival)
{
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	add(&tl, &r1, 300, 1, "b.evtx");
	add(&tl, &r1, 100, 9, "b.evtx");
	add(&tl, &r1, 100, 2, "b.evtx");
	add(&tl, &r1, 100, 5, "a.evtx");
	add(&tl, &r2, 100, 5, "a.evtx");
	static char out[4096];
	out[0] = '\0';
	cr_assert_eq(eh_timeline_each(&tl, collect, out), 0);
	cr_assert_str_eq(out, "one:100:a.evtx:5:value-5:HOST\n"
			      "two:100:a.evtx:5:value-5:HOST\n"
			      "one:100:b.evtx:2:value-2:HOST\n"
			      "one:100:b.evtx:9:value-9:HOST\n"
			      "one:300:b.evtx:1:value-1:HOST\n");
	cr_assert_eq(eh_timeline_rule_hits(&tl, &r1), 4);
	cr_assert_eq(eh_timeline_rule_hits(&tl, &r2), 1);
	eh_timeline_release(&tl);
}

/* Lines collected, one per hit. */
static size_t lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* What a user sees: with a limit below any hit's size every hit spills,
 * and all of them come back in the order kept in memory gives. How many
 * runs that makes is the timeline's own business. */
Test(timeline, spilled_hits_come_back_all_in_order)
{
	static char kept[65536], spilled[65536];
	struct eh_timeline tl;
	eh_timeline_init(&tl, 1 << 30);
	fill(&tl);
	cr_assert_eq(eh_timeline_spilled_runs(&tl), 0);
	kept[0] = '\0';
	cr_assert_eq(eh_timeline_each(&tl, collect, kept), 0);
	eh_timeline_release(&tl);
	cr_assert_eq(lines(kept), 205);

	char dir[] = "/tmp/evtxhunt-test-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	eh_timeline_init(&tl, 1);
	eh_timeline_set_spill_dir(&tl, dir);
	fill(&tl);
	cr_assert_gt(eh_timeline_spilled_runs(&tl), 0, "the spill file was used");
	spilled[0] = '\0';
	cr_assert_eq(eh_timeline_each(&tl, collect, spilled), 0);
	cr_assert_str_eq(spilled, kept);
	cr_assert_eq(eh_timeline_rule_hits(&tl, &r1), 104);
	eh_timeline_release(&tl);
	cr_assert_eq(rmdir(dir), 0, "nothing is left in the spill directory");
}

/* A spill directory that cannot be written keeps the hits in memory:
 * none is lost. */
Test(timeline, unwritable_spill_dir_keeps_hits_in_memory)
{
	static char kept[65536], unspilled[65536];
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	fill(&tl);
	kept[0] = '\0';
	cr_assert_eq(eh_timeline_each(&tl, collect, kept), 0);
	eh_timeline_release(&tl);

	eh_timeline_init(&tl, 1);
	eh_timeline_set_spill_dir(&tl, "/nonexistent/evtxhunt-spill-dir");
	fill(&tl);
	cr_assert_eq(eh_timeline_spilled_runs(&tl), 0);
	unspilled[0] = '\0';
	cr_assert_eq(eh_timeline_each(&tl, collect, unspilled), 0);
	cr_assert_str_eq(unspilled, kept);
	eh_timeline_release(&tl);
}

/* Every System field a rule or an output can read comes back from the
 * spill file as it went in: Level, Task, Keywords ... (not only the four
 * the outputs print), and an unset one stays unset. */
static void collect_system(const struct eh_hit *h, void *user)
{
	char *out = user;
	for (size_t i = 0; i < h->event->nsystem; i++) {
		strcat(out, h->event->system[i].name);
		strcat(out, "=");
		strncat(out, h->event->system[i].value, h->event->system[i].len);
		strcat(out, ";");
	}
	strcat(out, "\n");
}

static void add_system(struct eh_timeline *tl, bool all)
{
	static const char *const values[EH_SYS_COUNT] = { "Microsoft-Windows-Security-Auditing", "Security", "DC1",
							  "S-1-5-18", "4624", "0", "12544", "0",
							  "0x8020000000000000", "2" };
	struct eh_event ev;
	eh_event_init(&ev);
	eh_event_reset(&ev);
	for (int slot = 0; slot < EH_SYS_COUNT; slot++)
		if (all || slot == EH_SYS_COMPUTER || slot == EH_SYS_KEYWORDS)
			eh_event_set_system(&ev, (enum eh_system_slot)slot, values[slot], strlen(values[slot]));
	eh_event_add_field(&ev, "TargetUserName", 14, "alice", 5);
	eh_event_finish(&ev);
	ev.time = all ? 1 : 2;
	ev.event_id = 4624;
	eh_timeline_add(tl, &r1, &ev, eh_timeline_file(tl, "s.evtx"));
	eh_event_release(&ev);
}

Test(timeline, spilled_hits_keep_every_system_field)
{
	static char kept[4096], spilled[4096];
	struct eh_timeline tl;
	eh_timeline_init(&tl, 1 << 30);
	add_system(&tl, true);
	add_system(&tl, false);
	kept[0] = '\0';
	cr_assert_eq(eh_timeline_each(&tl, collect_system, kept), 0);
	eh_timeline_release(&tl);
	cr_assert(strstr(kept, "Level=0;Task=12544;Opcode=0;Keywords=0x8020000000000000;Version=2;") != NULL, "%s", kept);

	char dir[] = "/tmp/evtxhunt-test-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	eh_timeline_init(&tl, 1);
	eh_timeline_set_spill_dir(&tl, dir);
	add_system(&tl, true);
	add_system(&tl, false);
	cr_assert_gt(eh_timeline_spilled_runs(&tl), 0);
	spilled[0] = '\0';
	cr_assert_eq(eh_timeline_each(&tl, collect_system, spilled), 0);
	cr_assert_str_eq(spilled, kept);
	eh_timeline_release(&tl);
	cr_assert_eq(rmdir(dir), 0);
}
