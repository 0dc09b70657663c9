/* A fallback renderer for records libevtx cannot parse: binary XML that
 * is not a template instance (events written without templates, as some
 * forwarded and WEC logs hold). Elements, attributes, text, character and
 * entity references and CDATA are rendered as XML text for the field
 * mapper; anything else (a template, a substitution) is refused. */
#ifndef EVTXHUNT_BINXML_H
#define EVTXHUNT_BINXML_H

#include <stddef.h>
#include <stdint.h>

#include "evtxhunt/util.h"

/* Renders the record at chunk offset OFFSET (SIZE bytes, header
 * included) into XML (reset first). Returns 0, or -1 with *cause set. */
int eh_binxml_render(const uint8_t *chunk, uint32_t offset, uint32_t size, struct buf *xml, char **cause);

#endif
