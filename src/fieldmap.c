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

enum capture {
	CAP_NONE,
	CAP_EVENT_ID,
	CAP_RECORD_ID,
	CAP_SYSTEM,   /* a System element's text into a slot (cap_slot) */
	CAP_DATA,     /* EventData/Data: field named by its Name attribute */
	CAP_USERDATA, /* UserData leaf: field named by the element */
};

struct eh_fieldmap {
	xmlSAXHandler sax; /* per parser: workers create theirs concurrently */
	xmlParserCtxtPtr ctxt;
	struct eh_event *ev;
	int depth;
	bool in_system, in_eventdata, in_userdata;
	int userdata_depth;
	enum capture cap;
	enum eh_system_slot cap_slot;
	int cap_depth;
	struct buf name, text, clean;
	bool substituted; /* control characters were swapped in this record */
	int64_t time;
};

static bool fieldmap_is(const xmlChar *a, const char *b)
{
	return strcmp((const char *)a, b) == 0;
}

/* The value of attribute NAME from SAX2's (localname, prefix, URI, value,
 * end) quintuples, or NULL. */
static const xmlChar *attr(const xmlChar **attrs, int n, const char *name, size_t *len)
{
	for (int i = 0; i < n; i++) {
		const xmlChar **a = attrs + 5 * i;
		if (fieldmap_is(a[0], name)) {
			*len = (size_t)(a[4] - a[3]);
			return a[3];
		}
	}
	return NULL;
}

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

static void fieldmap_start(void *user, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri, int nns,
		   const xmlChar **ns, int nattrs, int ndefaulted, const xmlChar **attrs)
{
	(void)prefix, (void)uri, (void)nns, (void)ns, (void)ndefaulted;
	struct eh_fieldmap *fm = user;
	struct eh_event *ev = fm->ev;
	const xmlChar *v;
	size_t len;
	fm->depth++;
	if (fm->cap == CAP_USERDATA) {
		/* not a leaf: its leaves are the fields */
		fm->cap = CAP_NONE;
	} else if (fm->cap != CAP_NONE) {
		/* Nested markup inside a value: keep collecting its text. */
		return;
	}
	if (fm->depth == 2) {
		fm->in_system = fieldmap_is(local, "System");
		fm->in_eventdata = fieldmap_is(local, "EventData");
		fm->in_userdata = fieldmap_is(local, "UserData");
		return;
	}
	if (fm->in_system && fm->depth == 3) {
		if (fieldmap_is(local, "Provider") && (v = attr(attrs, nattrs, "Name", &len)))
			eh_event_set_system(ev, EH_SYS_PROVIDER, (const char *)v, len);
		else if (fieldmap_is(local, "TimeCreated") && (v = attr(attrs, nattrs, "SystemTime", &len))) {
			char tmp[64];
			len = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
			memcpy(tmp, v, len);
			tmp[len] = '\0';
			fm->time = eh_time_parse(tmp);
		} else if (fieldmap_is(local, "Security") && (v = attr(attrs, nattrs, "UserID", &len)))
			eh_event_set_system(ev, EH_SYS_USER_SID, (const char *)v, len);
		else if (fieldmap_is(local, "EventID"))
			fm->cap = CAP_EVENT_ID;
		else if (fieldmap_is(local, "EventRecordID"))
			fm->cap = CAP_RECORD_ID;
		else {
			static const struct {
				const char *element;
				enum eh_system_slot slot;
			} text_slots[] = {
				{ "Channel", EH_SYS_CHANNEL }, { "Computer", EH_SYS_COMPUTER }, { "Level", EH_SYS_LEVEL },
				{ "Task", EH_SYS_TASK },       { "Opcode", EH_SYS_OPCODE },     { "Keywords", EH_SYS_KEYWORDS },
				{ "Version", EH_SYS_VERSION },
			};
			for (size_t i = 0; i < sizeof text_slots / sizeof text_slots[0]; i++)
				if (fieldmap_is(local, text_slots[i].element)) {
					fm->cap = CAP_SYSTEM;
					fm->cap_slot = text_slots[i].slot;
				}
		}
	} else if (fm->in_eventdata && fm->depth == 3) {
		buf_reset(&fm->name);
		if ((v = attr(attrs, nattrs, "Name", &len)))
			buf_add(&fm->name, v, len);
		else
			buf_adds(&fm->name, (const char *)local); /* unnamed Data, Binary */
		fm->cap = CAP_DATA;
	} else if (fm->in_userdata && fm->depth >= 4) {
		buf_reset(&fm->name);
		buf_adds(&fm->name, (const char *)local);
		fm->cap = CAP_USERDATA;
	}
	if (fm->cap != CAP_NONE) {
		fm->cap_depth = fm->depth;
		buf_reset(&fm->text);
	}
}

static void chars(void *user, const xmlChar *ch, int len)
{
	struct eh_fieldmap *fm = user;
	if (fm->cap != CAP_NONE)
		buf_add(&fm->text, ch, (size_t)len);
}

static void fieldmap_end(void *user, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	(void)local, (void)prefix, (void)uri;
	struct eh_fieldmap *fm = user;
	struct eh_event *ev = fm->ev;
	if (fm->cap != CAP_NONE && fm->depth == fm->cap_depth) {
		size_t len = fm->text.len;
		if (len == 0 && fm->text.data == NULL)
			buf_reserve(&fm->text, 1);
		if (fm->substituted)
			len = restore_controls(fm->text.data, len);
		switch (fm->cap) {
		case CAP_EVENT_ID: {
			/* libevtx gives it too; records it cannot parse have only this */
			char *end;
			unsigned long id = strtoul(fm->text.data, &end, 10);
			if (end != fm->text.data && *end == '\0') {
				ev->event_id = (uint32_t)id;
				eh_event_set_system(ev, EH_SYS_EVENT_ID, fm->text.data, len);
			}
			break;
		}
		case CAP_RECORD_ID: {
			/* the EventRecordID analysts know, which can differ from the
			 * record header's number in carved or rebuilt logs */
			char *end;
			unsigned long long id = strtoull(fm->text.data, &end, 10);
			if (end != fm->text.data && *end == '\0')
				ev->record_id = id;
			break;
		}
		case CAP_SYSTEM:
			if (fm->cap_slot == EH_SYS_KEYWORDS)
				len = unpad_hex(fm->text.data, len);
			eh_event_set_system(ev, fm->cap_slot, fm->text.data, len);
			break;
		case CAP_DATA:
		case CAP_USERDATA:
			len = unpad_hex(fm->text.data, len);
			eh_event_add_field(ev, fm->name.data, fm->name.len, fm->text.data, len);
			break;
		case CAP_NONE:
			break;
		}
		fm->cap = CAP_NONE;
	}
	if (fm->depth == 2)
		fm->in_system = fm->in_eventdata = fm->in_userdata = false;
	fm->depth--;
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
	buf_init(&fm->name);
	buf_init(&fm->text);
	buf_init(&fm->clean);
	return fm;
}

void eh_fieldmap_free(struct eh_fieldmap *fm)
{
	if (fm == NULL)
		return;
	xmlFreeParserCtxt(fm->ctxt);
	buf_free(&fm->name);
	buf_free(&fm->text);
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
	fm->substituted = i < n;
	if (!fm->substituted)
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
	eh_event_reset(ev);
	fm->ev = ev;
	fm->depth = 0;
	fm->in_system = fm->in_eventdata = fm->in_userdata = false;
	fm->cap = CAP_NONE;
	fm->time = -1;
	xml = swap_controls(fm, xml, &len);
	if (len > INT32_MAX) {
		*cause = xstrdup("record XML too large");
		return -1;
	}
	xmlCtxtResetPush(fm->ctxt, NULL, 0, NULL, NULL);
	xmlCtxtUseOptions(fm->ctxt, XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOERROR |
					    XML_PARSE_NOWARNING);
	xmlParseChunk(fm->ctxt, xml, (int)len, 1);
	eh_event_finish(ev);
	ev->time = fm->time;
	if (!fm->ctxt->wellFormed && ev->nfields == 0 && ev->provider[0] == '\0') {
		*cause = xstrdup("record XML is not well-formed and holds no fields");
		return -1;
	}
	return 0;
}
