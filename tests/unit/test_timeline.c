/* Timeline order: time, then file, then record id, stable. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "evtxhunt/timeline.h"

static void add(struct eh_timeline *tl, const struct eh_rule *rule, int64_t time, uint64_t rid, const char *file)
{
	struct eh_event ev;
	eh_event_init(&ev);
	eh_event_reset(&ev);
	eh_event_finish(&ev);
	ev.time = time;
	ev.record_id = rid;
	eh_timeline_add(tl, rule, &ev, eh_timeline_file(tl, file));
	eh_event_release(&ev);
}

Test(timeline, sorted_by_time_file_record)
{
	struct eh_rule r1 = { .title = "one" }, r2 = { .title = "two" };
	struct eh_timeline tl;
	eh_timeline_init(&tl);
	add(&tl, &r1, 300, 1, "b.evtx");
	add(&tl, &r1, 100, 9, "b.evtx");
	add(&tl, &r1, 100, 2, "b.evtx");
	add(&tl, &r1, 100, 5, "a.evtx");
	add(&tl, &r2, 100, 5, "a.evtx");
	eh_timeline_sort(&tl);
	cr_assert_eq(tl.n, 5);
	cr_assert_str_eq(tl.hits[0].file, "a.evtx");
	cr_assert_eq(tl.hits[0].rule, &r1, "same event, two rules: arrival order");
	cr_assert_eq(tl.hits[1].rule, &r2);
	cr_assert_eq(tl.hits[2].event->record_id, 2);
	cr_assert_eq(tl.hits[3].event->record_id, 9);
	cr_assert_eq(tl.hits[4].event->time, 300);
	eh_timeline_release(&tl);
}
