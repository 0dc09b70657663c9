/* A normalized event: the System fields and every named field of the
 * record, as UTF-8 strings. Field names are as the provider writes them
 * (Sysmon's: Image, CommandLine, ...). */
#ifndef EVTXHUNT_EVENT_H
#define EVTXHUNT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evtxhunt/util.h"

struct eh_field {
	const char *name;
	const char *value;
	size_t len;
};

struct eh_event {
	uint64_t record_id;
	uint32_t event_id;
	int64_t time; /* 100 ns ticks since 1601-01-01 UTC (FILETIME) */
	bool recovered;
	const char *provider;
	const char *channel;
	const char *computer;
	const char *user_sid;
	struct eh_field *fields;
	size_t nfields;
	/* storage: fields point into the arena once the event is complete */
	size_t capfields;
	struct buf arena;
	size_t *offsets; /* name, value pairs while building */
	size_t sys_offsets[4];
};

enum eh_system_slot { EH_SYS_PROVIDER, EH_SYS_CHANNEL, EH_SYS_COMPUTER, EH_SYS_USER_SID };

void eh_event_init(struct eh_event *ev);
void eh_event_release(struct eh_event *ev);
void eh_event_reset(struct eh_event *ev);

/* Building: strings are copied into the arena; eh_event_finish turns the
 * offsets into pointers. */
void eh_event_add_field(struct eh_event *ev, const char *name, size_t nlen, const char *value, size_t vlen);
void eh_event_set_system(struct eh_event *ev, enum eh_system_slot slot, const char *value, size_t vlen);
void eh_event_finish(struct eh_event *ev);

/* The value of field NAME (case-sensitive, first match), or NULL. */
const char *eh_event_get(const struct eh_event *ev, const char *name, size_t *len);

/* A deep copy that owns its storage, for the timeline. */
struct eh_event *eh_event_clone(const struct eh_event *ev);
void eh_event_free(struct eh_event *ev);

/* "YYYY-MM-DDTHH:MM:SS[.fffffff]Z" to FILETIME ticks; -1 if unparsable. */
int64_t eh_time_parse(const char *s);
/* FILETIME ticks to "YYYY-MM-DDTHH:MM:SS.fffffffZ" (100 ns precision). */
void eh_time_format(int64_t ticks, char out[48]);

#endif
