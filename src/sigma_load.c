/* Rule sets: rule files and directories to compiled rules and errors. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evtxhunt/correlation.h"
#include "evtxhunt/logsource.h"
#include "evtxhunt/sigma_internal.h"
#include "evtxhunt/util.h"
#include "evtxhunt/walk.h"

struct eh_ruleset *eh_ruleset_new(void)
{
	struct eh_ruleset *rs = xcalloc(1, sizeof(struct eh_ruleset));
	rs->wanted = xcalloc(eh_logsource_words(), sizeof *rs->wanted);
	rs->left = (struct sigma_budget){ SIGMA_SET_MAX_VALUES, SIGMA_SET_MAX_BYTES };
	return rs;
}

/* Adds rule INDEX (R) to the wanted rows and to the rules of each of its
 * rows; counts it when it has none. */
static void sigma_load_want(struct eh_ruleset *rs, const struct eh_rule *r, size_t index)
{
	for (size_t w = 0; r->sources && w < eh_logsource_words(); w++)
		rs->wanted[w] |= r->sources[w];
	rs->unmapped += eh_rowset_empty(r->sources);
	if (rs->row_rules == NULL)
		rs->row_rules = xcalloc(eh_logsource_rows, sizeof *rs->row_rules);
	if (index / 64 + 2 > rs->row_rules_words) { /* eh_ruleset_words() of the rules to come */
		size_t words = rs->row_rules_words ? rs->row_rules_words * 2 : 64;
		while (index / 64 + 2 > words)
			words *= 2;
		for (size_t row = 0; row < eh_logsource_rows; row++) {
			rs->row_rules[row] = xreallocarray(rs->row_rules[row], words, sizeof **rs->row_rules);
			memset(rs->row_rules[row] + rs->row_rules_words, 0,
			       (words - rs->row_rules_words) * sizeof **rs->row_rules);
		}
		sigma_guards_grow(rs, rs->row_rules_words, words);
		rs->row_rules_words = words;
	}
	sigma_guards_add(rs, r, index);
	for (size_t row = 0; r->sources && row < eh_logsource_rows; row++)
		if (eh_rowset_has(r->sources, row))
			rs->row_rules[row][index / 64] |= UINT64_C(1) << (index % 64);
}

/* Forgets which rules select which rows (before they are added again). */
static void sigma_load_unwant_all(struct eh_ruleset *rs)
{
	memset(rs->wanted, 0, eh_logsource_words() * sizeof *rs->wanted);
	rs->unmapped = 0;
	for (size_t row = 0; rs->row_rules && row < eh_logsource_rows; row++)
		memset(rs->row_rules[row], 0, rs->row_rules_words * sizeof **rs->row_rules);
	sigma_guards_clear(rs);
}

void eh_ruleset_free(struct eh_ruleset *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < rs->nrules; i++)
		eh_rule_free(rs->rules[i]);
	free(rs->rules);
	free(rs->wanted);
	for (size_t row = 0; rs->row_rules && row < eh_logsource_rows; row++)
		free(rs->row_rules[row]);
	free(rs->row_rules);
	sigma_guards_free(rs);
	for (size_t i = 0; i < rs->nerrors; i++) {
		free(rs->errors[i].file);
		free(rs->errors[i].reason);
	}
	free(rs->errors);
	for (size_t i = 0; i < rs->not_rules; i++)
		free(rs->not_rule_files[i]);
	free(rs->not_rule_files);
	for (size_t i = 0; i < rs->nfield_names; i++)
		free(rs->field_names[i]);
	free(rs->field_names);
	free(rs->field_table);
	eh_corrset_free(rs->corr);
	free(rs);
}

static void sigma_load_error(struct eh_ruleset *rs, const char *file, int line, int column, char *reason)
{
	rs->errors = xreallocarray(rs->errors, rs->nerrors + 1, sizeof *rs->errors);
	struct eh_rule_error *e = &rs->errors[rs->nerrors++];
	e->file = xstrdup(file);
	e->line = line;
	e->column = column;
	e->reason = reason;
}

/* For correlation.c: a correlation found unusable once every rule is in. */
void sigma_add_error(struct eh_ruleset *rs, const char *file, int line, int column, char *reason)
{
	sigma_load_error(rs, file, line, column, reason);
}

/* A text read and parsed (on any thread), to be added in its turn. */
struct parsed {
	const char *name;
	char *owned_name;  /* NAME, when the item owns it */
	char *read_error;  /* the file could not be read: nothing else is set */
	char *owned;       /* the text, when read from a file */
	const char *text;
	size_t len;
	int parse_failed;  /* ytree_parse's result: then LINE, COLUMN, CAUSE */
	struct ydoc_list docs;
	int line, column;
	char *cause;
};

static void parse_text(struct parsed *p)
{
	p->parse_failed = ytree_parse(p->text, p->len, &p->docs, &p->line, &p->column, &p->cause);
}

/* Adds the rules of P (its documents taken over) to RS, or its errors. */
static size_t add_parsed(struct eh_ruleset *rs, struct parsed *p)
{
	const char *name = p->name, *text = p->text;
	size_t len = p->len, loaded = 0;
	struct ydoc_list docs = p->docs;
	if (p->read_error) {
		sigma_load_error(rs, name, 0, 0, p->read_error);
		return 0;
	}
	if (p->parse_failed) {
		sigma_load_error(rs, name, p->line, p->column, p->cause);
		return 0;
	}
	if (docs.n > 1 && ytree_get(docs.docs[0], "action")) {
		sigma_load_error(rs, name, docs.docs[0]->line, docs.docs[0]->column,
		       xstrdup("multi-document rule collections (action: global) are not supported"));
		goto out;
	}
	for (size_t i = 0; i < docs.n; i++) {
		struct ynode *doc = docs.docs[i];
		/* ---- correlation rules (issue 14): kept apart, resolved after loading */
		if (doc->type == Y_MAP && ytree_get(doc, "correlation")) {
			struct eh_rule_error err;
			if (rs->corr == NULL)
				rs->corr = eh_corrset_new();
			if (eh_corrset_parse(rs->corr, doc, name, &err) != 0)
				sigma_load_error(rs, name, err.line, err.column, err.reason);
			continue;
		}
		/* ---- */
		if (!sigma_looks_like_rule(doc)) {
			rs->not_rule_files = xreallocarray(rs->not_rule_files, rs->not_rules + 1, sizeof(char *));
			rs->not_rule_files[rs->not_rules++] = xstrdup(name);
			continue;
		}
		struct eh_rule *rule;
		struct eh_rule_error err;
		struct sigma_budget used;
		if (sigma_compile(doc, name, &rs->left, &rule, &err, &used) != 0) {
			sigma_load_error(rs, name, err.line, err.column, err.reason);
			if (rs->corr == NULL) /* correlation: a reference to it says why it cannot be used */
				rs->corr = eh_corrset_new();
			eh_corrset_note_broken(rs->corr, doc);
			continue;
		}
		rs->left.values -= used.values;
		rs->left.bytes -= used.bytes;
		rule->content_hash = eh_hash64(text, len, UINT64_C(0x9e3779b97f4a7c15) * (i + 1));
		sigma_intern_rule(rs, rule);
		rs->rules = xreallocarray(rs->rules, rs->nrules + 1, sizeof *rs->rules);
		sigma_load_want(rs, rule, rs->nrules);
		rs->rules[rs->nrules++] = rule;
		loaded++;
	}
out:
	ytree_free_docs(&docs);
	return loaded;
}

size_t eh_ruleset_load_text(struct eh_ruleset *rs, const char *name, const char *text, size_t len)
{
	struct parsed p = { .name = name, .text = text, .len = len };
	parse_text(&p);
	return add_parsed(rs, &p);
}

/* Reads the file P names into P (or says why it cannot), on any thread. */
static void read_file(struct parsed *p)
{
	int fd = open(p->name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		p->read_error = xasprintf("cannot open: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	struct buf text;
	buf_init(&text);
	char chunk[16384];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_add(&text, chunk, (size_t)n);
	int saved = errno;
	close(fd);
	if (n < 0) {
		p->read_error = xasprintf("cannot read: %s", strerror(saved));
		buf_free(&text);
		return;
	}
	p->len = text.len;
	p->owned = buf_steal(&text);
	p->text = p->owned;
}

static void read_and_parse(struct parsed *p)
{
	if (p->read_error) /* known already: the walk's */
		return;
	if (p->text == NULL)
		read_file(p);
	if (p->read_error == NULL)
		parse_text(p);
}

/* ---- many texts: parsed on threads, added in order --------------------------
 * Parsing YAML is three quarters of loading SigmaHQ's rules (0.68 of 0.89 G
 * instructions). A pool of threads reads and parses the texts of a
 * directory (or of a compiled-in pack) at most PARSE_AHEAD texts ahead of
 * the thread that compiles and adds them, in their order: the rules, their
 * indices and every error come as from one text after the other. */
#define PARSE_AHEAD 64
#define PARSE_THREADS_MAX 8

struct parse_pool {
	struct parsed *items;
	bool *done;
	size_t n;
	size_t next;  /* the first not yet claimed */
	size_t added; /* how many the adding thread has taken */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* Under the lock: the next item to parse, if there is one within reach. */
static bool pool_claim(struct parse_pool *pp, size_t *k)
{
	if (pp->next >= pp->n || pp->next >= pp->added + PARSE_AHEAD)
		return false;
	*k = pp->next++;
	return true;
}

/* Under the lock (released meanwhile): parses item K. */
static void pool_parse(struct parse_pool *pp, size_t k)
{
	pthread_mutex_unlock(&pp->lock);
	read_and_parse(&pp->items[k]);
	pthread_mutex_lock(&pp->lock);
	pp->done[k] = true;
	pthread_cond_broadcast(&pp->cond);
}

static void *pool_worker(void *arg)
{
	struct parse_pool *pp = arg;
	pthread_mutex_lock(&pp->lock);
	while (pp->next < pp->n) {
		size_t k;
		if (pool_claim(pp, &k))
			pool_parse(pp, k);
		else
			pthread_cond_wait(&pp->cond, &pp->lock);
	}
	pthread_mutex_unlock(&pp->lock);
	return NULL;
}

/* Loads the N ITEMS (name and text, or name of a file to read) in order;
 * frees what they own. */
static size_t load_items(struct eh_ruleset *rs, struct parsed *items, size_t n)
{
	size_t loaded = 0;
	long cpus = rs->load_threads > 0 ? rs->load_threads : sysconf(_SC_NPROCESSORS_ONLN);
	size_t helpers = cpus > 1 ? (size_t)(cpus < PARSE_THREADS_MAX ? cpus : PARSE_THREADS_MAX) - 1 : 0;
	if (helpers > n / 16)
		helpers = n / 16; /* a few files: not worth a thread */
	struct parse_pool pp = { .items = items, .n = n, .done = xcalloc(n + 1, sizeof *pp.done) };
	pthread_t threads[PARSE_THREADS_MAX];
	size_t started = 0;
	pthread_mutex_init(&pp.lock, NULL);
	pthread_cond_init(&pp.cond, NULL);
	for (; started < helpers; started++)
		if (pthread_create(&threads[started], NULL, pool_worker, &pp) != 0)
			break; /* fewer helpers: this thread parses the rest */
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&pp.lock);
		while (!pp.done[i]) {
			size_t k;
			if (pool_claim(&pp, &k))
				pool_parse(&pp, k);
			else
				pthread_cond_wait(&pp.cond, &pp.lock);
		}
		pp.added = i + 1;
		pthread_cond_broadcast(&pp.cond);
		pthread_mutex_unlock(&pp.lock);
		loaded += add_parsed(rs, &items[i]);
		free(items[i].owned);
		free(items[i].owned_name);
	}
	for (size_t t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	pthread_cond_destroy(&pp.cond);
	pthread_mutex_destroy(&pp.lock);
	free(pp.done);
	return loaded;
}

size_t eh_ruleset_load_texts(struct eh_ruleset *rs, const char *const *names, const char *const *texts, size_t n)
{
	struct parsed *items = xcalloc(n + 1, sizeof *items);
	for (size_t i = 0; i < n; i++)
		items[i] = (struct parsed){ .name = names[i], .text = texts[i], .len = strlen(texts[i]) };
	size_t loaded = load_items(rs, items, n);
	free(items);
	return loaded;
}

void eh_ruleset_set_threads(struct eh_ruleset *rs, int threads)
{
	rs->load_threads = threads;
}

static size_t load_file(struct eh_ruleset *rs, const char *path)
{
	struct parsed p = { .name = path };
	read_and_parse(&p);
	size_t loaded = add_parsed(rs, &p);
	free(p.owned);
	return loaded;
}

static bool is_yaml(const char *name)
{
	size_t n = strlen(name);
	return (n > 4 && strcasecmp(name + n - 4, ".yml") == 0) || (n > 5 && strcasecmp(name + n - 5, ".yaml") == 0);
}

/* The walk of a rule directory: its YAML files and its errors, in order. */
struct load_walk {
	struct parsed *items;
	size_t n, cap;
};

static void walk_item(struct load_walk *lw, const char *path, char *error)
{
	if (lw->n == lw->cap) {
		lw->cap = lw->cap ? 2 * lw->cap : 256;
		lw->items = xreallocarray(lw->items, lw->cap, sizeof *lw->items);
	}
	char *name = xstrdup(path);
	lw->items[lw->n++] = (struct parsed){ .name = name, .owned_name = name, .read_error = error };
}

static void load_entry(const struct eh_walk_entry *e, void *user)
{
	struct load_walk *lw = user;
	switch (e->what) {
	case EH_WALK_NO_DIR:
		walk_item(lw, e->path, xasprintf("cannot open directory: %s", strerror(e->error)));
		break;
	case EH_WALK_NO_STAT:
		walk_item(lw, e->path, xasprintf("cannot stat: %s", strerror(e->error)));
		break;
	case EH_WALK_LOOP:
		walk_item(lw, e->path, xstrdup("symlink loop (leads back to a directory above)"));
		break;
	case EH_WALK_TOO_DEEP:
		walk_item(lw, e->path, xstrdup("directories nested too deeply (a symlink loop?)"));
		break;
	case EH_WALK_ENTRY:
		if (S_ISREG(e->st->st_mode) && is_yaml(e->name))
			walk_item(lw, e->path, NULL);
		break;
	}
}

/* Hidden names are passed over; a symlink loop is an error, not 64
 * copies of every rule below it. */
static const struct eh_walk_options walk_options = {
	.max_depth = 64, .skip_dot_names = true, .detect_loops = true, .slash_always = true
};

static size_t load_dir(struct eh_ruleset *rs, const char *path)
{
	struct load_walk lw = { 0 };
	eh_walk(path, &walk_options, load_entry, &lw);
	size_t loaded = load_items(rs, lw.items, lw.n);
	free(lw.items);
	return loaded;
}

size_t eh_ruleset_load_path(struct eh_ruleset *rs, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		sigma_load_error(rs, path, 0, 0, xasprintf("cannot open: %s", strerror(errno)));
		return 0;
	}
	return S_ISDIR(st.st_mode) ? load_dir(rs, path) : load_file(rs, path);
}

size_t eh_ruleset_count(const struct eh_ruleset *rs)
{
	return rs->nrules;
}

const struct eh_rule *eh_ruleset_rule(const struct eh_ruleset *rs, size_t i)
{
	return rs->rules[i];
}

size_t eh_ruleset_error_count(const struct eh_ruleset *rs)
{
	return rs->nerrors;
}

const struct eh_rule_error *eh_ruleset_error(const struct eh_ruleset *rs, size_t i)
{
	return &rs->errors[i];
}

size_t eh_ruleset_unmapped(const struct eh_ruleset *rs)
{
	return rs->unmapped;
}

size_t eh_ruleset_not_rules(const struct eh_ruleset *rs)
{
	return rs->not_rules;
}

const char *eh_ruleset_not_rule_file(const struct eh_ruleset *rs, size_t i)
{
	return rs->not_rule_files[i];
}

bool eh_ruleset_wants(const struct eh_ruleset *rs, const char *provider, uint32_t event_id)
{
	(void)provider; /* rows are keyed by channel, not known yet: the id alone */
	return eh_logsource_may_want(rs->wanted, event_id);
}

bool eh_ruleset_wants_rows(const struct eh_ruleset *rs, const uint64_t *rows)
{
	return eh_rowset_meets(rs->wanted, rows);
}

size_t eh_ruleset_words(const struct eh_ruleset *rs)
{
	return (rs->nrules + 63) / 64 + 1;
}

size_t eh_ruleset_route(const struct eh_ruleset *rs, const uint64_t *rows, int64_t guard_id, const uint64_t *prefilter,
			uint64_t *taken, uint64_t *out)
{
	size_t n = 0, words = eh_ruleset_words(rs);
	const uint64_t *guarded = sigma_guards_of(rs, guard_id);
	memset(out, 0, words * sizeof *out);
	/* the rows' set bits: an event is in a few of hundreds */
	for (size_t rw = 0; rs->row_rules && rw < eh_logsource_words(); rw++)
		for (uint64_t bits = rows[rw]; bits; bits &= bits - 1) {
			size_t row = rw * 64 + (size_t)__builtin_ctzll(bits);
			if (row >= eh_logsource_rows)
				break;
			const uint64_t *rules = rs->row_rules[row];
			for (size_t w = 0; w < words; w++)
				out[w] |= rules[w];
		}
	bool guard = guard_id != EH_GUARD_ANY && rs->unguarded;
	for (size_t w = 0; w < words; w++) {
		if (taken) {
			out[w] &= ~taken[w];
			taken[w] |= out[w];
		}
		if (prefilter)
			out[w] &= prefilter[w];
		if (guard) /* after TAKEN: a rule is taken by its first row, matched or not */
			out[w] &= rs->unguarded[w] | (guarded ? guarded[w] : 0);
		if (out[w]) /* most are 0; popcount is a call without -mpopcnt */
			n += (size_t)__builtin_popcountll(out[w]);
	}
	return n;
}

static bool in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && strncasecmp(p, word, n) == 0)
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

bool sigma_rule_passes(const struct eh_rule *r, int min_level, const char *statuses)
{
	/* a rule without a level cannot be shown to meet the minimum */
	return (min_level < 0 || eh_level_rank(r->level) >= min_level) &&
	       (statuses == NULL || (r->status && in_list(statuses, r->status)));
}

struct level_status {
	int min_level;
	const char *statuses;
};

static bool keep_level_status(const struct eh_rule *r, void *user)
{
	const struct level_status *ls = user;
	return sigma_rule_passes(r, ls->min_level, ls->statuses) || r->correlated; /* correlation (issue 14) */
}

size_t eh_ruleset_filter(struct eh_ruleset *rs, int min_level, const char *statuses)
{
	/* correlation (issue 14): those set aside are counted; their rules stay */
	size_t removed = eh_correlations_filter(rs, min_level, statuses);
	struct level_status ls = { min_level, statuses };
	return removed + eh_ruleset_keep_if(rs, keep_level_status, &ls);
}

int eh_level_rank(const char *level)
{
	static const char *const levels[] = { "informational", "low", "medium", "high", "critical" };
	if (level == NULL)
		return -1;
	for (int i = 0; i < 5; i++)
		if (strcasecmp(level, levels[i]) == 0)
			return i;
	return -1;
}

/* ---- rule selection (issue 16: --exclude-rule, --tag) ---------------------------- */

/* The same compaction as eh_ruleset_filter, for any test: the rules'
 * rows are added again, so routing never sees a rule that was dropped. */
size_t eh_ruleset_keep_if(struct eh_ruleset *rs, eh_rule_keep_fn keep, void *user)
{
	size_t kept = 0, removed = 0;
	sigma_load_unwant_all(rs);
	for (size_t i = 0; i < rs->nrules; i++) {
		struct eh_rule *r = rs->rules[i];
		if (!keep(r, user)) {
			eh_rule_free(r);
			removed++;
			continue;
		}
		sigma_load_want(rs, r, kept);
		rs->rules[kept++] = r;
	}
	rs->nrules = kept;
	return removed;
}
