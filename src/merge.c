/* Merge: evtxhunt's JSON Lines read back into a timeline (see merge.h);
 * the lines are read by jsonl.c, from the table the writer uses. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/jsonl.h"
#include "evtxhunt/keyfields.h"
#include "evtxhunt/merge.h"
#include "evtxhunt/report.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/util.h"

struct eh_merger {
	struct eh_rule **rules; /* interned by id, title and level */
	size_t nrules;
	size_t bad_lines;
	struct eh_jsonl_reader *reader;
	struct eh_jsonl_hit hit; /* the line being read */
	struct eh_event ev;
};

struct eh_merger *eh_merger_new(void)
{
	struct eh_merger *m = xcalloc(1, sizeof *m);
	m->reader = eh_jsonl_reader_new();
	eh_event_init(&m->ev);
	return m;
}

void eh_merger_free(struct eh_merger *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nrules; i++)
		eh_rule_free(m->rules[i]);
	free(m->rules);
	eh_jsonl_reader_free(m->reader);
	eh_event_release(&m->ev);
	free(m);
}

size_t eh_merger_bad_lines(const struct eh_merger *m)
{
	return m->bad_lines;
}

size_t eh_merger_rules(const struct eh_merger *m)
{
	return m->nrules;
}

const struct eh_rule *eh_merger_rule(const struct eh_merger *m, size_t i)
{
	return m->rules[i];
}

static bool same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool same_fields(const struct eh_rule *r, const struct eh_jsonl_hit *h)
{
	const char *tested[EH_KEYFIELDS_MAX];
	size_t n = eh_rule_tested_fields(r, tested, EH_KEYFIELDS_MAX);
	if (n != h->nrule_fields)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(tested[i], h->rule_fields[i]) != 0)
			return false;
	return true;
}

/* The rule a hit names, made once per (id, title, level, logsource,
 * tested fields): all the output of its hits is made from; the hit's
 * strings and arrays are taken over. */
static const struct eh_rule *intern_rule(struct eh_merger *m, struct eh_jsonl_hit *h)
{
	for (size_t i = 0; i < m->nrules; i++) {
		struct eh_rule *r = m->rules[i];
		if (strcmp(r->id, h->rule_id) == 0 && strcmp(r->title, h->rule_title) == 0 && same(r->level, h->level) &&
		    same(r->category, h->category) && same(r->product, h->product) && same(r->service, h->service) &&
		    same_fields(r, h))
			return r;
	}
	struct eh_rule *r = xcalloc(1, sizeof *r);
	r->id = h->rule_id, h->rule_id = NULL;
	r->title = h->rule_title, h->rule_title = NULL;
	r->level = h->level, h->level = NULL;
	r->tags = h->tags, h->tags = NULL;
	r->ntags = h->ntags, h->ntags = 0;
	r->category = h->category, h->category = NULL;
	r->product = h->product, h->product = NULL;
	r->service = h->service, h->service = NULL;
	eh_rule_set_tested_fields(r, h->rule_fields, h->nrule_fields);
	h->rule_fields = NULL, h->nrule_fields = 0;
	m->rules = xreallocarray(m->rules, m->nrules + 1, sizeof *m->rules);
	m->rules[m->nrules++] = r;
	return r;
}

bool eh_merge_line(struct eh_merger *m, const char *line, size_t len, struct eh_timeline *tl, const char **err,
		   size_t *column)
{
	bool ok = eh_jsonl_read_hit(m->reader, line, len, &m->hit, &m->ev, err, column);
	if (ok) {
		const struct eh_rule *rule = intern_rule(m, &m->hit);
		eh_timeline_add(tl, rule, &m->ev, eh_timeline_file(tl, m->hit.file));
	} else {
		m->bad_lines++;
	}
	eh_jsonl_hit_release(&m->hit);
	return ok;
}

long eh_merge_file(struct eh_merger *m, const char *path, struct eh_timeline *tl, FILE *diag)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (f == NULL) {
		eh_report_linef(diag, "error", path, "cannot open: %s", strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long added = 0, lineno = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		const char *err;
		size_t column;
		if (eh_merge_line(m, line, (size_t)n, tl, &err, &column))
			added++;
		else
			eh_report_linef(diag, "error", path, "line %ld, column %zu: %s; line skipped", lineno, column, err);
	}
	bool failed = ferror(f);
	free(line);
	if (f != stdin)
		fclose(f);
	if (failed) {
		eh_report_linef(diag, "error", path, "read error");
		return -1;
	}
	return added;
}
