/* Field mapper: record XML to a normalized event, with a reused libxml2
 * SAX2 push parser (cheaper than a DOM per record). */
#include "config.h"

#include <libxml/parser.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/fieldmap.h"
#include "evtxhunt/util.h"

/* libevtx writes control characters raw, which XML forbids, and a raw CR
 * would be turned into LF by XML's end-of-line rule. They are carried
 * through the parser as private-use characters U+F700+c and put back
 * afterwards, so values reach the rules exactly as logged. */
#define PUA_LEAD1 0xEF
#define PUA_LEAD2 0x9C
#define PUA_BASE 0x80

struct eh_fieldmap {
	xmlSAXHandler sax; /* per parser: workers create theirs concurrently */
	xmlParserCtxtPtr ctxt;
	struct eh_evbuild build;
	struct buf clean;
};

/* Undo the control-character substitution in place; returns the new length. */
static size_t restore_controls(char *s, size_t len)
{
	size_t j = 0;
	for (size_t i = 0; i < len; i++) {
		if (i + 2 < len && (unsigned char)s[i] == PUA_LEAD1 && (unsigned char)s[i + 1] == PUA_LEAD2 &&
		    (unsigned char)s[i + 2] >= PUA_BASE && (unsigned char)s[i + 2] < PUA_BASE + 0x20) {
			s[j++] = (char)((unsigned char)s[i + 2] - PUA_BASE);
			i += 2;
		} else {
			s[j++] = s[i];
		}
	}
	s[j] = '\0';
	return j;
}

/* Windows shows HexInt32 and HexInt64 values without leading zeros
 * (LogonId 0x3e7, Status 0x0); libevtx pads them to 8 and 16 digits.
 * Rules are written against Windows. */
static size_t unpad_hex(char *s, size_t len)
{
	if ((len != 18 && len != 10) || s[0] != '0' || s[1] != 'x')
		return len;
	for (size_t i = 2; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return len;
	}
	size_t first = 2;
	while (first < len - 1 && s[first] == '0')
		first++;
	memmove(s + 2, s + first, len - first + 1);
	return len - (first - 2);
}

static const struct eh_xattr *find_attr(const struct eh_xattr *attrs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(attrs[i].name, name) == 0)
			return &attrs[i];
	return NULL;
}

/* The System elements whose text is a System field. */
static const struct {
	const char *element;
	enum eh_system_slot slot;
} system_text_slots[] = {
	{ "Channel", EH_SYS_CHANNEL }, { "Computer", EH_SYS_COMPUTER }, { "Level", EH_SYS_LEVEL },
	{ "Task", EH_SYS_TASK },       { "Opcode", EH_SYS_OPCODE },     { "Keywords", EH_SYS_KEYWORDS },
	{ "Version", EH_SYS_VERSION },
};

void eh_evbuild_init(struct eh_evbuild *b)
{
	memset(b, 0, sizeof *b);
	buf_init(&b->name);
	buf_init(&b->text);
}

void eh_evbuild_release(struct eh_evbuild *b)
{
	buf_free(&b->name);
	buf_free(&b->text);
}

void eh_evbuild_begin(struct eh_evbuild *b, struct eh_event *ev)
{
	eh_event_reset(ev);
	b->ev = ev;
	b->depth = 0;
	b->in_system = b->in_eventdata = b->in_userdata = false;
	b->cap = CAP_NONE;
	b->time = -1;
	b->restore_controls = false;
}

bool eh_evbuild_capturing(const struct eh_evbuild *b)
{
	return b->cap != CAP_NONE && b->cap != CAP_USERDATA;
}

void eh_evbuild_start(struct eh_evbuild *b, const char *local, const struct eh_xattr *attrs, size_t nattrs)
{
	struct eh_event *ev = b->ev;
	const struct eh_xattr *a;
	b->depth++;
	if (b->cap == CAP_USERDATA) {
		/* not a leaf: its leaves are the fields */
		b->cap = CAP_NONE;
	} else if (b->cap != CAP_NONE) {
		/* Nested markup inside a value: keep collecting its text. */
		return;
	}
	if (b->depth == 2) {
		b->in_system = strcmp(local, "System") == 0;
		b->in_eventdata = strcmp(local, "EventData") == 0;
		b->in_userdata = strcmp(local, "UserData") == 0;
		return;
	}
	if (b->in_system && b->depth == 3) {
		if (strcmp(local, "Provider") == 0 && (a = find_attr(attrs, nattrs, "Name")))
			eh_event_set_system(ev, EH_SYS_PROVIDER, a->value, a->len);
		else if (strcmp(local, "TimeCreated") == 0 && (a = find_attr(attrs, nattrs, "SystemTime"))) {
			char tmp[64];
			size_t len = a->len < sizeof tmp - 1 ? a->len : sizeof tmp - 1;
			memcpy(tmp, a->value, len);
			tmp[len] = '\0';
			b->time = eh_time_parse(tmp);
		} else if (strcmp(local, "Security") == 0 && (a = find_attr(attrs, nattrs, "UserID")))
			eh_event_set_system(ev, EH_SYS_USER_SID, a->value, a->len);
		else if (strcmp(local, "EventID") == 0)
			b->cap = CAP_EVENT_ID;
		else if (strcmp(local, "EventRecordID") == 0)
			b->cap = CAP_RECORD_ID;
		else
			for (size_t i = 0; i < sizeof system_text_slots / sizeof system_text_slots[0]; i++)
				if (strcmp(local, system_text_slots[i].element) == 0) {
					b->cap = CAP_SYSTEM;
					b->cap_slot = system_text_slots[i].slot;
				}
	} else if (b->in_eventdata && b->depth == 3) {
		buf_reset(&b->name);
		if ((a = find_attr(attrs, nattrs, "Name")))
			buf_add(&b->name, a->value, a->len);
		else
			buf_adds(&b->name, local); /* unnamed Data, Binary */
		b->cap = CAP_DATA;
	} else if (b->in_userdata && b->depth >= 4) {
		buf_reset(&b->name);
		buf_adds(&b->name, local);
		b->cap = CAP_USERDATA;
	}
	if (b->cap != CAP_NONE) {
		b->cap_depth = b->depth;
		buf_reset(&b->text);
	}
}

void eh_evbuild_text(struct eh_evbuild *b, const char *s, size_t len)
{
	if (b->cap != CAP_NONE)
		buf_add(&b->text, s, len);
}

void eh_evbuild_end(struct eh_evbuild *b)
{
	struct eh_event *ev = b->ev;
	if (b->cap != CAP_NONE && b->depth == b->cap_depth) {
		size_t len = b->text.len;
		if (len == 0 && b->text.data == NULL)
			buf_reserve(&b->text, 1);
		if (b->restore_controls)
			len = restore_controls(b->text.data, len);
		switch (b->cap) {
		case CAP_EVENT_ID: {
			/* libevtx gives it too; records it cannot parse have only this */
			char *end;
			unsigned long id = strtoul(b->text.data, &end, 10);
			if (end != b->text.data && *end == '\0') {
				ev->event_id = (uint32_t)id;
				eh_event_set_system(ev, EH_SYS_EVENT_ID, b->text.data, len);
			}
			break;
		}
		case CAP_RECORD_ID: {
			/* the EventRecordID analysts know, which can differ from the
			 * record header's number in carved or rebuilt logs */
			char *end;
			unsigned long long id = strtoull(b->text.data, &end, 10);
			if (end != b->text.data && *end == '\0')
				ev->record_id = id;
			break;
		}
		case CAP_SYSTEM:
			if (b->cap_slot == EH_SYS_KEYWORDS)
				len = unpad_hex(b->text.data, len);
			eh_event_set_system(ev, b->cap_slot, b->text.data, len);
			break;
		case CAP_DATA:
		case CAP_USERDATA:
			len = unpad_hex(b->text.data, len);
			eh_event_add_field(ev, b->name.data, b->name.len, b->text.data, len);
			break;
		case CAP_NONE:
			break;
		}
		b->cap = CAP_NONE;
	}
	if (b->depth == 2)
		b->in_system = b->in_eventdata = b->in_userdata = false;
	b->depth--;
}

void eh_evbuild_finish(struct eh_evbuild *b)
{
	eh_event_finish(b->ev);
	b->ev->time = b->time;
}

/* libxml2's SAX2 callbacks feed the builder. */
static void fieldmap_start(void *user, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri, int nns,
		   const xmlChar **ns, int nattrs, int ndefaulted, const xmlChar **attrs)
{
	(void)prefix, (void)uri, (void)nns, (void)ns, (void)ndefaulted;
	struct eh_fieldmap *fm = user;
	/* SAX2 gives (localname, prefix, URI, value, end) quintuples */
	struct eh_xattr a[64];
	size_t n = 0;
	for (int i = 0; i < nattrs && n < sizeof a / sizeof a[0]; i++) {
		const xmlChar **q = attrs + 5 * i;
		a[n++] = (struct eh_xattr){ (const char *)q[0], (const char *)q[3], (size_t)(q[4] - q[3]) };
	}
	eh_evbuild_start(&fm->build, (const char *)local, a, n);
}

static void chars(void *user, const xmlChar *ch, int len)
{
	struct eh_fieldmap *fm = user;
	eh_evbuild_text(&fm->build, (const char *)ch, (size_t)len);
}

static void fieldmap_end(void *user, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	(void)local, (void)prefix, (void)uri;
	struct eh_fieldmap *fm = user;
	eh_evbuild_end(&fm->build);
}

static void fieldmap_quiet(void *user, xmlErrorPtr err)
{
	(void)user, (void)err; /* malformed XML is recovered, not printed */
}

void eh_fieldmap_global_init(void)
{
	xmlInitParser();
}

struct eh_fieldmap *eh_fieldmap_new(void)
{
	struct eh_fieldmap *fm = xcalloc(1, sizeof *fm);
	fm->sax.initialized = XML_SAX2_MAGIC;
	fm->sax.startElementNs = fieldmap_start;
	fm->sax.endElementNs = fieldmap_end;
	fm->sax.characters = chars;
	fm->sax.serror = fieldmap_quiet;
	fm->ctxt = xmlCreatePushParserCtxt(&fm->sax, fm, NULL, 0, NULL);
	if (fm->ctxt == NULL) {
		free(fm);
		return NULL;
	}
	xmlCtxtUseOptions(fm->ctxt, XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_HUGE |
					    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	eh_evbuild_init(&fm->build);
	buf_init(&fm->clean);
	return fm;
}

void eh_fieldmap_free(struct eh_fieldmap *fm)
{
	if (fm == NULL)
		return;
	xmlFreeParserCtxt(fm->ctxt);
	eh_evbuild_release(&fm->build);
	buf_free(&fm->clean);
	free(fm);
}

/* Swaps control characters XML forbids for U+F700+c; returns the text to
 * parse (XML itself when there is none, the usual case). */
static const char *swap_controls(struct eh_fieldmap *fm, const char *xml, size_t *len)
{
	size_t i, n = *len;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)xml[i];
		if (c < 0x20 && c != '\t' && c != '\n')
			break;
	}
	fm->build.restore_controls = i < n;
	if (!fm->build.restore_controls)
		return xml;
	buf_reset(&fm->clean);
	buf_add(&fm->clean, xml, i);
	for (; i < n; i++) {
		unsigned char c = (unsigned char)xml[i];
		if (c < 0x20 && c != '\t' && c != '\n') {
			char pua[3] = { (char)PUA_LEAD1, (char)PUA_LEAD2, (char)(PUA_BASE + c) };
			buf_add(&fm->clean, pua, 3);
		} else {
			buf_addc(&fm->clean, (char)c);
		}
	}
	*len = fm->clean.len;
	return fm->clean.data;
}

int eh_fieldmap_parse(struct eh_fieldmap *fm, const char *xml, size_t len, struct eh_event *ev, char **cause)
{
	eh_evbuild_begin(&fm->build, ev);
	xml = swap_controls(fm, xml, &len);
	if (len > INT32_MAX) {
		*cause = xstrdup("record XML too large");
		return -1;
	}
	xmlCtxtResetPush(fm->ctxt, NULL, 0, NULL, NULL);
	xmlCtxtUseOptions(fm->ctxt, XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOERROR |
					    XML_PARSE_NOWARNING);
	xmlParseChunk(fm->ctxt, xml, (int)len, 1);
	eh_evbuild_finish(&fm->build);
	if (!fm->ctxt->wellFormed && ev->nfields == 0 && ev->provider[0] == '\0') {
		*cause = xstrdup("record XML is not well-formed and holds no fields");
		return -1;
	}
	return 0;
}
