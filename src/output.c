/* Output formats and escaping. */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "evtxhunt/html.h"
#include "evtxhunt/jsonl.h"
#include "evtxhunt/keyfields.h"
#include "evtxhunt/output.h"
#include "evtxhunt/utf.h"

static const char *const format_names[] = { "table", "csv", "jsonl", "html" };

int eh_format_from_name(const char *name)
{
	for (int i = 0; i < (int)(sizeof format_names / sizeof format_names[0]); i++)
		if (strcmp(name, format_names[i]) == 0)
			return i;
	return -1;
}

/* Characters that can act on a terminal or reorder what it shows. */
static bool dangerous(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0xfeff;
}

void eh_escape_terminal(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = eh_utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			buf_addf(b, "\\x%02X", p[i]);
			i++;
			continue;
		}
		if (!dangerous(cp)) {
			buf_add(b, p + i, n);
		} else if (cp == '\n') {
			buf_adds(b, "\\n");
		} else if (cp == '\r') {
			buf_adds(b, "\\r");
		} else if (cp == '\t') {
			buf_adds(b, "\\t");
		} else if (cp < 0x80) {
			buf_addf(b, "\\x%02X", cp);
		} else {
			buf_addf(b, "\\u%04X", cp);
		}
		i += n;
	}
}

void eh_escape_csv(struct buf *b, const char *s, size_t len)
{
	struct buf safe;
	buf_init(&safe);
	if (len && strchr("=+-@\t\r", s[0]))
		buf_addc(&safe, '\'');
	eh_escape_terminal(&safe, s, len);
	bool quote = false;
	for (size_t i = 0; i < safe.len; i++)
		if (safe.data[i] == ',' || safe.data[i] == '"' || safe.data[i] == ' ')
			quote = true;
	if (!quote) {
		buf_add(b, safe.data, safe.len);
	} else {
		buf_addc(b, '"');
		for (size_t i = 0; i < safe.len; i++) {
			if (safe.data[i] == '"')
				buf_addc(b, '"');
			buf_addc(b, safe.data[i]);
		}
		buf_addc(b, '"');
	}
	buf_free(&safe);
}

void eh_escape_json(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	buf_addc(b, '"');
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = eh_utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			buf_adds(b, "\\ufffd");
			i++;
			continue;
		}
		if (cp == '"')
			buf_adds(b, "\\\"");
		else if (cp == '\\')
			buf_adds(b, "\\\\");
		else if (cp == '\n')
			buf_adds(b, "\\n");
		else if (cp == '\r')
			buf_adds(b, "\\r");
		else if (cp == '\t')
			buf_adds(b, "\\t");
		else if (dangerous(cp) && cp <= 0xffff)
			buf_addf(b, "\\u%04x", cp); /* valid JSON, and inert when printed */
		else
			buf_add(b, p + i, n);
		i += n;
	}
	buf_addc(b, '"');
}

size_t eh_display_width(const char *s, size_t len)
{
	size_t w = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

static const char *output_field(const struct eh_event *ev, const char *name)
{
	const char *v = eh_event_get(ev, name, NULL);
	return v ? v : "";
}

/* ---- table -------------------------------------------------------------- */

/* Appends one table line: LABEL then escaped text, cut to the width with
 * an ellipsis unless wide. */
static void table_line(struct buf *out, const struct eh_output_options *opt, const char *label, const char *text)
{
	struct buf line;
	buf_init(&line);
	buf_adds(&line, label);
	eh_escape_terminal(&line, text, strlen(text));
	if (!opt->wide && eh_display_width(line.data, line.len) > opt->width) {
		size_t keep = opt->width - 1, w = 0, i = 0;
		for (; i < line.len; i++) {
			if (((unsigned char)line.data[i] & 0xc0) != 0x80) {
				if (w == keep)
					break;
				w++;
			}
		}
		line.len = i;
		buf_adds(&line, "\xe2\x80\xa6"); /* … */
	}
	buf_add(out, line.data, line.len);
	buf_addc(out, '\n');
	buf_free(&line);
}

/* ATT&CK technique ids from tags ("attack.t1218.011" -> "  T1218.011"). */
static void techniques(struct buf *b, const struct eh_rule *r)
{
	bool first = true;
	for (size_t i = 0; i < r->ntags; i++) {
		const char *t = r->tags[i];
		if (strncmp(t, "attack.t", 8) == 0 && t[8] >= '0' && t[8] <= '9') {
			buf_adds(b, first ? "  T" : ",T");
			buf_adds(b, t + 8);
			first = false;
		}
	}
}

/* Values in the table are cut to this many characters even with --wide:
 * a script block can be megabytes (JSON Lines keeps it whole). */
#define TABLE_VALUE_MAX 1000
/* Lines of fields under a hit no row of the key-field table knows. */
#define TABLE_OTHER_LINES 8

/* One hit as a block readable at 80 columns:
 *   TIME  LEVEL  TECHNIQUES  COMPUTER  USER
 *     RULE TITLE
 *     process  PARENT -> IMAGE / command / cwd   (process creation)
 *     Name: value, a line per key field           (any other kind)
 *     source   FILE #RECORD */
static void table_hit(struct buf *out, const struct eh_output_options *opt, const struct eh_hit *h)
{
	const struct eh_event *ev = h->event;
	struct eh_keyfields kf;
	char when[48];
	struct buf t;
	buf_init(&t);
	eh_time_format(ev->time, when);
	eh_keyfields_of(h->rule, ev, &kf);

	buf_addf(&t, "%s  %s", when, h->rule->level ? h->rule->level : "-");
	techniques(&t, h->rule);
	buf_adds(&t, "  ");
	buf_adds(&t, ev->computer);
	const char *user = output_field(ev, "User");
	if (*user) {
		buf_adds(&t, "  ");
		buf_adds(&t, user);
	}
	table_line(out, opt, "", t.data);
	table_line(out, opt, "  ", h->rule->title);

	if (kf.process) {
		buf_reset(&t);
		const char *parent = output_field(ev, "ParentImage");
		if (*parent)
			buf_addf(&t, "%s -> ", parent);
		buf_adds(&t, output_field(ev, "Image"));
		table_line(out, opt, "  process  ", t.data);
		table_line(out, opt, "  command  ", output_field(ev, "CommandLine"));
		table_line(out, opt, "  cwd      ", output_field(ev, "CurrentDirectory"));
	} else {
		size_t lines = kf.fallback && kf.n > TABLE_OTHER_LINES ? TABLE_OTHER_LINES : kf.n;
		for (size_t i = 0; i < lines; i++) {
			struct eh_keyfields one = kf;
			one.field[0] = kf.field[i];
			one.n = 1;
			buf_reset(&t);
			eh_keyfields_details(&t, ev, &one, TABLE_VALUE_MAX);
			table_line(out, opt, "  ", t.data ? t.data : "");
		}
		if (lines < kf.n) {
			buf_reset(&t);
			buf_addf(&t, "(%zu more fields: -f jsonl has them all)", kf.n - lines);
			table_line(out, opt, "  ", t.data);
		}
	}

	buf_reset(&t);
	buf_addf(&t, "%s #%" PRIu64 "%s", h->file, ev->record_id, ev->recovered ? " (recovered)" : "");
	table_line(out, opt, "  source   ", t.data);
	buf_addc(out, '\n');
	buf_free(&t);
}

/* ---- CSV ----------------------------------------------------------------- */

/* One layout for every hit of every log source (Timeline Explorer keeps
 * one per header): the key fields are in details; the process columns
 * are filled for process creation only. The first seven columns are
 * as they were (scripts cut them). */
static const char *const csv_columns[] = {
	"timestamp", "computer", "rule_title", "level", "rule_id", "event_id", "record_id", "channel", "details",
	"file", "recovered", "user", "image", "command_line", "parent_image",
};

static void csv_cell(struct buf *out, const char *s, size_t len, bool first)
{
	if (!first)
		buf_addc(out, ',');
	eh_escape_csv(out, s, len);
}

static void csv_hit(struct buf *out, const struct eh_hit *h)
{
	const struct eh_event *ev = h->event;
	struct eh_keyfields kf;
	char when[48], eid[16], rid[24];
	struct buf details;
	buf_init(&details);
	eh_keyfields_of(h->rule, ev, &kf);
	eh_keyfields_details(&details, ev, &kf, 0);
	eh_time_format(ev->time, when);
	snprintf(eid, sizeof eid, "%" PRIu32, ev->event_id);
	snprintf(rid, sizeof rid, "%" PRIu64, ev->record_id);
	const char *cells[] = {
		when, ev->computer, h->rule->title, h->rule->level ? h->rule->level : "", h->rule->id ? h->rule->id : "",
		eid, rid, ev->channel ? ev->channel : "", details.data ? details.data : "", h->file,
		ev->recovered ? "true" : "false",
		kf.process ? output_field(ev, "User") : "", kf.process ? output_field(ev, "Image") : "",
		kf.process ? output_field(ev, "CommandLine") : "", kf.process ? output_field(ev, "ParentImage") : "",
	};
	for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++)
		csv_cell(out, cells[i], cells[i] == details.data ? details.len : strlen(cells[i]), i == 0);
	buf_adds(out, "\r\n");
	buf_free(&details);
}

struct writer {
	FILE *out;
	const struct eh_output_options *opt;
	struct buf b;
};

static void write_hit(const struct eh_hit *hit, void *user)
{
	struct writer *w = user;
	switch (w->opt->format) {
	case EH_FORMAT_TABLE:
		table_hit(&w->b, w->opt, hit);
		break;
	case EH_FORMAT_CSV:
		csv_hit(&w->b, hit);
		break;
	case EH_FORMAT_JSONL:
		eh_jsonl_write_hit(&w->b, hit);
		break;
	case EH_FORMAT_HTML: /* the whole page at once: eh_html_write */
		break;
	}
	if (w->b.len > 65536) {
		fwrite(w->b.data, 1, w->b.len, w->out);
		buf_reset(&w->b);
	}
}

int eh_output_timeline(FILE *out, const struct eh_output_options *opt, struct eh_timeline *tl)
{
	if (opt->format == EH_FORMAT_HTML)
		return eh_html_write(out, opt->html, tl);
	struct writer w = { out, opt, { NULL, 0, 0 } };
	if (opt->format == EH_FORMAT_CSV) {
		for (size_t i = 0; i < sizeof csv_columns / sizeof csv_columns[0]; i++)
			csv_cell(&w.b, csv_columns[i], strlen(csv_columns[i]), i == 0);
		buf_adds(&w.b, "\r\n");
	}
	int rc = eh_timeline_each(tl, write_hit, &w);
	fwrite(w.b.data ? w.b.data : "", 1, w.b.len, out);
	buf_free(&w.b);
	return rc;
}
