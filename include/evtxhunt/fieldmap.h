/* Field mapper: a record's XML (as libevtx renders it) to a normalized
 * event, with libxml2. Fields are mapped by their Name attribute, never by
 * position: Sysmon schemas differ by version. */
#ifndef EVTXHUNT_FIELDMAP_H
#define EVTXHUNT_FIELDMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "evtxhunt/event.h"
#include "evtxhunt/util.h"

/* The event builder: elements, attributes and text of a record's XML, in
 * document order, to a normalized event. libxml2's SAX parser feeds it
 * from libevtx's rendering; bxdecode.c feeds it straight from the binary
 * XML. One builder, so both give the same event by construction. */
struct eh_xattr {
	const char *name;
	const char *value;
	size_t len;
};

enum eh_evbuild_capture {
	CAP_NONE,
	CAP_EVENT_ID,
	CAP_RECORD_ID,
	CAP_SYSTEM,   /* a System element's text into a slot (cap_slot) */
	CAP_DATA,     /* EventData/Data: field named by its Name attribute */
	CAP_USERDATA, /* UserData leaf: field named by the element */
};

struct eh_evbuild {
	struct eh_event *ev;
	int depth;
	bool in_system, in_eventdata, in_userdata;
	enum eh_evbuild_capture cap;
	enum eh_system_slot cap_slot;
	int cap_depth;
	struct buf name, text;
	bool restore_controls; /* control characters were swapped for libxml2 */
	int64_t time;
};

void eh_evbuild_init(struct eh_evbuild *b);
void eh_evbuild_release(struct eh_evbuild *b);
/* EV is reset and built until eh_evbuild_finish. */
void eh_evbuild_begin(struct eh_evbuild *b, struct eh_event *ev);
void eh_evbuild_start(struct eh_evbuild *b, const char *local, const struct eh_xattr *attrs, size_t nattrs);
void eh_evbuild_text(struct eh_evbuild *b, const char *s, size_t len);
void eh_evbuild_end(struct eh_evbuild *b);
/* Whether the text of the element being read becomes a value (an element
 * of a value, not a UserData element that may still turn out a leaf). */
bool eh_evbuild_capturing(const struct eh_evbuild *b);
void eh_evbuild_finish(struct eh_evbuild *b);

struct eh_fieldmap;

/* libxml2's global set-up: once, on the main thread, before any worker. */
void eh_fieldmap_global_init(void);

struct eh_fieldmap *eh_fieldmap_new(void);
void eh_fieldmap_free(struct eh_fieldmap *fm);

/* Parses XML (LEN bytes) into EV (reset first). Recovers from malformed
 * XML rather than dropping the event. Returns 0, or -1 with *cause set
 * when nothing usable could be read. EV->time is -1 when the XML holds no
 * readable TimeCreated; EV->record_id is 0 when it holds no EventRecordID. */
int eh_fieldmap_parse(struct eh_fieldmap *fm, const char *xml, size_t len, struct eh_event *ev, char **cause);

#endif
