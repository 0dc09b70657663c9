/* Output files that are complete or absent: written unnamed (O_TMPFILE)
 * in the destination's directory and given their name only once complete
 * and synced, so a run that fails, is interrupted or killed leaves no
 * partial report and no stray temporary file. Where the file system has
 * no O_TMPFILE, a hidden temporary name is used instead and removed on
 * failure, SIGINT, SIGTERM and SIGHUP. */
#ifndef EVTXHUNT_OUTFILE_H
#define EVTXHUNT_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

struct eh_outfile;

/* Starts the output file PATH; an existing PATH is an error unless
 * REPLACE. NULL with a message on stderr when it cannot be created. */
struct eh_outfile *eh_outfile_open(const char *path, bool replace);
FILE *eh_outfile_stream(struct eh_outfile *o);
/* Flushes, syncs and names the file; returns 0, or -1 with a message on
 * stderr (the file is then absent). Frees O either way. */
int eh_outfile_commit(struct eh_outfile *o);
/* Drops the file unnamed. Frees O. */
void eh_outfile_abandon(struct eh_outfile *o);

#endif
