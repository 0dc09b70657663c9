/* Timeline: the hits of a run, sorted by event time, then file, then
 * record id. */
#ifndef EVTXHUNT_TIMELINE_H
#define EVTXHUNT_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "evtxhunt/event.h"
#include "evtxhunt/sigma.h"

struct eh_hit {
	const struct eh_rule *rule;
	struct eh_event *event; /* owned by the timeline */
	const char *file;       /* owned by the timeline */
	uint64_t seq;           /* arrival order: keeps the sort stable */
};

struct eh_timeline {
	struct eh_hit *hits;
	size_t n, cap;
	char **files;
	size_t nfiles;
};

void eh_timeline_init(struct eh_timeline *tl);
void eh_timeline_release(struct eh_timeline *tl);
/* Remembers FILE for the hits that follow (copied once per file). */
const char *eh_timeline_file(struct eh_timeline *tl, const char *file);
/* Adds a hit with a copy of EV; FILE comes from eh_timeline_file. */
void eh_timeline_add(struct eh_timeline *tl, const struct eh_rule *rule, const struct eh_event *ev, const char *file);
/* Adds a hit whose event the timeline takes over (no copy). */
void eh_timeline_add_owned(struct eh_timeline *tl, const struct eh_rule *rule, struct eh_event *ev, const char *file);
void eh_timeline_sort(struct eh_timeline *tl);

#endif
