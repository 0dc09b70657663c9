/* Timeline of hits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "evtxhunt/timeline.h"
#include "evtxhunt/util.h"

void eh_timeline_init(struct eh_timeline *tl)
{
	memset(tl, 0, sizeof *tl);
}

void eh_timeline_release(struct eh_timeline *tl)
{
	for (size_t i = 0; i < tl->n; i++)
		eh_event_free(tl->hits[i].event);
	free(tl->hits);
	for (size_t i = 0; i < tl->nfiles; i++)
		free(tl->files[i]);
	free(tl->files);
	memset(tl, 0, sizeof *tl);
}

const char *eh_timeline_file(struct eh_timeline *tl, const char *file)
{
	if (tl->nfiles && strcmp(tl->files[tl->nfiles - 1], file) == 0)
		return tl->files[tl->nfiles - 1];
	tl->files = xreallocarray(tl->files, tl->nfiles + 1, sizeof *tl->files);
	tl->files[tl->nfiles] = xstrdup(file);
	return tl->files[tl->nfiles++];
}

void eh_timeline_add(struct eh_timeline *tl, const struct eh_rule *rule, const struct eh_event *ev, const char *file)
{
	eh_timeline_add_owned(tl, rule, eh_event_clone(ev), file);
}

void eh_timeline_add_owned(struct eh_timeline *tl, const struct eh_rule *rule, struct eh_event *ev, const char *file)
{
	if (tl->n == tl->cap) {
		tl->cap = tl->cap ? tl->cap * 2 : 64;
		tl->hits = xreallocarray(tl->hits, tl->cap, sizeof *tl->hits);
	}
	struct eh_hit *h = &tl->hits[tl->n];
	h->rule = rule;
	h->event = ev;
	h->file = file;
	h->seq = tl->n++;
}

static int _cmp(const void *pa, const void *pb)
{
	const struct eh_hit *a = pa, *b = pb;
	if (a->event->time != b->event->time)
		return a->event->time < b->event->time ? -1 : 1;
	int c = strcmp(a->file, b->file);
	if (c)
		return c;
	if (a->event->record_id != b->event->record_id)
		return a->event->record_id < b->event->record_id ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void eh_timeline_sort(struct eh_timeline *tl)
{
	if (tl->n > 1)
		qsort(tl->hits, tl->n, sizeof *tl->hits, _cmp);
}
