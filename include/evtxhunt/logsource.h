/* Log source mapping: which events a Sigma logsource means, and how their
 * fields become the names rules use. Tables, so the next log source is a
 * row away. */
#ifndef EVTXHUNT_LOGSOURCE_H
#define EVTXHUNT_LOGSOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* Any event id (a service's rows, and product windows alone). */
#define EH_LOGSOURCE_ANY_ID UINT32_MAX

/* One kind of event a Sigma logsource means. An event belongs to every
 * row that holds for it: Sysmon 13 is registry_set, registry_event and
 * service sysmon at once. Rows are keyed by channel, not provider: the
 * Security channel has events of other providers (1102, Eventlog). */
struct eh_logsource_row {
	const char *category; /* exactly one of category and service is set, */
	const char *service;  /* or neither: product windows alone */
	const char *channel;  /* System/Channel; NULL: any */
	const char *provider; /* System/Provider/@Name when it matters; NULL: any */
	uint32_t event_id;    /* EH_LOGSOURCE_ANY_ID: any */
	/* the extra condition: FIELD (of EventData) is one of VALUES (any
	 * case); NULL: none */
	const char *cond_field;
	const char *const *cond_values;
	const struct eh_field_map *fields; /* NULL: names are already right */
	/* Fields (as rules name them) whose values are text in the record
	 * itself, UTF-16LE: only these may give the prefilter literals.
	 * NULL: none known, so a rule gets none from this row. */
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

/* Row sets are bitsets of eh_logsource_words() words, a bit per row.
 * NULL is the empty set. */
size_t eh_logsource_words(void);
bool eh_rowset_has(const uint64_t *set, size_t row);
bool eh_rowset_empty(const uint64_t *set);
bool eh_rowset_meets(const uint64_t *a, const uint64_t *b);

/* The rows a rule's logsource selects (NULL fields: not given), never
 * NULL; empty when none. Shared: the same logsource gives the same set,
 * which lives as long as the process. */
const uint64_t *eh_logsource_select(const char *category, const char *product, const char *service);
/* Why a logsource selects no row, as a sentence (static storage or BUF);
 * NULL when it selects some. */
const char *eh_logsource_unmapped_reason(const char *category, const char *product, const char *service,
					 char *buf, size_t size);
/* Fills ROWS (eh_logsource_words() words) with the rows that hold for EV
 * (channel, provider, event id and extra condition). Returns whether any. */
bool eh_logsource_rows_of(const struct eh_event *ev, uint64_t *rows);
/* Whether some row of WANTED can hold for an event with EVENT_ID, whatever
 * its channel: the test before a record is rendered. */
bool eh_logsource_may_want(const uint64_t *wanted, uint32_t event_id);

/* Writes the table as Markdown: logsource, channels, event ids, extra
 * condition (--list-logsources, and README's "Log sources"). */
void eh_logsource_list(FILE *out);

/* The event as rules of ROW see it: IN itself when the row maps nothing,
 * else OUT filled with the mapped fields first, then IN's other fields
 * under their own names. OUT is reused storage (eh_event_init'ed). */
const struct eh_event *eh_logsource_normalize(int row, const struct eh_event *in, struct eh_event *out);

#endif
