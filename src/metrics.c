/* Log metrics and integrity findings. Events arrive one log after another
 * (the scan runs on one thread when every event is asked for), live
 * records in the order of the log's chunks, recovered ones among them. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evtxhunt/metrics.h"
#include "evtxhunt/output.h"
#include "evtxhunt/report.h"

static const char *const kind_names[EH_FINDING_KINDS] = {
	"log-cleared", "service-stopped", "service-started", "record-gap", "time-backwards", "recovered-only",
	"reader-damage",
};

const char *eh_finding_kind_name(enum eh_finding_kind kind)
{
	return kind < EH_FINDING_KINDS ? kind_names[kind] : "?";
}

void eh_metrics_init(struct eh_metrics *m)
{
	memset(m, 0, sizeof *m);
}

static void computer_release(struct eh_metrics_computer *c)
{
	free(c->name);
	free(c->spans);
	free(c->logs);
}

void eh_metrics_release(struct eh_metrics *m)
{
	for (size_t i = 0; i < m->nlogs; i++) {
		struct eh_metrics_log *l = &m->logs[i];
		free(l->file);
		for (size_t j = 0; j < l->nchannels; j++)
			free(l->channels[j]);
		free(l->channels);
		for (size_t j = 0; j < l->ncomputers; j++)
			computer_release(&l->computers[j]);
		free(l->computers);
		free(l->ids);
		free(l->id_slots);
		free(l->live);
		free(l->live_time);
		free(l->recovered_ids);
	}
	free(m->logs);
	for (size_t i = 0; i < m->ncomputers; i++)
		computer_release(&m->computers[i]);
	free(m->computers);
	for (size_t i = 0; i < m->nfindings; i++)
		free(m->findings[i].what);
	free(m->findings);
	memset(m, 0, sizeof *m);
}

static void add_finding(struct eh_metrics *m, enum eh_finding_kind kind, const char *file, uint64_t record,
			int64_t time, uint64_t record2, int64_t time2, char *what)
{
	if (m->nfindings == m->capfindings) {
		m->capfindings = m->capfindings ? 2 * m->capfindings : 16;
		m->findings = xreallocarray(m->findings, m->capfindings, sizeof *m->findings);
	}
	m->findings[m->nfindings] = (struct eh_finding){ kind, file, record, record2, time, time2, what, m->nfindings };
	m->nfindings++;
}

bool eh_finding_has_record(enum eh_finding_kind kind)
{
	return kind != EH_FINDING_DAMAGE;
}

static struct eh_metrics_log *log_of(struct eh_metrics *m, const char *file)
{
	if (m->nlogs && strcmp(m->logs[m->nlogs - 1].file, file) == 0)
		return &m->logs[m->nlogs - 1];
	for (size_t i = 0; i < m->nlogs; i++) /* a log met again (not in a scan: tests) */
		if (strcmp(m->logs[i].file, file) == 0)
			return &m->logs[i];
	m->logs = xreallocarray(m->logs, m->nlogs + 1, sizeof *m->logs);
	struct eh_metrics_log *l = &m->logs[m->nlogs++];
	memset(l, 0, sizeof *l);
	l->file = xstrdup(file);
	l->first = l->last = -1;
	return l;
}

/* Counts EVENT_ID in L's table (open addressing over IDS, +1; 0: free). */
static void count_id(struct eh_metrics_log *l, uint32_t event_id)
{
	if (2 * (l->nids + 1) > l->capslots) {
		size_t cap = l->capslots ? 2 * l->capslots : 64;
		free(l->id_slots);
		l->id_slots = xcalloc(cap, sizeof *l->id_slots);
		l->capslots = cap;
		for (size_t i = 0; i < l->nids; i++) {
			size_t s = (l->ids[i].event_id * 2654435761u) & (cap - 1);
			while (l->id_slots[s])
				s = (s + 1) & (cap - 1);
			l->id_slots[s] = i + 1;
		}
	}
	size_t s = (event_id * 2654435761u) & (l->capslots - 1);
	for (; l->id_slots[s]; s = (s + 1) & (l->capslots - 1))
		if (l->ids[l->id_slots[s] - 1].event_id == event_id) {
			l->ids[l->id_slots[s] - 1].n++;
			return;
		}
	if (l->nids == l->capids) {
		l->capids = l->capids ? 2 * l->capids : 32;
		l->ids = xreallocarray(l->ids, l->capids, sizeof *l->ids);
	}
	l->ids[l->nids] = (struct eh_count_id){ event_id, 1 };
	l->id_slots[s] = ++l->nids;
}

static void add_span(struct eh_metrics_computer *c, int64_t t)
{
	if (c->nspans) {
		struct eh_span *s = &c->spans[c->nspans - 1];
		if (t >= s->first - EH_METRICS_COVERAGE_JOIN && t <= s->last + EH_METRICS_COVERAGE_JOIN) {
			if (t < s->first)
				s->first = t;
			if (t > s->last)
				s->last = t;
			return;
		}
	}
	if (c->nspans == c->capspans) {
		c->capspans = c->capspans ? 2 * c->capspans : 4;
		c->spans = xreallocarray(c->spans, c->capspans, sizeof *c->spans);
	}
	c->spans[c->nspans++] = (struct eh_span){ t, t };
}

static struct eh_metrics_computer *computer_of(struct eh_metrics_log *l, const char *name)
{
	for (size_t i = l->ncomputers; i-- > 0;)
		if (strcmp(l->computers[i].name, name) == 0)
			return &l->computers[i];
	l->computers = xreallocarray(l->computers, l->ncomputers + 1, sizeof *l->computers);
	struct eh_metrics_computer *c = &l->computers[l->ncomputers++];
	memset(c, 0, sizeof *c);
	c->name = xstrdup(name);
	c->first = c->last = -1;
	return c;
}

static void note_channel(struct eh_metrics_log *l, const char *channel)
{
	for (size_t i = 0; i < l->nchannels; i++)
		if (strcmp(l->channels[i], channel) == 0)
			return;
	l->channels = xreallocarray(l->channels, l->nchannels + 1, sizeof *l->channels);
	l->channels[l->nchannels++] = xstrdup(channel);
}

/* Live record ID of L: extends the last range of ids or starts one. */
static void note_live(struct eh_metrics_log *l, uint64_t id, int64_t t)
{
	if (l->nlive) {
		struct eh_span *r = &l->live[l->nlive - 1];
		if ((uint64_t)r->last + 1 == id) {
			r->last = (int64_t)id;
			l->live_time[2 * (l->nlive - 1) + 1] = t;
			return;
		}
		if (id >= (uint64_t)r->first && id <= (uint64_t)r->last)
			return; /* met again (a repaired frame): nothing new */
	}
	if (l->nlive == l->caplive) {
		l->caplive = l->caplive ? 2 * l->caplive : 8;
		l->live = xreallocarray(l->live, l->caplive, sizeof *l->live);
		l->live_time = xreallocarray(l->live_time, 2 * l->caplive, sizeof *l->live_time);
	}
	l->live[l->nlive] = (struct eh_span){ (int64_t)id, (int64_t)id };
	l->live_time[2 * l->nlive] = l->live_time[2 * l->nlive + 1] = t;
	l->nlive++;
}

static bool is_eventlog(const struct eh_event *ev)
{
	return ev->provider && strcasestr(ev->provider, "eventlog") != NULL;
}

/* The event log's own events: a log cleared, the service stopping or
 * starting. Returns the kind, or EH_FINDING_KINDS for any other event. */
static enum eh_finding_kind service_event(const struct eh_event *ev, const char **what)
{
	if (!is_eventlog(ev))
		return EH_FINDING_KINDS;
	switch (ev->event_id) {
	case 1102: *what = "the audit log was cleared (1102)"; return EH_FINDING_CLEARED;
	case 104: *what = "a log was cleared (104)"; return EH_FINDING_CLEARED;
	case 1100: *what = "the event logging service shut down (1100)"; return EH_FINDING_SERVICE_STOP;
	case 6006: *what = "the event log service was stopped (6006)"; return EH_FINDING_SERVICE_STOP;
	case 6005: *what = "the event log service was started (6005)"; return EH_FINDING_SERVICE_START;
	default: return EH_FINDING_KINDS;
	}
}

void eh_metrics_damage(const char *file, const char *what, void *user)
{
	struct eh_metrics *m = user;
	struct eh_metrics_log *l = log_of(m, file); /* a log all damage is a log too */
	add_finding(m, EH_FINDING_DAMAGE, l->file, 0, -1, 0, -1, xstrdup(what));
}

void eh_metrics_event(const struct eh_event *ev, const char *file, void *user)
{
	struct eh_metrics *m = user;
	struct eh_metrics_log *l = log_of(m, file);
	int64_t t = ev->time;
	if (ev->recovered)
		l->recovered++;
	else
		l->records++;
	if (t >= 0) {
		if (l->first < 0 || t < l->first)
			l->first = t;
		if (t > l->last)
			l->last = t;
	}
	note_channel(l, ev->channel ? ev->channel : "");
	struct eh_metrics_computer *c = computer_of(l, ev->computer ? ev->computer : "");
	c->records++;
	if (t >= 0) {
		if (c->first < 0 || t < c->first)
			c->first = t;
		if (t > c->last)
			c->last = t;
		add_span(c, t);
	}
	count_id(l, ev->event_id);

	const char *what;
	enum eh_finding_kind kind = service_event(ev, &what);
	if (kind != EH_FINDING_KINDS) {
		struct buf b;
		buf_init(&b);
		buf_adds(&b, what);
		const char *by = eh_event_get(ev, "SubjectUserName", NULL);
		const char *dom = eh_event_get(ev, "SubjectDomainName", NULL);
		const char *chan = ev->event_id == 104 ? eh_event_get(ev, "Channel", NULL) : NULL;
		if (chan && *chan)
			buf_addf(&b, ": %s", chan);
		if (by && *by)
			buf_addf(&b, " by %s%s%s", dom && *dom ? dom : "", dom && *dom ? "\\" : "", by);
		if (ev->recovered)
			buf_adds(&b, " (a recovered record)");
		add_finding(m, kind, l->file, ev->record_id, t, 0, -1, buf_steal(&b));
	}

	if (ev->recovered) {
		if (l->nrecovered == l->caprecovered) {
			l->caprecovered = l->caprecovered ? 2 * l->caprecovered : 8;
			l->recovered_ids = xreallocarray(l->recovered_ids, l->caprecovered, sizeof *l->recovered_ids);
		}
		l->recovered_ids[l->nrecovered].id = ev->record_id;
		l->recovered_ids[l->nrecovered++].time = t;
		return;
	}
	if (l->have_prev && ev->record_id == l->prev_id + 1 && t >= 0 && l->prev_time >= 0 &&
	    l->prev_time - t > EH_METRICS_BACKWARDS) {
		char a[48], b[48];
		eh_time_format(l->prev_time, a);
		eh_time_format(t, b);
		add_finding(m, EH_FINDING_TIME_BACKWARDS, l->file, ev->record_id, t, l->prev_id, l->prev_time,
			    xasprintf("time goes back %.0f s: record %" PRIu64 " at %s follows record %" PRIu64 " at %s",
				      (double)(l->prev_time - t) / 1e7, ev->record_id, b, l->prev_id, a));
	}
	l->have_prev = true;
	l->prev_id = ev->record_id;
	l->prev_time = t;
	note_live(l, ev->record_id, t);
}

/* qsort, but not on an empty array (which may be NULL: qsort's base must
 * not be, even for no elements). */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static int string_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int span_cmp(const void *a, const void *b)
{
	const struct eh_span *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first ? 1 : (x->last > y->last) - (x->last < y->last);
}

/* Sorts and joins spans closer than JOIN. */
static size_t join_spans(struct eh_span *s, size_t n, int64_t join)
{
	if (n == 0)
		return 0;
	sort(s, n, sizeof *s, span_cmp);
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		if (s[i].first <= s[k].last + join) {
			if (s[i].last > s[k].last)
				s[k].last = s[i].last;
		} else {
			s[++k] = s[i];
		}
	}
	return k + 1;
}

struct live_range {
	uint64_t first, last;
	int64_t tfirst, tlast;
};

static int live_cmp(const void *a, const void *b)
{
	const struct live_range *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int recovered_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b; /* the id leads each entry */
	return (x > y) - (x < y);
}

static bool in_ranges(const struct live_range *r, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].last < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && r[lo].first <= id;
}

/* Record-id gaps between the live ranges of L, and its recovered records
 * that have no live copy. */
static void log_findings(struct eh_metrics *m, struct eh_metrics_log *l)
{
	size_t n = l->nlive;
	struct live_range *r = xcalloc(n ? n : 1, sizeof *r);
	for (size_t i = 0; i < n; i++)
		r[i] = (struct live_range){ (uint64_t)l->live[i].first, (uint64_t)l->live[i].last, l->live_time[2 * i],
					    l->live_time[2 * i + 1] };
	sort(r, n, sizeof *r, live_cmp);
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		if (r[i].first <= r[k].last + 1) {
			if (r[i].last > r[k].last) {
				r[k].last = r[i].last;
				r[k].tlast = r[i].tlast;
			}
		} else {
			r[++k] = r[i];
		}
	}
	n = n ? k + 1 : 0;
	for (size_t i = 0; !m->partial && i + 1 < n; i++) {
		uint64_t from = r[i].last + 1, to = r[i + 1].first - 1;
		char a[48], b[48];
		eh_time_format(r[i].tlast, a);
		eh_time_format(r[i + 1].tfirst, b);
		char *what = from == to ? xasprintf("record %" PRIu64 " is missing, between %s and %s", from, a, b)
					: xasprintf("records %" PRIu64 " to %" PRIu64 " (%" PRIu64 ") are missing, between %s and %s",
						    from, to, to - from + 1, a, b);
		add_finding(m, EH_FINDING_RECORD_GAP, l->file, r[i].last, r[i].tlast, r[i + 1].first, r[i + 1].tfirst,
			    what);
	}
	/* recovered ids with no live copy, runs of consecutive ids as one */
	sort(l->recovered_ids, l->nrecovered, sizeof *l->recovered_ids, recovered_cmp);
	for (size_t i = 0; !m->partial && i < l->nrecovered;) {
		uint64_t id = l->recovered_ids[i].id;
		if (in_ranges(r, n, id)) {
			i++;
			continue;
		}
		size_t j = i + 1;
		uint64_t last = id;
		for (; j < l->nrecovered && l->recovered_ids[j].id <= last + 1 && !in_ranges(r, n, l->recovered_ids[j].id); j++)
			last = l->recovered_ids[j].id;
		char *what = last == id ? xasprintf("record %" PRIu64 " was recovered from slack space and has no live copy "
						    "(a deleted or overwritten record)", id)
					: xasprintf("records %" PRIu64 " to %" PRIu64 " were recovered from slack space and have no "
						    "live copy (deleted or overwritten records)", id, last);
		add_finding(m, EH_FINDING_RECOVERED_ONLY, l->file, id, l->recovered_ids[i].time, last,
			    l->recovered_ids[j - 1].time, what);
		i = j;
	}
	free(r);
}

static int id_cmp(const void *a, const void *b)
{
	const struct eh_count_id *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return (x->event_id > y->event_id) - (x->event_id < y->event_id);
}

static int computer_cmp(const void *a, const void *b)
{
	return strcmp(((const struct eh_metrics_computer *)a)->name, ((const struct eh_metrics_computer *)b)->name);
}

static int finding_cmp(const void *a, const void *b)
{
	const struct eh_finding *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	/* a file's damage first, in the order the reader met it: its place is in its text */
	bool xr = eh_finding_has_record(x->kind), yr = eh_finding_has_record(y->kind);
	if (xr != yr)
		return xr ? 1 : -1;
	if (x->record != y->record)
		return x->record < y->record ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

void eh_metrics_finish(struct eh_metrics *m)
{
	if (m->finished)
		return;
	m->finished = true;
	for (size_t i = 0; i < m->nlogs; i++) {
		struct eh_metrics_log *l = &m->logs[i];
		log_findings(m, l);
		sort(l->ids, l->nids, sizeof *l->ids, id_cmp);
		sort(l->channels, l->nchannels, sizeof *l->channels, string_cmp);
		for (size_t j = 0; j < l->ncomputers; j++) {
			struct eh_metrics_computer *lc = &l->computers[j], *c = NULL;
			for (size_t k = 0; k < m->ncomputers && !c; k++)
				if (strcmp(m->computers[k].name, lc->name) == 0)
					c = &m->computers[k];
			if (c == NULL) {
				m->computers = xreallocarray(m->computers, m->ncomputers + 1, sizeof *m->computers);
				c = &m->computers[m->ncomputers++];
				memset(c, 0, sizeof *c);
				c->name = xstrdup(lc->name);
				c->first = c->last = -1;
			}
			c->records += lc->records;
			if (lc->first >= 0 && (c->first < 0 || lc->first < c->first))
				c->first = lc->first;
			if (lc->last > c->last)
				c->last = lc->last;
			c->spans = xreallocarray(c->spans, c->nspans + lc->nspans + 1, sizeof *c->spans);
			if (lc->nspans)
				memcpy(c->spans + c->nspans, lc->spans, lc->nspans * sizeof *c->spans);
			c->nspans += lc->nspans;
			c->logs = xreallocarray(c->logs, c->nlogs + 1, sizeof *c->logs);
			c->logs[c->nlogs++] = i;
		}
	}
	for (size_t k = 0; k < m->ncomputers; k++) {
		struct eh_metrics_computer *c = &m->computers[k];
		c->nspans = join_spans(c->spans, c->nspans, EH_METRICS_COVERAGE_JOIN);
	}
	sort(m->computers, m->ncomputers, sizeof *m->computers, computer_cmp);
	sort(m->findings, m->nfindings, sizeof *m->findings, finding_cmp);
}

/* ---- output ---------------------------------------------------------------- */

static void time_or_dash(int64_t t, char out[48])
{
	if (t < 0)
		strcpy(out, "-");
	else
		eh_time_format(t, out);
}

void eh_metrics_summary(FILE *out, const struct eh_metrics *m, size_t top)
{
	struct buf b, line;
	buf_init(&b);
	buf_init(&line);
	char a[48], z[48];
	for (size_t i = 0; i < m->nlogs; i++) {
		const struct eh_metrics_log *l = &m->logs[i];
		time_or_dash(l->first, a);
		time_or_dash(l->last, z);
		buf_reset(&b);
		buf_addf(&b, "%" PRIu64 " records, %" PRIu64 " recovered, %s to %s, channels ", l->records, l->recovered, a, z);
		for (size_t j = 0; j < l->nchannels; j++)
			buf_addf(&b, "%s%s", j ? ", " : "", *l->channels[j] ? l->channels[j] : "(none)");
		buf_adds(&b, "; computers ");
		for (size_t j = 0; j < l->ncomputers; j++)
			buf_addf(&b, "%s%s", j ? ", " : "", *l->computers[j].name ? l->computers[j].name : "(none)");
		buf_adds(&b, "; event ids");
		for (size_t j = 0; j < l->nids && j < top; j++)
			buf_addf(&b, " %" PRIu32 ":%" PRIu64, l->ids[j].event_id, l->ids[j].n);
		if (l->nids > top)
			buf_addf(&b, " and %zu more ids", l->nids - top);
		buf_reset(&line);
		eh_report_line(&line, "metrics", l->file, b.data);
		fputs(line.data, out);
	}
	for (size_t i = 0; i < m->ncomputers; i++) {
		const struct eh_metrics_computer *c = &m->computers[i];
		time_or_dash(c->first, a);
		time_or_dash(c->last, z);
		buf_reset(&b);
		buf_addf(&b, "%" PRIu64 " records in %zu logs, %s to %s in %zu stretches", c->records, c->nlogs, a, z,
			 c->nspans);
		buf_reset(&line);
		char *label = xasprintf("computer %s", *c->name ? c->name : "(none)");
		eh_report_line(&line, "metrics", label, b.data);
		free(label);
		fputs(line.data, out);
	}
	for (size_t i = 0; i < m->nfindings; i++) {
		const struct eh_finding *f = &m->findings[i];
		time_or_dash(f->time, a);
		buf_reset(&b);
		if (eh_finding_has_record(f->kind))
			buf_addf(&b, "%s: record %" PRIu64 " at %s: %s", kind_names[f->kind], f->record, a, f->what);
		else
			buf_addf(&b, "%s: %s", kind_names[f->kind], f->what);
		buf_reset(&line);
		eh_report_line(&line, "finding", f->file, b.data);
		fputs(line.data, out);
	}
	if (m->partial)
		fputs("evtxhunt: metrics: --from, --to, --computer or --state left records out: record-id gaps and "
		      "recovered records without a live copy not looked for\n", out);
	fprintf(out, "evtxhunt: %zu integrity findings\n", m->nfindings);
	buf_free(&b);
	buf_free(&line);
}

static void json_str(struct buf *b, const char *s)
{
	eh_escape_json(b, s, strlen(s));
}

static void json_time(struct buf *b, int64_t t)
{
	char s[48];
	if (t < 0) {
		buf_adds(b, "null");
		return;
	}
	eh_time_format(t, s);
	buf_addf(b, "\"%s\"", s);
}

void eh_metrics_json(struct buf *b, const struct eh_metrics *m, size_t top)
{
	buf_adds(b, "{\"logs\":[");
	for (size_t i = 0; i < m->nlogs; i++) {
		const struct eh_metrics_log *l = &m->logs[i];
		buf_adds(b, i ? ",{\"file\":" : "{\"file\":");
		json_str(b, l->file);
		buf_addf(b, ",\"records\":%" PRIu64 ",\"recovered\":%" PRIu64 ",\"first\":", l->records, l->recovered);
		json_time(b, l->first);
		buf_adds(b, ",\"last\":");
		json_time(b, l->last);
		buf_adds(b, ",\"channels\":[");
		for (size_t j = 0; j < l->nchannels; j++) {
			if (j)
				buf_addc(b, ',');
			json_str(b, l->channels[j]);
		}
		buf_adds(b, "],\"computers\":[");
		for (size_t j = 0; j < l->ncomputers; j++) {
			if (j)
				buf_addc(b, ',');
			json_str(b, l->computers[j].name);
		}
		buf_addf(b, "],\"event_ids_total\":%zu,\"event_ids\":[", l->nids);
		for (size_t j = 0; j < l->nids && j < top; j++)
			buf_addf(b, "%s[%" PRIu32 ",%" PRIu64 "]", j ? "," : "", l->ids[j].event_id, l->ids[j].n);
		buf_adds(b, "]}");
	}
	buf_adds(b, "],\"computers\":[");
	for (size_t i = 0; i < m->ncomputers; i++) {
		const struct eh_metrics_computer *c = &m->computers[i];
		buf_adds(b, i ? ",{\"name\":" : "{\"name\":");
		json_str(b, c->name);
		buf_addf(b, ",\"records\":%" PRIu64 ",\"first\":", c->records);
		json_time(b, c->first);
		buf_adds(b, ",\"last\":");
		json_time(b, c->last);
		buf_adds(b, ",\"logs\":[");
		for (size_t j = 0; j < c->nlogs; j++) {
			if (j)
				buf_addc(b, ',');
			json_str(b, m->logs[c->logs[j]].file);
		}
		buf_adds(b, "],\"coverage\":[");
		for (size_t j = 0; j < c->nspans; j++) {
			buf_adds(b, j ? ",[" : "[");
			json_time(b, c->spans[j].first);
			buf_addc(b, ',');
			json_time(b, c->spans[j].last);
			buf_addc(b, ']');
		}
		buf_adds(b, "]}");
	}
	buf_adds(b, "],\"findings\":[");
	for (size_t i = 0; i < m->nfindings; i++) {
		const struct eh_finding *f = &m->findings[i];
		buf_addf(b, "%s{\"kind\":\"%s\",\"file\":", i ? "," : "", kind_names[f->kind]);
		json_str(b, f->file);
		if (eh_finding_has_record(f->kind)) {
			buf_addf(b, ",\"record_id\":%" PRIu64 ",\"time\":", f->record);
			json_time(b, f->time);
		} else {
			buf_adds(b, ",\"record_id\":null,\"time\":null");
		}
		if (f->kind == EH_FINDING_RECORD_GAP || f->kind == EH_FINDING_TIME_BACKWARDS ||
		    f->kind == EH_FINDING_RECOVERED_ONLY) {
			buf_addf(b, ",\"record_id2\":%" PRIu64 ",\"time2\":", f->record2);
			json_time(b, f->time2);
		}
		buf_adds(b, ",\"what\":");
		json_str(b, f->what);
		buf_addc(b, '}');
	}
	buf_addf(b, "],\"partial\":%s}", m->partial ? "true" : "false");
}
