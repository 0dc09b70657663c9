/* Key fields: what is worth showing of a hit, by the log source of its
 * rule. One table (data, in keyfields.c) gives each log source's fields:
 * rows keyed by the rule's logsource category, or by its service and,
 * for security and system, by event id. A hit no row knows shows the
 * fields its rule tested, then the rest of the event's, in order. */
#ifndef EVTXHUNT_KEYFIELDS_H
#define EVTXHUNT_KEYFIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "evtxhunt/event.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/util.h"

#define EH_KEYFIELDS_MAX 64 /* a hit shows at most this many fields */

struct eh_keyfields {
	const char *kind; /* the table row ("process_creation", "security logon", ...) or "other" */
	bool process;     /* process creation: the table's process layout and CSV's process columns */
	bool fallback;    /* no row: the tested fields, then the rest */
	size_t n;
	size_t field[EH_KEYFIELDS_MAX]; /* indexes into the event's fields, present ones only */
};

/* The key fields of EV as a hit of RULE. */
void eh_keyfields_of(const struct eh_rule *rule, const struct eh_event *ev, struct eh_keyfields *kf);

/* Appends "Name: value ¦ Name: value" (U+00A6 between pairs), raw: the
 * caller escapes it for where it goes. A value longer than CUT
 * characters (0: no limit) is cut with an ellipsis. */
void eh_keyfields_details(struct buf *out, const struct eh_event *ev, const struct eh_keyfields *kf, size_t cut);

/* The field names RULE tests, each once, in the order of its detection
 * (read from the compiled body); NAMES point into the rule. */
size_t eh_rule_tested_fields(const struct eh_rule *rule, const char **names, size_t max);

/* Gives RULE (without a body: rebuilt from JSON lines by merge.c) a body
 * that tests nothing and names FIELDS, so eh_rule_tested_fields answers as
 * for the rule that was compiled. Takes FIELDS and its strings over. */
void eh_rule_set_tested_fields(struct eh_rule *rule, char **fields, size_t n);

#endif
