/* Event filters for sweeps: a time range and computer names. The time
 * range is checked twice: on the record header's written time before a
 * record is parsed (with a margin, since forwarded events are written
 * after they happen), which lets whole chunks and most records be skipped
 * unparsed, and exactly on the event's TimeCreated after. */
#ifndef EVTXHUNT_FILTER_H
#define EVTXHUNT_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evtxhunt/event.h"

/* How far a record's written time may lie from its TimeCreated and still
 * be parsed: a record written outside [from - margin, to + margin] is
 * skipped unparsed. */
#define EH_FILTER_MARGIN_TICKS (INT64_C(24) * 3600 * 10000000)

struct eh_filter {
	int64_t from, to; /* FILETIME ticks, inclusive; INT64_MIN/INT64_MAX: open */
	char **computers; /* NULL-terminated, compared case-insensitively; NULL: any */
	size_t ncomputers;
};

void eh_filter_init(struct eh_filter *f);
void eh_filter_release(struct eh_filter *f);
bool eh_filter_active(const struct eh_filter *f);
bool eh_filter_has_time(const struct eh_filter *f);

/* Parses an ISO-8601 UTC time (2024-03-01, 2024-03-01T10:00, ...:SS[.fffffff][Z])
 * or a time relative to NOW (FILETIME ticks): "90s", "30m", "24h", "7d",
 * "2w" ago. An end given as a bare date means the end of that day
 * (END_OF_DAY). Returns 0, or -1 with *CAUSE set (caller frees). */
int eh_filter_parse_time(const char *s, int64_t now, bool end_of_day, int64_t *out, char **cause);
void eh_filter_add_computer(struct eh_filter *f, const char *name);

/* Whether a record written at WRITTEN_TIME may hold an event in range. */
bool eh_filter_record_may_pass(const struct eh_filter *f, uint64_t written_time);
bool eh_filter_event_passes(const struct eh_filter *f, const struct eh_event *ev);

/* FILETIME ticks now. */
int64_t eh_filetime_now(void);

#endif
