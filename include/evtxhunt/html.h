/* The HTML report (-f html, --html FILE): one self-contained file, no
 * network, no external script, style or font. The run, the counters, a
 * timeline picture (SVG: hits stacked by level, a lane per computer, each
 * host's log coverage behind), hits per level, rule, computer and ATT&CK
 * tactic, the metrics and integrity findings (--metrics), and the table of
 * every hit, rendered on demand by its own inline script from JSON embedded
 * in the file. Log values are attacker-controlled: in markup they are
 * escaped text, in the embedded JSON '<', '>', '&', U+2028 and U+2029 are
 * \u escapes, and the script only ever sets textContent. A
 * Content-Security-Policy allows nothing but the file's own inline script
 * and style, by their SHA-256. */
#ifndef EVTXHUNT_HTML_H
#define EVTXHUNT_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "evtxhunt/metrics.h"
#include "evtxhunt/scan.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/timeline.h"
#include "evtxhunt/util.h"

struct eh_html_input {
	char *path;
	uint64_t size;
	char sha256[65]; /* "" when it could not be read */
	char *error;     /* why not; NULL */
};

/* What the report says about the run; every member may be 0 or NULL (a
 * --merge has no scan: no counters, no inputs). Nothing is owned. */
struct eh_html_run {
	const char *version;
	int64_t started; /* FILETIME; < 0: not shown */
	double seconds;
	const struct eh_ruleset *rules;
	char *const *rule_paths; /* -r; none: the built-in rules */
	size_t nrule_paths;
	const struct eh_stats *stats;
	const struct eh_metrics *metrics; /* finished; NULL without --metrics */
	const struct eh_html_input *inputs;
	size_t ninputs;
	const char *diagnostics; /* the warnings of the run, as on stderr; NULL: none */
};

/* The input logs of PATHS as the scan finds them (a file as named, *.evtx
 * below a directory; only shard SHARD of SHARDS when SHARDS > 1), each
 * with its size and SHA-256, read without changing its access time. */
struct eh_html_input *eh_html_inputs(char *const *paths, size_t npaths, unsigned shard, unsigned shards, size_t *n);
void eh_html_inputs_free(struct eh_html_input *in, size_t n);

/* Writes the report of TL (read twice) to OUT. Returns 0, or -1 if
 * spilled hits could not be read back (errno set). */
int eh_html_write(FILE *out, const struct eh_html_run *run, struct eh_timeline *tl);

/* A stream writing to TO and keeping the first 256 KiB written in KEEP
 * (the run's warnings, for the report). Closing it leaves TO open. */
FILE *eh_html_tee(FILE *to, struct buf *keep);

#endif
