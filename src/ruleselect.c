/* Rule selection: --exclude-rule, --exclude-rules FILE, --tag. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evtxhunt/output.h"
#include "evtxhunt/ruleselect.h"
#include "evtxhunt/util.h"

struct select_name {
	char *name;
	char *where; /* for the warning when it matches nothing */
	bool used;
};

struct select_list {
	struct select_name *v;
	size_t n;
};

struct eh_rule_select {
	struct select_list exclude, tags;
};

struct eh_rule_select *eh_select_new(void)
{
	return xcalloc(1, sizeof(struct eh_rule_select));
}

static void list_free(struct select_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].where);
	}
	free(l->v);
}

void eh_select_free(struct eh_rule_select *s)
{
	if (s == NULL)
		return;
	list_free(&s->exclude);
	list_free(&s->tags);
	free(s);
}

/* NAME without the blanks around it (a list edited on Windows ends its
 * lines with \r). */
static void list_add(struct select_list *l, const char *name, size_t len, const char *where)
{
	while (len && strchr(" \t\r\n", name[0])) {
		name++;
		len--;
	}
	while (len && strchr(" \t\r\n", name[len - 1]))
		len--;
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = (struct select_name){ xstrndup(name, len), xstrdup(where), false };
}

void eh_select_exclude(struct eh_rule_select *s, const char *name, const char *where)
{
	list_add(&s->exclude, name, strlen(name), where);
}

void eh_select_tag(struct eh_rule_select *s, const char *tag)
{
	list_add(&s->tags, tag, strlen(tag), "--tag");
}

bool eh_select_active(const struct eh_rule_select *s)
{
	return s->exclude.n || s->tags.n;
}

int eh_select_exclude_file(struct eh_rule_select *s, const char *path, char **cause)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		*cause = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		size_t lead = strspn(line, " \t\r\n");
		if (line[lead] == '\0' || line[lead] == '#')
			continue;
		char *where = xasprintf("%s:%u", path, lineno);
		list_add(&s->exclude, line, (size_t)len, where);
		free(where);
	}
	int err = ferror(f) ? errno : 0; /* a directory opens, then fails to read */
	free(line);
	fclose(f);
	if (err) {
		*cause = xasprintf("%s: cannot read: %s", path, strerror(err));
		return -1;
	}
	return 0;
}

/* Whether a name of L is the id or title of R; marks those that are. */
static bool names_rule(struct select_list *l, const struct eh_rule *r)
{
	bool hit = false;
	for (size_t i = 0; i < l->n; i++)
		if ((r->id && strcasecmp(l->v[i].name, r->id) == 0) ||
		    (r->title && strcasecmp(l->v[i].name, r->title) == 0)) {
			l->v[i].used = true;
			hit = true;
		}
	return hit;
}

static bool keep_not_excluded(const struct eh_rule *r, void *user)
{
	return !names_rule(&((struct eh_rule_select *)user)->exclude, r);
}

static bool keep_tagged(const struct eh_rule *r, void *user)
{
	struct select_list *tags = &((struct eh_rule_select *)user)->tags;
	bool hit = false;
	for (size_t t = 0; t < r->ntags; t++)
		for (size_t i = 0; i < tags->n; i++)
			if (strcasecmp(r->tags[t], tags->v[i].name) == 0) {
				tags->v[i].used = true;
				hit = true;
			}
	return hit;
}

static void warn_unused(FILE *warn, const struct select_list *l, const char *what)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].used)
			continue;
		struct buf b; /* names come from files of unknown origin */
		buf_init(&b);
		buf_adds(&b, "evtxhunt: warning: ");
		eh_escape_terminal(&b, l->v[i].where, strlen(l->v[i].where));
		buf_adds(&b, ": '");
		eh_escape_terminal(&b, l->v[i].name, strlen(l->v[i].name));
		buf_addf(&b, "' %s\n", what);
		fputs(b.data, warn);
		buf_free(&b);
	}
}

void eh_select_apply(struct eh_rule_select *s, struct eh_ruleset *rs, FILE *warn, struct eh_select_counts *counts)
{
	*counts = (struct eh_select_counts){ 0, 0 };
	if (s->exclude.n) {
		counts->excluded = eh_ruleset_keep_if(rs, keep_not_excluded, s);
		warn_unused(warn, &s->exclude, "is neither the id nor the title of a loaded rule");
	}
	if (s->tags.n) {
		counts->untagged = eh_ruleset_keep_if(rs, keep_tagged, s);
		warn_unused(warn, &s->tags, "is the tag of no loaded rule (left after the exclusions)");
	}
}
