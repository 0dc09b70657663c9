/* Log source mapping: which events a Sigma logsource means, and how their
 * fields become the names rules use. Tables, so the next log source is a
 * row away. */
#ifndef EVTXHUNT_LOGSOURCE_H
#define EVTXHUNT_LOGSOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "evtxhunt/event.h"

enum eh_field_transform {
	FT_COPY,
	FT_HEX_TO_DECIMAL, /* "0x1a2c" -> "6700" */
	FT_INTEGRITY,      /* mandatory label SID -> Low, Medium, High, System */
	FT_ACCOUNT,        /* DOMAIN\user from <source>DomainName and <source>UserName */
};

/* One field of the normalized event. FT_ACCOUNT takes a list of
 * prefixes ("Target|Subject"): the first whose user name is set wins. */
struct eh_field_map {
	const char *target;
	const char *source;
	enum eh_field_transform transform;
};

struct eh_logsource_row {
	const char *category; /* NULL: any */
	const char *product;
	const char *service;
	const char *provider; /* event provider (System/Provider/@Name) */
	uint32_t event_id;
	const struct eh_field_map *fields; /* NULL: names are already right */
	/* Fields (as rules name them) whose values are text in the record
	 * itself, UTF-16LE: only these may give the prefilter literals. */
	const char *const *text_fields;
	/* Every field its events can have, when that is known (NULL: not
	 * known, as Sysmon's schemas vary): a test on any other field can
	 * never hold, which the prefilter uses. */
	const char *const *known_fields;
};

/* Whether FIELD of ROW is stored as text in the record (see above). */
int eh_logsource_is_text_field(int row, const char *field);
/* Whether events of ROW can have FIELD at all (1 when not known). */
int eh_logsource_may_have_field(int row, const char *field);

extern const struct eh_logsource_row eh_logsource_table[];
extern const size_t eh_logsource_rows;

/* Bit mask of the rows a rule's logsource selects (NULL: not given). */
uint64_t eh_logsource_select(const char *category, const char *product, const char *service);
/* Row index for an event, or -1 when no row describes it. */
int eh_logsource_row_of(const char *provider, uint32_t event_id);

/* The event as rules of ROW see it: IN itself when the row maps nothing,
 * else OUT filled with the mapped fields first, then IN's other fields
 * under their own names. OUT is reused storage (eh_event_init'ed). */
const struct eh_event *eh_logsource_normalize(int row, const struct eh_event *in, struct eh_event *out);

#endif
