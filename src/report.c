/* Run report. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>

#include "evtxhunt/correlation.h"
#include "evtxhunt/output.h"
#include "evtxhunt/report.h"

static double mbps(const struct eh_run *run)
{
	return run->seconds > 0 ? (double)run->stats->bytes / 1e6 / run->seconds : 0.0;
}

static int by_count(const void *a, const void *b)
{
	const struct computer_count *x = *(const struct computer_count *const *)a, *y = *(const struct computer_count *const *)b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

void eh_report_count(FILE *out, uint64_t count, const char *label)
{
	struct buf b;
	buf_init(&b);
	eh_escape_terminal(&b, label, strlen(label));
	fprintf(out, "evtxhunt: %8" PRIu64 "  %s\n", count, b.data);
	buf_free(&b);
}

void eh_report_line(struct buf *b, const char *kind, const char *path, const char *msg)
{
	buf_adds(b, "evtxhunt: ");
	if (kind)
		buf_addf(b, "%s: ", kind);
	eh_escape_terminal(b, path, strlen(path));
	buf_adds(b, ": ");
	eh_escape_terminal(b, msg, strlen(msg));
	buf_addc(b, '\n');
}

void eh_report_linef(FILE *out, const char *kind, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	struct buf b;
	buf_init(&b);
	eh_report_line(&b, kind, path, msg);
	fputs(b.data, out);
	buf_free(&b);
	free(msg);
}

char *eh_report_path(const char *path)
{
	struct buf b;
	buf_init(&b);
	eh_escape_terminal(&b, path, strlen(path));
	return buf_steal(&b);
}

void eh_report_summary(FILE *out, const struct eh_run *run)
{
	const struct eh_stats *st = run->stats;
	size_t nrules = eh_ruleset_count(run->rules);
	fprintf(out,
		"evtxhunt: %" PRIu64 " files (%" PRIu64 " failed), %" PRIu64 " chunks (%" PRIu64 " skipped, %" PRIu64
		" with bad checksums), %" PRIu64 " records (%" PRIu64 " unreadable), %" PRIu64
		" recovered records (%" PRIu64 " more carving candidates not parsable)\n",
		st->files, st->files_failed, st->chunks, st->chunks_skipped, st->chunks_checksum_bad, st->records,
		st->records_unreadable, st->records_recovered, st->recovered_unparsable);
	if (st->files_unchanged || st->chunks_unchanged || st->hits_known)
		fprintf(out,
			"evtxhunt: state: %" PRIu64 " files and %" PRIu64 " more chunks as at the last run (not read again), %" PRIu64
			" hits reported before (not again)\n",
			st->files_unchanged, st->chunks_unchanged, st->hits_known);
	if (st->files_other_shards)
		fprintf(out, "evtxhunt: --shard: %" PRIu64 " logs left to the other shards\n", st->files_other_shards);
	if (st->chunks_truncated)
		fprintf(out, "evtxhunt: %" PRIu64 " chunks cut short by the end of their file: read up to the cut\n",
			st->chunks_truncated);
	if (st->regex_limit_hits)
		fprintf(out,
			"evtxhunt: %" PRIu64 " regular-expression tests stopped at the match limit (a pattern that "
			"backtracks too much): counted as not matching\n",
			st->regex_limit_hits);
	if (st->records_filtered)
		fprintf(out, "evtxhunt: filters: %" PRIu64 " records outside --from/--to/--computer (%" PRIu64
			" whole chunks not parsed)\n", st->records_filtered, st->chunks_filtered);
	if (st->records_prefiltered)
		fprintf(out, "evtxhunt: prefilter: %" PRIu64 " chunks and %" PRIu64 " records hold no rule literal: not parsed\n",
			st->chunks_prefiltered, st->records_prefiltered);
	fprintf(out, "evtxhunt: %" PRIu64 " events matched against %zu rules, %" PRIu64 " hits in %.2f s (%.1f MB/s)\n",
		st->events_matched, nrules, st->hits, run->seconds, mbps(run));
	if (eh_ruleset_unmapped(run->rules))
		fprintf(out,
			"evtxhunt: %zu of the %zu rules cannot fire: their log source is not in the event logs "
			"evtxhunt reads (--check-rules lists them)\n",
			eh_ruleset_unmapped(run->rules), nrules);
	/* hits per rule, in load order */
	if (st->hits)
		fprintf(out, "evtxhunt: hits per rule:\n");
	for (size_t i = 0; i < nrules; i++) {
		const struct eh_rule *rule = eh_ruleset_rule(run->rules, i);
		uint64_t n = eh_timeline_rule_hits(run->timeline, rule);
		if (n == 0)
			continue;
		eh_report_count(out, n, rule->title);
	}
	/* hits per computer, most first (up to 20) */
	size_t nc = eh_timeline_computers(run->timeline);
	if (nc > 0) {
		const struct computer_count **order = xcalloc(nc, sizeof *order);
		for (size_t i = 0; i < nc; i++)
			order[i] = eh_timeline_computer(run->timeline, i);
		qsort(order, nc, sizeof *order, by_count);
		fprintf(out, "evtxhunt: hits per computer:\n");
		for (size_t i = 0; i < nc && i < 20; i++)
			eh_report_count(out, order[i]->n, *order[i]->name ? order[i]->name : "(none)");
		if (nc > 20)
			fprintf(out, "evtxhunt: and %zu more computers\n", nc - 20);
		free(order);
	}
	if (eh_timeline_spilled_runs(run->timeline))
		fprintf(out, "evtxhunt: hits spilled to a temporary file in %zu sorted runs, merged for the output\n",
			eh_timeline_spilled_runs(run->timeline));
}

/* The counters of --stats-json, in output order. */
static const struct {
	const char *name;
	size_t offset;
} stat_fields[] = {
#define F(x) { #x, offsetof(struct eh_stats, x) }
	F(files), F(files_failed), F(files_other_shards), F(files_unchanged), F(chunks_unchanged), F(hits_known), F(bytes), F(chunks), F(chunks_skipped), F(chunks_empty),
	F(chunks_checksum_bad), F(chunks_truncated), F(record_headers_repaired), F(chunks_prefiltered),
	F(records_prefiltered), F(chunks_filtered), F(records_filtered), F(records), F(records_unreadable), F(records_rendered_by_evtxhunt), F(records_decoded), F(records_left_to_libevtx),
	F(records_recovered), F(recovered_duplicates), F(recovered_unparsable), F(events_matched), F(hits),
	F(regex_limit_hits),
#undef F
};

void eh_report_stats_json(FILE *out, const struct eh_run *run)
{
	const struct eh_stats *st = run->stats;
	const char *sep = "{";
	for (size_t i = 0; i < sizeof stat_fields / sizeof stat_fields[0]; i++, sep = ",")
		fprintf(out, "%s\"%s\":%" PRIu64, sep, stat_fields[i].name,
			*(const uint64_t *)((const char *)st + stat_fields[i].offset));
	uint64_t correlation_hits = 0; /* rows of their own, not in st->hits (base matches) */
	for (size_t i = 0; i < eh_correlations_count(run->rules); i++)
		correlation_hits += eh_correlation_hits(run->rules, i);
	struct rusage ru;
	long peak_kb = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
	fprintf(out,
		",\"rules_loaded\":%zu,\"rules_rejected\":%zu,\"rules_unmapped\":%zu,\"rules_set_aside\":%zu"
		",\"rules_excluded\":%zu,\"rules_untagged\":%zu,\"correlations_usable\":%zu,\"correlation_hits\":%" PRIu64
		",\"warnings\":%" PRIu64
		",\"errors\":%" PRIu64 ",\"seconds\":%.3f,\"peak_rss_kb\":%ld}\n",
		eh_ruleset_count(run->rules), eh_ruleset_error_count(run->rules), eh_ruleset_unmapped(run->rules),
		run->rules_excluded + run->rules_untagged + run->rules_filtered, run->rules_excluded, run->rules_untagged,
		eh_correlations_usable(run->rules), correlation_hits, st->warnings, st->errors, run->seconds, peak_kb);
}
