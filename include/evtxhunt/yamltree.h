/* A YAML document as a small tree with source positions, read with
 * libyaml. The Sigma compiler walks it and points errors at line:column. */
#ifndef EVTXHUNT_YAMLTREE_H
#define EVTXHUNT_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

enum ynode_type { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_type type;
	int line, column; /* 1-based */
	char *text;       /* scalars: the value (NUL-terminated, may hold NUL) */
	size_t len;
	bool plain;       /* scalar written without quotes: null/true/numbers */
	struct ynode **items; /* seq: items; map: key, value, key, value... */
	size_t n;             /* number of items (maps: 2 x pairs) */
};

struct ydoc_list {
	struct ynode **docs;
	size_t n;
};

/* Parses every document of TEXT. Returns 0, or -1 with *line, *column and
 * *cause (caller frees) describing the first syntax error. */
int ytree_parse(const char *text, size_t len, struct ydoc_list *out, int *line, int *column, char **cause);
void ytree_free_docs(struct ydoc_list *docs);

/* Map lookup by key; NULL when absent or NODE is not a map. */
struct ynode *ytree_get(const struct ynode *map, const char *key);
/* A plain scalar that YAML reads as null (null, Null, NULL, ~, empty). */
bool ytree_is_null(const struct ynode *n);

#endif
