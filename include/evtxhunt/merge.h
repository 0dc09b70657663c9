/* Merge: JSON Lines written by evtxhunt -f jsonl (the shards of a sweep,
 * say) read back into one timeline, to be written in any format. Every
 * key the output formats need is in a JSON line, so the merged timeline
 * is the one a single run over all the inputs would have printed. */
#ifndef EVTXHUNT_MERGE_H
#define EVTXHUNT_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "evtxhunt/timeline.h"

struct eh_merger;

struct eh_merger *eh_merger_new(void);
/* Frees the rules the merged hits point at: after the timeline is done. */
void eh_merger_free(struct eh_merger *m);

/* Adds every hit of the JSON Lines file PATH ("-": standard input) to TL.
 * A line that is not an evtxhunt hit is reported on DIAG with file and
 * line and counted; the others are still read. Returns the hits added, or
 * -1 when PATH cannot be read at all (reported too). */
long eh_merge_file(struct eh_merger *m, const char *path, struct eh_timeline *tl, FILE *diag);
/* Adds the hit of one JSON line to TL; false (counted as a bad line) with
 * *ERR and *COLUMN set when it is not one. */
bool eh_merge_line(struct eh_merger *m, const char *line, size_t len, struct eh_timeline *tl, const char **err,
		   size_t *column);
/* Lines that could not be read, over every file. */
size_t eh_merger_bad_lines(const struct eh_merger *m);
size_t eh_merger_rules(const struct eh_merger *m);
const struct eh_rule *eh_merger_rule(const struct eh_merger *m, size_t i);

#endif
