/* The compiled form of Sigma rules, shared by the compiler and the
 * matcher only. Built once; read-only while events are matched. */
#ifndef EVTXHUNT_SIGMA_INTERNAL_H
#define EVTXHUNT_SIGMA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "evtxhunt/sigma.h"
#include "evtxhunt/util.h"
#include "evtxhunt/yamltree.h"

/* Glob tokens: a byte (0-255) or a wildcard. */
#define GLOB_STAR 0x100 /* any run of characters */
#define GLOB_ONE 0x101  /* exactly one character */

enum sv_kind {
	SV_EQ,
	SV_CONTAINS,
	SV_STARTSWITH,
	SV_ENDSWITH,
	SV_GLOB,   /* wildcards inside: general matcher */
	SV_NULL,     /* field absent or empty */
	SV_EXISTS,   /* field present (or absent, when !exists) */
	SV_RE,       /* PCRE2 regular expression, found anywhere */
	SV_CIDR,     /* an IPv4 or IPv6 address inside a network */
	SV_FIELDREF, /* compared with another field of the same event */
	SV_COMPARE,  /* numeric gt, gte, lt, lte */
};

enum sv_position { POS_EQ, POS_CONTAINS, POS_STARTSWITH, POS_ENDSWITH };
enum sv_compare { CMP_GT, CMP_GTE, CMP_LT, CMP_LTE };

struct sigma_value {
	enum sv_kind kind;
	bool cased;
	bool exists;
	char *lit; /* SV_EQ..SV_ENDSWITH: folded (eh_utf8_fold) unless cased */
	size_t len;
	bool has_nul; /* LIT holds a NUL (a keyword then searches field by field) */
	uint16_t *glob; /* SV_GLOB */
	size_t glen;
	pcre2_code *re;             /* SV_RE */
	int family;                 /* SV_CIDR: AF_INET or AF_INET6 */
	uint8_t net[16];
	unsigned prefix;
	char *ref;                  /* SV_FIELDREF: the other field */
	int ref_id;                 /* SV_FIELDREF: its interned id */
	enum sv_position position;  /* SV_FIELDREF */
	enum sv_compare compare;    /* SV_COMPARE */
	double number;
};

struct sigma_test {
	char *field; /* NULL: a keyword, searched in every field */
	int field_id; /* interned at load: an index into a prepared event */
	bool all;    /* every value must match (|all), otherwise any */
	struct sigma_value *values;
	size_t nvalues;
};

/* A map in a detection: every test must hold. */
struct sigma_map {
	struct sigma_test *tests;
	size_t ntests;
};

/* A named selection: any of its maps must hold. */
struct sigma_selection {
	char *name;
	struct sigma_map *maps;
	size_t nmaps;
};

enum cond_op { C_AND, C_OR, C_NOT, C_SEL, C_ONE_OF, C_ALL_OF };

struct sigma_cond {
	enum cond_op op;
	struct sigma_cond *a, *b; /* AND, OR: both; NOT: a */
	size_t *sels;             /* SEL: one index; ONE_OF, ALL_OF: the set */
	size_t nsels;
};

struct sigma_rule_body {
	struct sigma_selection *sels;
	size_t nsels;
	struct sigma_cond *cond;
	/* event-id guard (sigma_eventid.c): when known, the condition holds
	 * only for an event whose EventID is one of these (sorted) */
	bool event_ids_known;
	uint32_t *event_ids;
	size_t nevent_ids;
};

/* What a rule set may still take: values after modifier expansion and
 * their bytes. All rules loaded together are bounded too, so that the
 * prefilter (a literal per value at most) compiles in bounded time: the
 * 200,000 values of an IOC list compile in about 4 s. SigmaHQ's Windows
 * rules hold 42,419 values, 861,587 bytes, in all. */
#define SIGMA_SET_MAX_VALUES 500000
#define SIGMA_SET_MAX_BYTES (256u << 20)
struct sigma_budget {
	size_t values, bytes;
};

struct eh_ruleset {
	struct eh_rule **rules;
	size_t nrules;
	struct eh_rule_error *errors;
	size_t nerrors;
	size_t unmapped;
	size_t not_rules;
	char **not_rule_files; /* where they were, to say so */
	uint64_t *wanted; /* union of the rules' logsource rows (a row set) */
	/* for each logsource row, the rules that select it (a rule set of
	 * row_rules_words words): routing an event ORs the sets of its rows */
	uint64_t **row_rules;
	size_t row_rules_words;
	/* the event-id guards by id (sigma_eventid.c): for each id of
	 * GUARD_IDS (sorted), the rules guarded to it; and the rules without a
	 * guard. Rule sets of row_rules_words words, as the rows' */
	uint32_t *guard_ids;
	uint64_t **guard_rules;
	size_t nguard_ids;
	uint64_t *unguarded;
	struct sigma_budget left; /* what more rules may still take */
	/* every field name the rules use, interned: id -> name, and a hash
	 * table of ids (open addressing, -1 empty) */
	char **field_names;
	size_t nfield_names;
	int *field_table;
	size_t field_table_cap;
	struct eh_corrset *corr; /* correlation rules (correlation.h); NULL: none */
	int load_threads; /* threads that parse rule files (0: one per core) */
};

/* Adds an error (REASON is taken over) to RS's list. */
void sigma_add_error(struct eh_ruleset *rs, const char *file, int line, int column, char *reason);
/* Whether rule R is of at least MIN_LEVEL (< 0: any) and of a status in
 * STATUSES (comma-separated, any case; NULL: any), as --min-level and
 * --status select rules and correlations. */
bool sigma_rule_passes(const struct eh_rule *r, int min_level, const char *statuses);

/* A worker's matcher: what matching reuses from event to event. */
struct eh_matcher {
	const struct eh_ruleset *rs;
	pcre2_match_data *match_data;
	pcre2_match_context *match_context; /* with the match limits */
	uint64_t regex_limit_hits;
	/* the prepared event: ids to field indexes (all -1 between events),
	 * folded values, and their places */
	int32_t *slot;
	int32_t *tail; /* id -> the last index of its chain, for touched ids */
	size_t nslot;
	struct eh_field *fields; /* the event's fields, then its System fields */
	int32_t *next;           /* index -> the next index of the same name, or -1 */
	struct buf folded;
	const char **folded_at;
	size_t *folded_off;
	int32_t *touched; /* ids set for the current event */
	size_t ntouched;
	size_t cap;
};

#define SIGMA_VIEW_EVENT_IDS 4

/* An event prepared for matching: its fields (System ones included) by
 * interned id, every value of a repeated name, and their values case folded (eh_utf8_fold; the same lengths), made once per event. */
struct sigma_view {
	struct eh_matcher *m; /* its storage, and PCRE2's match data */
	const struct eh_event *ev;
	const struct eh_field *fields; /* payload fields, then System fields */
	size_t nfields;
	const int32_t *slot;       /* field id -> first index in fields, or -1 */
	const int32_t *next;       /* index -> next index of the same name, or -1 */
	const char *const *folded; /* index in fields -> folded value */
	const char *folded_all;    /* every folded value, each ended by a NUL */
	size_t folded_all_len;
	/* the EventID field's values as numbers, for the event-id guards;
	 * unknown: one is not a plain number, or there are too many */
	uint32_t event_ids[SIGMA_VIEW_EVENT_IDS];
	size_t nevent_ids;
	bool event_ids_unknown;
};

/* The interned id of NAME, or -1 when no rule uses it. */
int sigma_field_id(const struct eh_ruleset *rs, const char *name);
/* Gives every field name of RULE an interned id. */
void sigma_intern_rule(struct eh_ruleset *rs, struct eh_rule *rule);
/* Prepares EV in M's storage (reused); sigma_view_done undoes it. */
void sigma_view_prepare(struct eh_matcher *m, const struct eh_event *ev, struct sigma_view *view);
void sigma_view_done(struct sigma_view *view);

/* Compiles one YAML document into *OUT, within what LEFT (NULL: no set
 * bound) allows; *USED (if not NULL) says what the rule took. Returns 0,
 * or -1 with the error (file left to the caller) filled in. */
int sigma_compile(const struct ynode *doc, const char *file, const struct sigma_budget *left, struct eh_rule **out,
		  struct eh_rule_error *err, struct sigma_budget *used);
/* Whether DOC looks like a Sigma rule at all (title and detection). */
bool sigma_looks_like_rule(const struct ynode *doc);

/* Event-id guards (sigma_eventid.c). Reads B's condition into its guard
 * (after compiling); whether VIEW may meet it; and whether the N bytes at S
 * are an EventID as Windows writes it (decimal, no leading zero, 32 bits). */
void sigma_eventid_guard(struct sigma_rule_body *b);
bool sigma_eventid_admits(const struct sigma_rule_body *b, const struct sigma_view *view);
bool sigma_eventid_parse(const char *s, size_t n, uint32_t *out);
/* RS's rules by guard: rule INDEX (R) added; every rule forgotten; their
 * sets grown from OLD to NEW words; all freed. */
void sigma_guards_add(struct eh_ruleset *rs, const struct eh_rule *r, size_t index);
void sigma_guards_clear(struct eh_ruleset *rs);
void sigma_guards_grow(struct eh_ruleset *rs, size_t old_words, size_t new_words);
void sigma_guards_free(struct eh_ruleset *rs);
/* The rules guarded to ID (an eh_ruleset_guard_id), or NULL: none. */
const uint64_t *sigma_guards_of(const struct eh_ruleset *rs, int64_t id);

/* Matching primitives, exposed for unit tests. */
bool sigma_rule_match(const struct eh_rule *rule, const struct sigma_view *view);

#endif
