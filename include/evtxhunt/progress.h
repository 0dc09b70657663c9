/* The progress line of a run on a terminal: files and bytes done of the
 * totals a walk found before the scan, the rate, an ETA and the hits so
 * far, redrawn in place at most four times a second. Messages printed
 * meanwhile clear it first, so they never mix with it. */
#ifndef EVTXHUNT_PROGRESS_H
#define EVTXHUNT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct eh_progress {
	FILE *out; /* NULL: no progress line */
	uint64_t plan_files, plan_bytes, done_files, done_bytes;
	double started, drawn_at;
	bool shown;
};

/* OUT: a terminal's stream, or NULL for none. */
void eh_progress_init(struct eh_progress *p, FILE *out);
/* Starts the clock once the totals are known. */
void eh_progress_start(struct eh_progress *p);
/* Redraws the line if a quarter of a second has passed. */
void eh_progress_update(struct eh_progress *p, uint64_t hits);
/* Clears the line (before a message, and at the end). */
void eh_progress_clear(struct eh_progress *p);

#endif
