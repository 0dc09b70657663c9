/* A normalized event: the System fields and every field of the record's
 * payload (EventData/Data by Name, UserData leaves by element name), as
 * UTF-8 strings. Field names are as the provider writes them (Sysmon's:
 * Image, CommandLine, ...); a name can occur several times (unnamed Data).
 * The System fields are apart (system[]), under Sigma's names (EventID,
 * Provider_Name, ...), so outputs that list the payload stay as they are. */
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

/* System fields; each is Sigma's name in eh_system_names. */
enum eh_system_slot {
	EH_SYS_PROVIDER,  /* Provider_Name */
	EH_SYS_CHANNEL,   /* Channel */
	EH_SYS_COMPUTER,  /* Computer */
	EH_SYS_USER_SID,  /* Security_UserID */
	EH_SYS_EVENT_ID,  /* EventID: from event_id when not set */
	EH_SYS_LEVEL,     /* Level */
	EH_SYS_TASK,      /* Task */
	EH_SYS_OPCODE,    /* Opcode */
	EH_SYS_KEYWORDS,  /* Keywords */
	EH_SYS_VERSION,   /* Version */
	EH_SYS_COUNT,
};
extern const char *const eh_system_names[EH_SYS_COUNT];

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
	/* the System fields that are set, under Sigma's names */
	struct eh_field system[EH_SYS_COUNT];
	size_t nsystem;
	/* storage: fields point into the arena once the event is complete */
	size_t capfields;
	struct buf arena;
	size_t *offsets; /* name, value pairs while building */
	size_t sys_offsets[EH_SYS_COUNT]; /* 0: unset */
};


void eh_event_init(struct eh_event *ev);
void eh_event_release(struct eh_event *ev);
void eh_event_reset(struct eh_event *ev);

/* Building: strings are copied into the arena; eh_event_finish turns the
 * offsets into pointers. */
void eh_event_add_field(struct eh_event *ev, const char *name, size_t nlen, const char *value, size_t vlen);
void eh_event_set_system(struct eh_event *ev, enum eh_system_slot slot, const char *value, size_t vlen);
void eh_event_finish(struct eh_event *ev);

/* Every System field of IN set in OUT (being built), for an event made
 * from another. */
void eh_event_copy_system(struct eh_event *out, const struct eh_event *in);

/* The value of payload field NAME (case-sensitive, first of a repeated
 * name: outputs show one value), or NULL. The matcher sees every value. */
const char *eh_event_get(const struct eh_event *ev, const char *name, size_t *len);
/* The value of System field NAME (Sigma's name: EventID ...), or NULL. */
const char *eh_event_get_system(const struct eh_event *ev, const char *name, size_t *len);

/* A deep copy that owns its storage, for the timeline. */
struct eh_event *eh_event_clone(const struct eh_event *ev);
void eh_event_free(struct eh_event *ev);

/* "YYYY-MM-DDTHH:MM:SS[.fffffff]Z" to FILETIME ticks; -1 if unparsable. */
int64_t eh_time_parse(const char *s);
/* FILETIME ticks to "YYYY-MM-DDTHH:MM:SS.fffffffZ" (100 ns precision). */
void eh_time_format(int64_t ticks, char out[48]);

#endif
