/* Run report: the summary on stderr and the counters as JSON. */
#ifndef EVTXHUNT_REPORT_H
#define EVTXHUNT_REPORT_H

#include <stdio.h>

#include "evtxhunt/util.h"

#include "evtxhunt/scan.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/timeline.h"

struct eh_run {
	const struct eh_stats *stats;
	const struct eh_ruleset *rules;
	const struct eh_timeline *timeline;
	double seconds;
	/* rules set aside before the scan: by --exclude-rule(s), by --tag,
	 * by --min-level or --status */
	size_t rules_excluded, rules_untagged, rules_filtered;
};

void eh_report_summary(FILE *out, const struct eh_run *run);
/* One "evtxhunt:    COUNT  LABEL" line of the summary, LABEL escaped. */
void eh_report_count(FILE *out, uint64_t count, const char *label);
void eh_report_stats_json(FILE *out, const struct eh_run *run);

/* Appends one diagnostic line, "evtxhunt: KIND: PATH: MESSAGE\n", to B,
 * with PATH and MESSAGE escaped for a terminal (a file name is evidence
 * too); KIND NULL leaves "KIND: " out. The one place such lines are made. */
void eh_report_line(struct buf *b, const char *kind, const char *path, const char *msg);
/* The same line, MESSAGE formatted, written to OUT in one piece. */
void eh_report_linef(FILE *out, const char *kind, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* PATH escaped for a terminal, for messages that name it mid-sentence;
 * the caller frees. */
char *eh_report_path(const char *path);

#endif
