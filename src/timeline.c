/* Timeline of hits, with sorted runs spilled to disk past a limit. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evtxhunt/timeline.h"
#include "evtxhunt/util.h"

#define DEFAULT_LIMIT (32u << 20)

struct spill_run {
	off_t start, end; /* bytes of the spill file */
};

struct rule_count {
	const struct eh_rule *rule;
	uint64_t n;
};

void eh_timeline_init(struct eh_timeline *tl, size_t limit)
{
	memset(tl, 0, sizeof *tl);
	tl->limit = limit ? limit : DEFAULT_LIMIT;
}

void eh_timeline_set_spill_dir(struct eh_timeline *tl, const char *dir)
{
	tl->spill_dir = dir;
}

static void free_hits(struct eh_timeline *tl)
{
	for (size_t i = 0; i < tl->n; i++)
		eh_event_free(tl->hits[i].event);
	tl->n = 0;
	tl->bytes = 0;
}

void eh_timeline_release(struct eh_timeline *tl)
{
	free_hits(tl);
	free(tl->hits);
	for (size_t i = 0; i < tl->nfiles; i++)
		free(tl->files[i]);
	free(tl->files);
	if (tl->spill)
		fclose(tl->spill);
	free(tl->runs);
	free(tl->counts);
	free(tl->computers);
	eh_strset_free(&tl->computer_names);
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

static int timeline_cmp(const void *pa, const void *pb)
{
	const struct eh_hit *a = pa, *b = pb;
	if (a->event->time != b->event->time)
		return a->event->time < b->event->time ? -1 : 1;
	int c = a->file == b->file ? 0 : strcmp(a->file, b->file);
	if (c)
		return c;
	if (a->event->record_id != b->event->record_id)
		return a->event->record_id < b->event->record_id ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* ---- counts per rule ----------------------------------------------------- */

static size_t timeline_slot(const struct eh_rule *rule, size_t cap)
{
	return ((uintptr_t)rule >> 4) * 0x9E3779B97F4A7C15ull % cap;
}

static void timeline_count(struct eh_timeline *tl, const struct eh_rule *rule)
{
	if (2 * (tl->ncounts + 1) > tl->capcounts) { /* keep it at most half full */
		struct rule_count *old = tl->counts;
		size_t oldcap = tl->capcounts;
		tl->capcounts = oldcap ? oldcap * 2 : 64;
		tl->counts = xcalloc(tl->capcounts, sizeof *tl->counts);
		for (size_t i = 0; i < oldcap; i++) {
			if (old[i].rule == NULL)
				continue;
			size_t k = timeline_slot(old[i].rule, tl->capcounts);
			while (tl->counts[k].rule)
				k = (k + 1) % tl->capcounts;
			tl->counts[k] = old[i];
		}
		free(old);
	}
	size_t k = timeline_slot(rule, tl->capcounts);
	while (tl->counts[k].rule && tl->counts[k].rule != rule)
		k = (k + 1) % tl->capcounts;
	if (tl->counts[k].rule == NULL) {
		tl->counts[k].rule = rule;
		tl->ncounts++;
	}
	tl->counts[k].n++;
}

static void count_computer(struct eh_timeline *tl, const char *name)
{
	bool added;
	size_t i = eh_strset_add(&tl->computer_names, name ? name : "", &added);
	if (added) {
		tl->computers = xreallocarray(tl->computers, tl->ncomputers + 1, sizeof *tl->computers);
		tl->computers[tl->ncomputers++] = (struct computer_count){ tl->computer_names.strings[i], 0 };
	}
	tl->computers[i].n++;
}

size_t eh_timeline_computers(const struct eh_timeline *tl)
{
	return tl->ncomputers;
}

const struct computer_count *eh_timeline_computer(const struct eh_timeline *tl, size_t i)
{
	return &tl->computers[i];
}

uint64_t eh_timeline_rule_hits(const struct eh_timeline *tl, const struct eh_rule *rule)
{
	if (tl->capcounts == 0)
		return 0;
	size_t k = timeline_slot(rule, tl->capcounts);
	while (tl->counts[k].rule) {
		if (tl->counts[k].rule == rule)
			return tl->counts[k].n;
		k = (k + 1) % tl->capcounts;
	}
	return 0;
}

/* ---- spilling -------------------------------------------------------------- */

/* A hit on disk: the rule and file are pointers, valid for this process
 * only (the spill file is unlinked and private to it). */
static void put_str(struct buf *b, const char *s, size_t len)
{
	uint32_t n = (uint32_t)len;
	buf_add(b, &n, sizeof n);
	buf_add(b, s, len);
}

static void serialize(struct buf *b, const struct eh_hit *h)
{
	const struct eh_event *ev = h->event;
	size_t start = b->len;
	uint32_t size = 0;
	buf_add(b, &size, sizeof size);
	buf_add(b, &h->rule, sizeof h->rule);
	buf_add(b, &h->file, sizeof h->file);
	buf_add(b, &h->seq, sizeof h->seq);
	buf_add(b, &ev->time, sizeof ev->time);
	buf_add(b, &ev->record_id, sizeof ev->record_id);
	buf_add(b, &ev->event_id, sizeof ev->event_id);
	uint8_t recovered = ev->recovered;
	buf_add(b, &recovered, 1);
	/* the System fields that are set, each after its slot */
	uint8_t nsys = (uint8_t)ev->nsystem;
	buf_add(b, &nsys, 1);
	for (size_t i = 0; i < ev->nsystem; i++) {
		uint8_t slot = 0;
		while (slot < EH_SYS_COUNT && eh_system_names[slot] != ev->system[i].name)
			slot++;
		buf_add(b, &slot, 1);
		put_str(b, ev->system[i].value, ev->system[i].len);
	}
	uint32_t n = (uint32_t)ev->nfields;
	buf_add(b, &n, sizeof n);
	for (size_t i = 0; i < ev->nfields; i++) {
		put_str(b, ev->fields[i].name, strlen(ev->fields[i].name));
		put_str(b, ev->fields[i].value, ev->fields[i].len);
	}
	size = (uint32_t)(b->len - start);
	memcpy(b->data + start, &size, sizeof size);
}

static int timeline_spill(struct eh_timeline *tl)
{
	if (tl->spill == NULL) {
		const char *dir = tl->spill_dir;
		char *path = xasprintf("%s/evtxhunt-spill-XXXXXX", dir && *dir ? dir : "/tmp");
		int fd = mkstemp(path);
		if (fd >= 0)
			unlink(path); /* private, and gone however the run ends */
		free(path);
		if (fd < 0 || (tl->spill = fdopen(fd, "w+b")) == NULL) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
	}
	qsort(tl->hits, tl->n, sizeof *tl->hits, timeline_cmp);
	struct spill_run run;
	if (fseeko(tl->spill, 0, SEEK_END) != 0)
		return -1;
	run.start = ftello(tl->spill);
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < tl->n; i++) {
		serialize(&b, &tl->hits[i]);
		if (b.len > (1u << 20) || i + 1 == tl->n) {
			if (fwrite(b.data, 1, b.len, tl->spill) != b.len) {
				buf_free(&b);
				return -1;
			}
			buf_reset(&b);
		}
	}
	buf_free(&b);
	run.end = ftello(tl->spill);
	tl->runs = xreallocarray(tl->runs, tl->nruns + 1, sizeof *tl->runs);
	tl->runs[tl->nruns++] = run;
	free_hits(tl);
	return 0;
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
	struct eh_hit *h = &tl->hits[tl->n++];
	h->rule = rule;
	h->event = ev;
	h->file = file;
	h->seq = tl->total++;
	timeline_count(tl, rule);
	count_computer(tl, ev->computer);
	tl->bytes += sizeof *h + sizeof *ev + ev->arena.len + ev->nfields * sizeof *ev->fields;
	if (tl->bytes > tl->limit && timeline_spill(tl) != 0) {
		/* no room on disk either: keep the hits in memory and say so once */
		static int said;
		if (!said++)
			fprintf(stderr, "evtxhunt: cannot spill hits to a temporary file: %s; keeping them in memory\n",
				strerror(errno));
		tl->limit = SIZE_MAX;
	}
}

size_t eh_timeline_spilled_runs(const struct eh_timeline *tl)
{
	return tl->nruns;
}

/* ---- reading back ---------------------------------------------------------- */

struct reader {
	off_t pos, end;
	struct eh_event ev;
	struct eh_hit hit;
	bool have;
	struct buf raw;
};

static const uint8_t *timeline_take(const uint8_t **p, size_t n)
{
	const uint8_t *at = *p;
	*p += n;
	return at;
}

static int timeline_next(struct eh_timeline *tl, struct reader *r)
{
	uint32_t size;
	r->have = false;
	if (r->pos >= r->end)
		return 0;
	if (pread(fileno(tl->spill), &size, sizeof size, r->pos) != (ssize_t)sizeof size)
		return -1;
	buf_reset(&r->raw);
	buf_reserve(&r->raw, size);
	if (pread(fileno(tl->spill), r->raw.data, size, r->pos) != (ssize_t)size)
		return -1;
	r->pos += size;
	const uint8_t *p = (const uint8_t *)r->raw.data + sizeof size;
	memcpy(&r->hit.rule, timeline_take(&p, sizeof r->hit.rule), sizeof r->hit.rule);
	memcpy(&r->hit.file, timeline_take(&p, sizeof r->hit.file), sizeof r->hit.file);
	memcpy(&r->hit.seq, timeline_take(&p, sizeof r->hit.seq), sizeof r->hit.seq);
	eh_event_reset(&r->ev);
	memcpy(&r->ev.time, timeline_take(&p, sizeof r->ev.time), sizeof r->ev.time);
	memcpy(&r->ev.record_id, timeline_take(&p, sizeof r->ev.record_id), sizeof r->ev.record_id);
	memcpy(&r->ev.event_id, timeline_take(&p, sizeof r->ev.event_id), sizeof r->ev.event_id);
	r->ev.recovered = *timeline_take(&p, 1) != 0;
	uint8_t nsys = *timeline_take(&p, 1);
	for (uint8_t i = 0; i < nsys; i++) {
		uint8_t slot = *timeline_take(&p, 1);
		uint32_t len;
		memcpy(&len, timeline_take(&p, sizeof len), sizeof len);
		const char *value = (const char *)timeline_take(&p, len);
		if (slot < EH_SYS_COUNT)
			eh_event_set_system(&r->ev, (enum eh_system_slot)slot, value, len);
	}
	uint32_t n;
	memcpy(&n, timeline_take(&p, sizeof n), sizeof n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t nlen, vlen;
		memcpy(&nlen, timeline_take(&p, sizeof nlen), sizeof nlen);
		const char *name = (const char *)timeline_take(&p, nlen);
		memcpy(&vlen, timeline_take(&p, sizeof vlen), sizeof vlen);
		eh_event_add_field(&r->ev, name, nlen, (const char *)timeline_take(&p, vlen), vlen);
	}
	eh_event_finish(&r->ev);
	r->hit.event = &r->ev;
	r->have = true;
	return 0;
}

int eh_timeline_each(struct eh_timeline *tl, void (*fn)(const struct eh_hit *hit, void *user), void *user)
{
	if (tl->n > 1)
		qsort(tl->hits, tl->n, sizeof *tl->hits, timeline_cmp);
	if (tl->nruns == 0) {
		for (size_t i = 0; i < tl->n; i++)
			fn(&tl->hits[i], user);
		return 0;
	}
	int rc = 0;
	if (fflush(tl->spill) != 0)
		return -1;
	struct reader *r = xcalloc(tl->nruns, sizeof *r);
	for (size_t i = 0; i < tl->nruns && rc == 0; i++) {
		r[i].pos = tl->runs[i].start;
		r[i].end = tl->runs[i].end;
		eh_event_init(&r[i].ev);
		buf_init(&r[i].raw);
		rc = timeline_next(tl, &r[i]);
	}
	size_t mem = 0;
	while (rc == 0) {
		/* the smallest head of the runs and of what is still in memory */
		const struct eh_hit *best = mem < tl->n ? &tl->hits[mem] : NULL;
		size_t from = SIZE_MAX;
		for (size_t i = 0; i < tl->nruns; i++)
			if (r[i].have && (best == NULL || timeline_cmp(&r[i].hit, best) < 0)) {
				best = &r[i].hit;
				from = i;
			}
		if (best == NULL)
			break;
		fn(best, user);
		if (from == SIZE_MAX)
			mem++;
		else
			rc = timeline_next(tl, &r[from]);
	}
	for (size_t i = 0; i < tl->nruns; i++) {
		eh_event_release(&r[i].ev);
		buf_free(&r[i].raw);
	}
	free(r);
	return rc;
}
