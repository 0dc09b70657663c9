/* Run report. */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "evtxhunt/output.h"
#include "evtxhunt/report.h"

static double _mbps(const struct eh_run *run)
{
	return run->seconds > 0 ? (double)run->stats->bytes / 1e6 / run->seconds : 0.0;
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
	if (st->records_prefiltered)
		fprintf(out, "evtxhunt: prefilter: %" PRIu64 " chunks and %" PRIu64 " records hold no rule literal: not parsed\n",
			st->chunks_prefiltered, st->records_prefiltered);
	fprintf(out, "evtxhunt: %" PRIu64 " events matched against %zu rules, %" PRIu64 " hits in %.2f s (%.1f MB/s)\n",
		st->events_matched, nrules, st->hits, run->seconds, _mbps(run));
	/* hits per rule, in load order */
	for (size_t i = 0; i < nrules; i++) {
		const struct eh_rule *rule = eh_ruleset_rule(run->rules, i);
		uint64_t n = eh_timeline_rule_hits(run->timeline, rule);
		if (n == 0)
			continue;
		struct buf b;
		buf_init(&b);
		eh_escape_terminal(&b, rule->title, strlen(rule->title));
		fprintf(out, "evtxhunt: %8" PRIu64 "  %s\n", n, b.data);
		buf_free(&b);
	}
	if (eh_timeline_spilled_runs(run->timeline))
		fprintf(out, "evtxhunt: hits spilled to a temporary file in %zu sorted runs, merged for the output\n",
			eh_timeline_spilled_runs(run->timeline));
}

void eh_report_stats_json(FILE *out, const struct eh_run *run)
{
	const struct eh_stats *st = run->stats;
	fprintf(out,
		"{\"files\":%" PRIu64 ",\"files_failed\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"chunks\":%" PRIu64
		",\"chunks_skipped\":%" PRIu64 ",\"chunks_empty\":%" PRIu64 ",\"chunks_checksum_bad\":%" PRIu64
		",\"record_headers_repaired\":%" PRIu64 ",\"chunks_prefiltered\":%" PRIu64
		",\"records_prefiltered\":%" PRIu64 ",\"records\":%" PRIu64 ",\"records_unreadable\":%" PRIu64 ",\"records_rendered_by_evtxhunt\":%" PRIu64 ",\"records_recovered\":%" PRIu64
		",\"recovered_duplicates\":%" PRIu64 ",\"recovered_unparsable\":%" PRIu64 ",\"events_matched\":%" PRIu64 ",\"hits\":%" PRIu64
		",\"rules_loaded\":%zu,\"rules_rejected\":%zu,\"rules_unmapped\":%zu,\"warnings\":%" PRIu64
		",\"errors\":%" PRIu64 ",\"seconds\":%.3f}\n",
		st->files, st->files_failed, st->bytes, st->chunks, st->chunks_skipped, st->chunks_empty,
		st->chunks_checksum_bad, st->record_headers_repaired, st->chunks_prefiltered, st->records_prefiltered, st->records, st->records_unreadable, st->records_rendered_by_evtxhunt, st->records_recovered,
		st->recovered_duplicates, st->recovered_unparsable, st->events_matched, st->hits, eh_ruleset_count(run->rules),
		eh_ruleset_error_count(run->rules), eh_ruleset_unmapped(run->rules), st->warnings, st->errors,
		run->seconds);
}
