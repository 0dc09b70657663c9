/* Records read straight from their binary XML: template, substitution
 * values and names decoded into a normalized event through the same event
 * builder that reads libevtx's rendering (fieldmap.h), without libevtx's
 * parse and render or libxml2. Every value is written as libevtx writes it
 * (libfvalue's formats: padded hex, upper-case GUIDs in braces, FILETIME
 * with nine fraction digits, ...). Whatever this decoder cannot render
 * exactly as libevtx would (floating point, arrays, CDATA, entity and
 * character references, text libxml2 would change, anything libevtx
 * would fail on) it leaves to libevtx: the record is then read the usual
 * way. tests/e2e/decode.sh compares both readings over every record of
 * the sample logs. */
#ifndef EVTXHUNT_BXDECODE_H
#define EVTXHUNT_BXDECODE_H

#include <stdint.h>

#include "evtxhunt/event.h"

struct eh_bxdecode;

struct eh_bxdecode *eh_bxdecode_new(void);
void eh_bxdecode_free(struct eh_bxdecode *d);

/* Forgets the names read from the last chunk: to be called before the
 * records of each new chunk. */
void eh_bxdecode_new_chunk(struct eh_bxdecode *d);

/* Decodes the record at chunk offset POS (SIZE bytes, its header
 * included) into EV. Returns 0, or -1 with *WHY (a static string) when the
 * record is left to libevtx. EV's record_id is 0 and its time -1 where the
 * XML holds none, as eh_fieldmap_parse leaves them. */
int eh_bxdecode_record(struct eh_bxdecode *d, const uint8_t *chunk, uint32_t pos, uint32_t size, struct eh_event *ev,
		       const char **why);

#endif
