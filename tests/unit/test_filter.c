/* filter.c: times as analysts write them, and what passes. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/filter.h"

#define SEC INT64_C(10000000)

static int64_t parse(const char *s, bool end)
{
	int64_t t;
	char *cause = NULL;
	int64_t now = eh_time_parse("2024-03-10T12:00:00Z");
	cr_assert_eq(eh_filter_parse_time(s, now, end, &t, &cause), 0, "%s: %s", s, cause ? cause : "");
	return t;
}

Test(time, absolute_forms)
{
	int64_t day = eh_time_parse("2024-03-01T00:00:00Z");
	cr_assert_eq(parse("2024-03-01", false), day);
	cr_assert_eq(parse("2024-03-01", true), day + 86400 * SEC - 1, "a bare date as an end: its whole day");
	cr_assert_eq(parse("2024-03-01T10:30", false), day + (10 * 3600 + 30 * 60) * SEC);
	cr_assert_eq(parse("2024-03-01T10:30Z", true), day + (10 * 3600 + 31 * 60) * SEC - 1);
	cr_assert_eq(parse("2024-03-01T10:30:05Z", false), day + (10 * 3600 + 30 * 60 + 5) * SEC);
	cr_assert_eq(parse("2024-03-01T10:30:05.5Z", false), day + (10 * 3600 + 30 * 60 + 5) * SEC + SEC / 2);
}

Test(time, relative_forms)
{
	int64_t now = eh_time_parse("2024-03-10T12:00:00Z");
	cr_assert_eq(parse("90s", false), now - 90 * SEC);
	cr_assert_eq(parse("30m", false), now - 1800 * SEC);
	cr_assert_eq(parse("24h", false), now - 86400 * SEC);
	cr_assert_eq(parse("7d", false), now - 7 * 86400 * SEC);
	cr_assert_eq(parse("2w", false), now - 14 * 86400 * SEC);
}

Test(time, refused)
{
	const char *bad[] = { "yesterday", "7", "7y", "-7d", "2024-13-01", "2024-03-01T25:00", "2024/03/01", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t;
		char *cause = NULL;
		cr_assert_eq(eh_filter_parse_time(bad[i], 0, false, &t, &cause), -1, "'%s' accepted", bad[i]);
		cr_assert(strstr(cause, "ISO-8601") != NULL);
		free(cause);
	}
}

Test(pass, records_by_write_time_with_a_margin)
{
	struct eh_filter f;
	eh_filter_init(&f);
	cr_assert(eh_filter_record_may_pass(&f, 0), "no range: everything");
	f.from = eh_time_parse("2024-03-03T00:00:00Z");
	f.to = eh_time_parse("2024-03-04T00:00:00Z");
	cr_assert(eh_filter_record_may_pass(&f, (uint64_t)(f.from - 3600 * SEC)), "written an hour early: kept");
	cr_assert(eh_filter_record_may_pass(&f, (uint64_t)(f.to + 23 * 3600 * SEC)), "a forwarded event, late");
	cr_assert_not(eh_filter_record_may_pass(&f, (uint64_t)(f.from - 25 * 3600 * SEC)));
	cr_assert_not(eh_filter_record_may_pass(&f, (uint64_t)(f.to + 25 * 3600 * SEC)));
	eh_filter_release(&f);
}

Test(pass, events_exactly)
{
	struct eh_filter f;
	eh_filter_init(&f);
	f.from = eh_time_parse("2024-03-03T00:00:00Z");
	f.to = eh_time_parse("2024-03-04T00:00:00Z");
	eh_filter_add_computer(&f, "ws01.corp");
	eh_filter_add_computer(&f, "DC01");
	struct eh_event ev;
	eh_event_init(&ev);
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_COMPUTER, "WS01.CORP", 9);
	eh_event_finish(&ev);
	ev.time = f.from;
	cr_assert(eh_filter_event_passes(&f, &ev), "bounds inclusive, computer in any case");
	ev.time = f.to + 1;
	cr_assert_not(eh_filter_event_passes(&f, &ev));
	ev.time = f.from;
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_COMPUTER, "WS02", 4);
	eh_event_finish(&ev);
	ev.time = f.from;
	cr_assert_not(eh_filter_event_passes(&f, &ev), "another computer");
	eh_event_release(&ev);
	eh_filter_release(&f);
}
