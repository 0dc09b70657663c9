/* libyaml events to a position-carrying tree. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "evtxhunt/util.h"
#include "evtxhunt/yamltree.h"

static void free_node(struct ynode *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++)
		free_node(n->items[i]);
	free(n->items);
	free(n->text);
	free(n);
}

static void append(struct ynode *parent, struct ynode *child)
{
	/* doubling at 0, 1, 2, 4...: a list of 200,000 IOC values grew by one
	 * item at a time, quadratic where realloc copies (ASan: 392 s) */
	size_t n = parent->n;
	if ((n & (n - 1)) == 0)
		parent->items = xreallocarray(parent->items, n ? 2 * n : 1, sizeof *parent->items);
	parent->items[parent->n++] = child;
}

static struct ynode *node(enum ynode_type type, const yaml_mark_t *mark)
{
	struct ynode *n = xcalloc(1, sizeof *n);
	n->type = type;
	n->line = (int)mark->line + 1;
	n->column = (int)mark->column + 1;
	return n;
}

#define MAX_DEPTH 64

int ytree_parse(const char *text, size_t len, struct ydoc_list *out, int *line, int *column, char **cause)
{
	yaml_parser_t parser;
	yaml_event_t event;
	struct ynode *stack[MAX_DEPTH];
	int depth = 0, rc = -1;
	out->docs = NULL;
	out->n = 0;
	if (!yaml_parser_initialize(&parser)) {
		*cause = xstrdup("cannot initialise the YAML parser");
		*line = *column = 0;
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&parser, &event)) {
			*line = (int)parser.problem_mark.line + 1;
			*column = (int)parser.problem_mark.column + 1;
			*cause = xasprintf("YAML syntax: %s%s%s", parser.problem ? parser.problem : "error",
					   parser.context ? " " : "", parser.context ? parser.context : "");
			goto out;
		}
		struct ynode *n = NULL;
		switch (event.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&event);
			rc = 0;
			goto out;
		case YAML_ALIAS_EVENT:
			*line = (int)event.start_mark.line + 1;
			*column = (int)event.start_mark.column + 1;
			*cause = xstrdup("YAML aliases are not supported in rules");
			yaml_event_delete(&event);
			goto out;
		case YAML_SCALAR_EVENT:
			n = node(Y_SCALAR, &event.start_mark);
			n->text = xstrndup((const char *)event.data.scalar.value, event.data.scalar.length);
			n->len = event.data.scalar.length;
			n->plain = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = node(event.type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ, &event.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			n = stack[--depth];
			yaml_event_delete(&event);
			if (depth == 0) {
				out->docs = xreallocarray(out->docs, out->n + 1, sizeof *out->docs);
				out->docs[out->n++] = n;
			} else {
				append(stack[depth - 1], n);
			}
			continue;
		default:
			yaml_event_delete(&event);
			continue;
		}
		yaml_event_delete(&event);
		if (n->type != Y_SCALAR) {
			if (depth == MAX_DEPTH) {
				*line = n->line;
				*column = n->column;
				*cause = xstrdup("YAML nested too deeply");
				free_node(n);
				goto out;
			}
			stack[depth++] = n;
		} else if (depth == 0) {
			/* a document that is a bare scalar */
			out->docs = xreallocarray(out->docs, out->n + 1, sizeof *out->docs);
			out->docs[out->n++] = n;
		} else {
			append(stack[depth - 1], n);
		}
	}
out:
	if (rc != 0) {
		while (depth > 0)
			free_node(stack[--depth]);
		ytree_free_docs(out);
	}
	yaml_parser_delete(&parser);
	return rc;
}

void ytree_free_docs(struct ydoc_list *docs)
{
	for (size_t i = 0; i < docs->n; i++)
		free_node(docs->docs[i]);
	free(docs->docs);
	docs->docs = NULL;
	docs->n = 0;
}

struct ynode *ytree_get(const struct ynode *map, const char *key)
{
	if (map == NULL || map->type != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->items[i]->type == Y_SCALAR && strcmp(map->items[i]->text, key) == 0)
			return map->items[i + 1];
	return NULL;
}

bool ytree_is_null(const struct ynode *n)
{
	if (n == NULL || n->type != Y_SCALAR || !n->plain)
		return false;
	return n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
	       strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}
