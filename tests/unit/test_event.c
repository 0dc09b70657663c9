/* Events and times. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "evtxhunt/event.h"

Test(time, parse_and_format_round_trip)
{
	char out[48];
	int64_t t = eh_time_parse("2019-07-19T14:53:47.083068200Z");
	cr_assert_gt(t, 0);
	eh_time_format(t, out);
	cr_assert_str_eq(out, "2019-07-19T14:53:47.0830682Z", "100 ns is the record's full precision");
	eh_time_format(eh_time_parse("1601-01-01T00:00:00Z"), out);
	cr_assert_str_eq(out, "1601-01-01T00:00:00.0000000Z");
	eh_time_format(eh_time_parse("2024-02-29T23:59:59.9999999Z"), out);
	cr_assert_str_eq(out, "2024-02-29T23:59:59.9999999Z");
	eh_time_format(eh_time_parse("2019-07-19 14:53:47.056"), out);
	cr_assert_str_eq(out, "2019-07-19T14:53:47.0560000Z", "Sysmon UtcTime form");
}

Test(time, known_filetime)
{
	/* 2019-07-19T14:53:47Z as FILETIME: (1563548027 + 11644473600) * 10^7 */
	cr_assert_eq(eh_time_parse("2019-07-19T14:53:47Z"), (int64_t)(1563548027LL + 11644473600LL) * 10000000LL);
}

Test(time, rejects_garbage)
{
	cr_assert_eq(eh_time_parse(""), -1);
	cr_assert_eq(eh_time_parse("2019-13-01T00:00:00Z"), -1);
	cr_assert_eq(eh_time_parse("2019-07-19T14:53"), -1);
	cr_assert_eq(eh_time_parse("2019-07-19T14:53:47+02:00"), -1);
}

Test(event, fields_by_name_and_clone)
{
	struct eh_event ev;
	eh_event_init(&ev);
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_COMPUTER, "WS1", 3);
	eh_event_add_field(&ev, "Image", 5, "C:\\a.exe", 8);
	eh_event_add_field(&ev, "Empty", 5, "", 0);
	eh_event_add_field(&ev, "Nul", 3, "a\0b", 3);
	eh_event_finish(&ev);
	size_t len;
	cr_assert_str_eq(eh_event_get(&ev, "Image", &len), "C:\\a.exe");
	cr_assert_eq(len, 8);
	cr_assert_str_eq(eh_event_get(&ev, "Empty", &len), "");
	cr_assert_null(eh_event_get(&ev, "image", NULL), "names are case-sensitive");
	cr_assert_str_eq(ev.computer, "WS1");
	cr_assert_str_eq(ev.provider, "", "unset System values read as empty");
	struct eh_event *copy = eh_event_clone(&ev);
	eh_event_reset(&ev); /* the clone owns its storage */
	cr_assert_str_eq(copy->computer, "WS1");
	cr_assert_eq(memcmp(eh_event_get(copy, "Nul", &len), "a\0b", 3), 0);
	cr_assert_eq(len, 3);
	eh_event_free(copy);
	eh_event_release(&ev);
}

Test(event, system_fields_by_sigma_name)
{
	struct eh_event ev;
	eh_event_init(&ev);
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_PROVIDER, "P", 1);
	eh_event_set_system(&ev, EH_SYS_KEYWORDS, "0x8020000000000000", 18);
	eh_event_add_field(&ev, "Image", 5, "x", 1);
	ev.event_id = 4624;
	eh_event_finish(&ev);
	size_t len;
	cr_assert_str_eq(eh_event_get_system(&ev, "EventID", &len), "4624", "from the number when not given");
	cr_assert_eq(len, 4);
	cr_assert_str_eq(eh_event_get_system(&ev, "Provider_Name", NULL), "P");
	cr_assert_str_eq(eh_event_get_system(&ev, "Keywords", NULL), "0x8020000000000000");
	cr_assert_null(eh_event_get_system(&ev, "Level", NULL), "unset: absent");
	cr_assert_null(eh_event_get_system(&ev, "Image", NULL));
	cr_assert_null(eh_event_get(&ev, "EventID", NULL), "eh_event_get is the payload's");
	cr_assert_eq(ev.nsystem, 3);
	struct eh_event *copy = eh_event_clone(&ev);
	eh_event_reset(&ev);
	cr_assert_str_eq(eh_event_get_system(copy, "Keywords", NULL), "0x8020000000000000", "clones keep them");
	cr_assert_str_eq(eh_event_get_system(copy, "EventID", NULL), "4624");
	cr_assert_str_eq(copy->provider, "P");
	eh_event_free(copy);
	eh_event_release(&ev);
}

/* logsource's normalization rebuilds an event: eh_event_copy_system keeps
 * every System field (Level, Keywords ...), not just the four slots. */
Test(event, copy_system)
{
	struct eh_event in, out;
	eh_event_init(&in);
	eh_event_init(&out);
	eh_event_reset(&in);
	eh_event_set_system(&in, EH_SYS_LEVEL, "0", 1);
	eh_event_set_system(&in, EH_SYS_COMPUTER, "DC", 2);
	eh_event_finish(&in);
	eh_event_reset(&out);
	eh_event_copy_system(&out, &in);
	eh_event_finish(&out);
	cr_assert_str_eq(eh_event_get_system(&out, "Level", NULL), "0");
	cr_assert_str_eq(out.computer, "DC");
	eh_event_release(&in);
	eh_event_release(&out);
}
