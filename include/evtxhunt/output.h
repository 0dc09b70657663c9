/* Output: the timeline as a terminal table, CSV, JSON Lines or an HTML
 * report (html.h). Every value
 * comes from an attacker-controlled log and is escaped for where it goes. */
#ifndef EVTXHUNT_OUTPUT_H
#define EVTXHUNT_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "evtxhunt/timeline.h"
#include "evtxhunt/util.h"

enum eh_format { EH_FORMAT_TABLE, EH_FORMAT_CSV, EH_FORMAT_JSONL, EH_FORMAT_HTML };

struct eh_html_run;

struct eh_output_options {
	enum eh_format format;
	bool wide;     /* table: never cut values */
	size_t width;  /* table: columns per line (80) */
	const struct eh_html_run *html; /* html: what the report says of the run; NULL: hits only */
};

/* Format by name; -1 if unknown. EH_FORMAT_NAMES lists them for messages. */
#define EH_FORMAT_NAMES "table, csv, jsonl or html"
int eh_format_from_name(const char *name);

/* Writes the whole timeline to OUT, in order. Returns 0, or -1 if spilled
 * hits could not be read back (errno set). */
int eh_output_timeline(FILE *out, const struct eh_output_options *opt, struct eh_timeline *tl);

/* Escapers, appending to B. Terminal: control, escape and bidirectional
 * characters and invalid UTF-8 become visible \n, \xNN, \u202E notation.
 * CSV: a terminal-safe cell, quoted per RFC 4180, with formula triggers
 * (= + - @ tab CR) neutralized by a leading apostrophe. JSON: a quoted
 * string, valid UTF-8 (invalid bytes become U+FFFD). */
void eh_escape_terminal(struct buf *b, const char *s, size_t len);
void eh_escape_csv(struct buf *b, const char *s, size_t len);
void eh_escape_json(struct buf *b, const char *s, size_t len);

/* Display width of terminal-escaped text: one column per character. */
size_t eh_display_width(const char *s, size_t len);

#endif
