/* Run report: the summary on stderr and the counters as JSON. */
#ifndef EVTXHUNT_REPORT_H
#define EVTXHUNT_REPORT_H

#include <stdio.h>

#include "evtxhunt/scan.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/timeline.h"

struct eh_run {
	const struct eh_stats *stats;
	const struct eh_ruleset *rules;
	const struct eh_timeline *timeline;
	double seconds;
};

void eh_report_summary(FILE *out, const struct eh_run *run);
/* One "evtxhunt:    COUNT  LABEL" line of the summary, LABEL escaped. */
void eh_report_count(FILE *out, uint64_t count, const char *label);
void eh_report_stats_json(FILE *out, const struct eh_run *run);

#endif
