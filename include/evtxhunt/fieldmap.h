/* Field mapper: a record's XML (as libevtx renders it) to a normalized
 * event, with libxml2. Fields are mapped by their Name attribute, never by
 * position: Sysmon schemas differ by version. */
#ifndef EVTXHUNT_FIELDMAP_H
#define EVTXHUNT_FIELDMAP_H

#include <stddef.h>

#include "evtxhunt/event.h"

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
