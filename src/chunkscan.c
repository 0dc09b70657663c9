/* Chunk scan: one chunk through repair, prefilter, libevtx, field
 * mapping and matching, on a worker's own state. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/binxml.h"
#include "evtxhunt/bxdecode.h"
#include "evtxhunt/chunkscan.h"
#include "evtxhunt/fieldmap.h"
#include "evtxhunt/logsource.h"
#include "evtxhunt/output.h"
#include "evtxhunt/reader.h"
#include "evtxhunt/report.h"

#define MAX_RECORDS_PER_CHUNK (EH_CHUNK_SIZE / EH_RECORD_MIN_SIZE)
#define MAX_REPAIRS 16

struct worker {
	const struct chunkscan_shared *shared;
	struct job *job; /* the job being scanned */
	struct eh_reader *reader;
	struct eh_watch_slot *slot; /* isolation: what the parent sees of this thread */
	struct eh_fieldmap *fieldmap;
	struct eh_bxdecode *decoder; /* NULL: every record goes to libevtx */
	struct eh_event event;
	struct eh_event normalized; /* the event under its log source's names */
	struct eh_prefilter_scan *pscan;
	struct eh_matcher *matcher;
	uint64_t *rows, *one_row;   /* row sets: the event's rows, one of them */
	uint64_t *taken, *routed;   /* rule sets: matched already, to match now */
	struct eh_record_place *places; /* the chunk's records */
	uint64_t *live_ids;             /* record ids of the chunk's live records */
	struct eh_defused *defused;     /* records kept from libevtx */
	struct eh_record_place *carved; /* where libevtx's carving candidates lie */
	size_t nlive, cap_live;
	struct buf scratch;
	/* narrowing on demand (see narrowed): the chunk's prefilter scan is
	 * deferred; whether it was made; the current record's place in the
	 * chunk (end 0: not known, the chunk's rules serve) */
	bool defer, scanned;
	size_t defer_start, defer_end;
};

struct worker *worker_new(const struct chunkscan_shared *shared)
{
	struct worker *w = xcalloc(1, sizeof *w);
	w->shared = shared;
	w->reader = eh_reader_new();
	w->slot = eh_watch_thread_join(shared->watch); /* on the worker's own thread */
	eh_reader_set_watch(w->reader, w->slot);
	w->fieldmap = eh_fieldmap_new();
	if (w->fieldmap == NULL) {
		fprintf(stderr, "evtxhunt: cannot create an XML parser\n");
		abort();
	}
	if (!shared->no_decode)
		w->decoder = eh_bxdecode_new();
	eh_event_init(&w->event);
	eh_event_init(&w->normalized);
	w->places = xcalloc(MAX_RECORDS_PER_CHUNK, sizeof *w->places);
	w->defused = xcalloc(MAX_RECORDS_PER_CHUNK, sizeof *w->defused);
	w->carved = xcalloc(MAX_RECORDS_PER_CHUNK, sizeof *w->carved);
	if (shared->prefilter)
		w->pscan = eh_prefilter_scan_new(shared->prefilter);
	/* with rules that have no literal the chunk scan waits (narrowed) */
	w->defer = shared->prefilter && eh_prefilter_rules_without_literals(shared->prefilter) > 0;
	w->matcher = eh_matcher_new(shared->rules);
	w->rows = xcalloc(eh_logsource_words(), sizeof *w->rows);
	w->one_row = xcalloc(eh_logsource_words(), sizeof *w->one_row);
	w->taken = xcalloc(eh_ruleset_words(shared->rules), sizeof *w->taken);
	w->routed = xcalloc(eh_ruleset_words(shared->rules), sizeof *w->routed);
	buf_init(&w->scratch);
	return w;
}

void worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	eh_reader_free(w->reader);
	eh_watch_thread_leave(w->slot);
	eh_fieldmap_free(w->fieldmap);
	eh_bxdecode_free(w->decoder);
	eh_event_release(&w->event);
	eh_event_release(&w->normalized);
	eh_prefilter_scan_free(w->pscan);
	eh_matcher_free(w->matcher);
	free(w->rows);
	free(w->one_row);
	free(w->taken);
	free(w->routed);
	free(w->places);
	free(w->carved);
	free(w->defused);
	free(w->live_ids);
	buf_free(&w->scratch);
	free(w);
}

void job_reset(struct job *job)
{
	for (size_t i = 0; i < job->nhits; i++)
		eh_event_free(job->hits[i].event);
	job->nhits = 0;
	memset(&job->stats, 0, sizeof job->stats);
	buf_reset(&job->messages);
	buf_reset(&job->damage);
}

void job_report(struct job *job, bool diag, bool damage, const char *kind, const char *path, const char *fmt, ...)
{
	if (strcmp(kind, "error") == 0)
		job->stats.errors++;
	else
		job->stats.warnings++;
	damage = damage && job->keep_damage;
	if (!diag && !damage)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (diag)
		eh_report_line(&job->messages, kind, path, msg);
	if (damage) {
		buf_add(&job->damage, path, strlen(path) + 1);
		buf_add(&job->damage, msg, strlen(msg) + 1);
	}
	free(msg);
}

/* One diagnostic line: "evtxhunt: KIND: PATH: PLACE: reason", with the
 * path and reason escaped (both can come from the evidence). */
static void chunkscan_report(struct worker *w, const char *kind, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void chunkscan_report(struct worker *w, const char *kind, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	job_report(w->job, w->shared->diag, true, kind, path, "%s", msg);
	free(msg);
}

static void chunkscan_on_hit(const struct eh_rule *rule, const struct eh_event *ev, void *user)
{
	struct job *job = ((struct worker *)user)->job;
	job->stats.hits++;
	if (job->nhits == job->caphits) {
		job->caphits = job->caphits ? job->caphits * 2 : 16;
		job->hits = xreallocarray(job->hits, job->caphits, sizeof *job->hits);
	}
	job->hits[job->nhits].rule = rule;
	job->hits[job->nhits++].event = eh_event_clone(ev);
}

/* Where a record sits, for messages. */
struct place {
	uint64_t chunk;
	int index;
	bool recovered;
};

/* Consecutive unreadable records of a chunk are reported as one run: a
 * damaged record that defines a template spoils every later record that
 * uses it, and one line per record would bury the message. */
struct failure_run {
	uint64_t chunk;
	uint64_t first_id, last_id;
	int first_index, count;
	bool recovered;
	char *cause;
};

static void flush_failures(struct worker *w, struct failure_run *run)
{
	if (run->count == 0)
		return;
	const char *kind = run->recovered ? "recovered record" : "record";
	if (run->count == 1 && run->first_id)
		chunkscan_report(w, "warning", w->job->file, "chunk %" PRIu64 ": %s %" PRIu64 " (index %d in the chunk): %s; skipped",
			run->chunk, kind, run->first_id, run->first_index, run->cause);
	else if (run->count == 1)
		chunkscan_report(w, "warning", w->job->file, "chunk %" PRIu64 ": %s at index %d in the chunk: %s; skipped", run->chunk,
			kind, run->first_index, run->cause);
	else
		chunkscan_report(w, "warning", w->job->file,
			"chunk %" PRIu64 ": %d %ss from index %d (ids %" PRIu64 " to %" PRIu64 "): %s; skipped",
			run->chunk, run->count, kind, run->first_index, run->first_id, run->last_id, run->cause);
	free(run->cause);
	memset(run, 0, sizeof *run);
}

/* Counts an unreadable record; CAUSE is taken over. */
static void record_problem(struct worker *w, struct failure_run *run, const struct place *p, uint64_t record_id,
			    char *cause)
{
	w->job->stats.records_unreadable++;
	if (run->count && (run->chunk != p->chunk || run->recovered != p->recovered ||
			   run->first_index + run->count != p->index))
		flush_failures(w, run);
	if (run->count == 0) {
		run->chunk = p->chunk;
		run->recovered = p->recovered;
		run->first_index = p->index;
		run->first_id = record_id;
		run->cause = cause;
	} else {
		free(cause);
	}
	run->last_id = record_id;
	run->count++;
}

/* Narrowing on demand. With rules that have no literal, the prefilter
 * skips nothing (any record may meet them): it only narrows the rules an
 * event is matched against to those whose literals its record holds, at
 * the price of a scan of the chunk (3.3 M instructions a chunk with
 * SigmaHQ's Windows rules) and, once a run, of compiling the search. That
 * pays where an event is routed to rules of many values (a process
 * creation: 1,415 rules, 8,061 literals; an IOC list of 100,000) and not
 * where it meets a few (a Security logon, once the event-id guards have
 * left out the rules of other events: evaluating a value costs some 100
 * instructions). So the chunk is scanned when its first event routed to
 * rules of more than NARROW_WORTH literals comes, and only such events are
 * narrowed. Returns the rules the event may match (NULL: every rule routed
 * to it). */
#define NARROW_WORTH 256
static const uint64_t *narrowed(struct worker *w, int64_t guard_id)
{
	const struct eh_ruleset *rules = w->shared->rules;
	const struct eh_prefilter *pf = w->shared->prefilter;
	const uint64_t *always = eh_prefilter_always(pf);
	const size_t *literals = eh_prefilter_literal_counts(pf);
	size_t words = eh_ruleset_words(rules), n = 0;
	eh_ruleset_route(rules, w->rows, guard_id, NULL, NULL, w->routed);
	for (size_t i = 0; i < words && n <= NARROW_WORTH; i++)
		for (uint64_t bits = w->routed[i] & ~always[i]; bits && n <= NARROW_WORTH; bits &= bits - 1)
			n += literals[i * 64 + (size_t)__builtin_ctzll(bits)];
	if (n <= NARROW_WORTH)
		return NULL;
	if (!w->scanned) {
		eh_prefilter_scan_chunk(w->pscan, w->job->chunk, EH_CHUNK_SIZE);
		w->scanned = true;
	}
	return w->defer_end ? eh_prefilter_record_rules(w->pscan, w->defer_start, w->defer_end)
			    : eh_prefilter_chunk_rules(w->pscan);
}

/* Matches the parsed event against the rules of CANDIDATES (NULL: all)
 * that select one of its rows: through a row that renames fields (4688
 * for process_creation) the renamed event, through the others the event
 * as it is; each rule once. Returns whether a rule wants the event. */
static bool chunkscan_match_event(struct worker *w, const uint64_t *candidates)
{
	const struct eh_ruleset *rules = w->shared->rules;
	if (!eh_logsource_rows_of(&w->event, w->rows) || !eh_ruleset_wants_rows(rules, w->rows))
		return false;
	w->job->stats.events_matched++;
	int64_t guard_id = eh_ruleset_guard_id(rules, &w->event);
	if (w->defer)
		candidates = narrowed(w, guard_id);
	memset(w->taken, 0, eh_ruleset_words(rules) * sizeof *w->taken);
	/* the event's rows that rename fields: its set bits, as they were */
	for (size_t rw = 0; rw < eh_logsource_words(); rw++)
		for (uint64_t bits = w->rows[rw]; bits; bits &= bits - 1) {
			size_t row = rw * 64 + (size_t)__builtin_ctzll(bits);
			if (row >= eh_logsource_rows || eh_logsource_table[row].fields == NULL)
				continue;
			uint64_t bit = UINT64_C(1) << (row % 64);
			w->rows[rw] &= ~bit;
			memset(w->one_row, 0, eh_logsource_words() * sizeof *w->one_row);
			w->one_row[rw] = bit;
			/* renaming leaves EventID as it is (no row renames a field to it) */
			if (eh_ruleset_route(rules, w->one_row, guard_id, candidates, w->taken, w->routed))
				eh_matcher_match(w->matcher, eh_logsource_normalize((int)row, &w->event, &w->normalized),
						 w->routed, chunkscan_on_hit, w);
		}
	if (eh_ruleset_route(rules, w->rows, guard_id, candidates, w->taken, w->routed))
		eh_matcher_match(w->matcher, &w->event, w->routed, chunkscan_on_hit, w);
	return true;
}

/* Completes the event built from record REC (its header's id and time
 * where the XML has none), filters it and matches it when a rule wants it. */
static void match_built(struct worker *w, const struct eh_record *rec, const uint64_t *candidates)
{
	if (w->event.record_id == 0) /* no EventRecordID in the XML */
		w->event.record_id = rec->record_id;
	w->event.event_id = rec->event_id;
	w->event.recovered = rec->recovered;
	if (w->event.time < 0) /* no TimeCreated: the record header's time */
		w->event.time = (int64_t)rec->written_time;
	if (w->shared->filter && !eh_filter_event_passes(w->shared->filter, &w->event)) {
		w->job->stats.records_filtered++;
		return;
	}
	if (w->shared->every_event)
		w->shared->every_event(&w->event, w->job->file, w->shared->user);
	if (!eh_ruleset_wants(w->shared->rules, rec->provider, rec->event_id))
		return;
	chunkscan_match_event(w, candidates);
}

/* Renders, maps and matches the loaded record when a rule wants it. */
static void match_record(struct worker *w, const struct eh_record *rec, const struct place *p,
			  struct failure_run *run, const uint64_t *candidates)
{
	if (w->shared->every_event == NULL && !eh_ruleset_wants(w->shared->rules, rec->provider, rec->event_id))
		return;
	const char *xml;
	size_t len;
	char *cause = NULL;
	if (eh_reader_xml(w->reader, &xml, &len, &cause) != 0 ||
	    eh_fieldmap_parse(w->fieldmap, xml, len, &w->event, &cause) != 0) {
		record_problem(w, run, p, rec->record_id, cause);
		return;
	}
	flush_failures(w, run);
	match_built(w, rec, candidates);
}

/* The record at PLACE read straight from its binary XML, without libevtx:
 * a live record, or a carving candidate (RECOVERED) whose place evtxhunt
 * found where libevtx does. Returns false when the decoder leaves it to
 * libevtx. */
static bool decode_place(struct worker *w, const struct eh_record_place *place, bool recovered,
			 struct failure_run *run, const uint64_t *candidates)
{
	const char *why;
	if (eh_bxdecode_record(w->decoder, w->job->chunk, place->offset, place->size, &w->event, &why) != 0) {
		if (!recovered)
			w->job->stats.records_left_to_libevtx++;
		return false;
	}
	flush_failures(w, run);
	if (recovered) {
		w->job->stats.records_recovered++;
	} else {
		w->job->stats.records++;
		w->job->stats.records_decoded++;
		w->live_ids[w->nlive++] = place->id;
	}
	struct eh_record rec = { .record_id = place->id,
				 .event_id = w->event.event_id,
				 .written_time = eh_record_written_time(w->job->chunk, place->offset),
				 .provider = w->event.provider,
				 .recovered = recovered };
	match_built(w, &rec, candidates);
	return true;
}

/* A live record libevtx cannot parse may be binary XML without a template,
 * which evtxhunt renders itself. Returns whether it was read. */
static bool chunkscan_fallback(struct worker *w, const struct eh_record_place *place, const uint64_t *candidates)
{
	char *cause = NULL;
	if (eh_binxml_render(w->job->chunk, place->offset, place->size, &w->scratch, &cause) != 0 ||
	    eh_fieldmap_parse(w->fieldmap, w->scratch.data, w->scratch.len, &w->event, &cause) != 0) {
		free(cause);
		return false;
	}
	w->job->stats.records++;
	w->job->stats.records_rendered_by_evtxhunt++;
	struct eh_record rec = { .record_id = w->event.record_id ? w->event.record_id : place->id,
				 .event_id = w->event.event_id,
				 .provider = w->event.provider };
	if (w->shared->every_event) {
		if (w->event.record_id == 0)
			w->event.record_id = place->id;
		w->shared->every_event(&w->event, w->job->file, w->shared->user);
	}
	if (!eh_ruleset_wants(w->shared->rules, rec.provider, rec.event_id))
		return true;
	if (w->event.record_id == 0)
		w->event.record_id = place->id;
	chunkscan_match_event(w, candidates);
	return true;
}

/* Index of the live record with RECORD_ID in the current chunk, or -1. */
static int live_index(const struct worker *w, uint64_t record_id)
{
	for (size_t i = 0; i < w->nlive; i++)
		if (w->live_ids[i] == record_id)
			return (int)i;
	return -1;
}

/* Whether recovered record R (loaded now) has the same content as live
 * record L: compared as rendered XML. Leaves R loaded again. */
static bool same_as_live(struct worker *w, int r, int l)
{
	struct eh_record rec;
	const char *xml;
	size_t len;
	char *cause = NULL;
	bool same = false;
	if (eh_reader_xml(w->reader, &xml, &len, &cause) == 0) {
		buf_reset(&w->scratch);
		buf_add(&w->scratch, xml, len);
		eh_watch_hint(w->slot, w->live_ids[l], 0);
		if (eh_reader_load(w->reader, l, false, &rec, &cause) == 0 &&
		    eh_reader_xml(w->reader, &xml, &len, &cause) == 0)
			same = len == w->scratch.len && memcmp(xml, w->scratch.data, len) == 0;
	}
	free(cause);
	cause = NULL;
	eh_watch_hint(w->slot, 0, 0);
	if (eh_reader_load(w->reader, r, true, &rec, &cause) != 0)
		free(cause);
	return same;
}

/* Names each record kept from libevtx, with what it would have done. */
static void report_defused(struct worker *w, const struct eh_chunk_info *info, size_t n)
{
	const struct job *job = w->job;
	size_t told = 0;
	for (size_t i = 0; i < n; i++) {
		const struct eh_defused *d = &w->defused[i];
		/* slack that fails for its shape is slack being overwritten, as
		 * usual; slack that would expand past the limits was crafted */
		if (d->slack && !d->why.over_limit)
			continue;
		if (++told > MAX_REPAIRS)
			continue;
		if (d->why.over_limit)
			chunkscan_report(w, "warning", job->file,
				"chunk %" PRIu64 ": %s %" PRIu64 " (chunk offset %" PRIu32 "): %s (%" PRIu64
				" nodes, %" PRIu32 " levels counted); %s",
				info->index, d->slack ? "a record in slack space, id" : "record",
				eh_record_id(job->chunk, d->offset), d->offset, d->why.reason, d->why.nodes, d->why.depth,
				d->slack ? "not carved" : "kept from libevtx, unreadable");
		else
			chunkscan_report(w, "warning", job->file,
				"chunk %" PRIu64 ": record %" PRIu64 " (chunk offset %" PRIu32 "): %s; unreadable",
				info->index, eh_record_id(job->chunk, d->offset), d->offset, d->why.reason);
	}
	if (told > MAX_REPAIRS)
		chunkscan_report(w, "warning", job->file, "chunk %" PRIu64 ": %zu more such records; unreadable", info->index,
			told - MAX_REPAIRS);
}

static void report_repairs(struct worker *w, const struct eh_chunk_info *info,
			    const struct eh_framing_repair *rep, size_t n)
{
	for (size_t i = 0; i < n && i < MAX_REPAIRS; i++) {
		if (rep[i].bad_copy)
			chunkscan_report(w, "warning", w->job->file,
				"chunk %" PRIu64 ": record at chunk offset %" PRIu32
				": its trailing size copy differs from its size %" PRIu32 "; framed by its size",
				info->index, rep[i].offset, rep[i].span);
		else
			chunkscan_report(w, "warning", w->job->file,
				"chunk %" PRIu64 ": record header at chunk offset %" PRIu32 ": damaged %s (size field %" PRIu32
				"); framed up to the next intact record at offset %" PRIu32,
				info->index, rep[i].offset, rep[i].bad_magic ? "signature" : "size", rep[i].old_size,
				rep[i].offset + rep[i].span);
	}
	if (n > MAX_REPAIRS)
		chunkscan_report(w, "warning", w->job->file, "chunk %" PRIu64 ": %zu more damaged record headers", info->index,
			n - MAX_REPAIRS);
}

/* Reads one chunk. CARVE: the chunk lost its header (no signature, the
 * checksum does not vouch for it), so everything libevtx finds in it is
 * carved and marked recovered. */
/* Whether any record of the chain was written near the filter's range
 * (the record header's time: no parsing). */
static bool some_record_in_range(const uint8_t *chunk, const struct eh_record_place *places, size_t n,
				  const struct eh_filter *filter)
{
	for (size_t i = 0; i < n; i++)
		if (eh_filter_record_may_pass(filter, eh_record_written_time(chunk, places[i].offset)))
			return true;
	return n == 0;
}

/* Isolation: the quarantined record INDEX of the job's chunk (-1: the
 * chunk itself), kept from libevtx after it failed there in an earlier
 * attempt; NULL when none. */
static const struct eh_quarantined *quarantined(const struct worker *w, int index, bool recovered)
{
	return eh_quarantine_find(w->shared->quarantine, w->job->file, w->job->info.index, index, recovered);
}

/* Tells the watch which record goes to libevtx next: live record I as the
 * chain walked says, when libevtx lists that chain. */
static void watch_live(struct worker *w, int i, size_t nplaces)
{
	if (w->slot == NULL)
		return;
	if ((size_t)eh_reader_live_count(w->reader) == nplaces)
		eh_watch_hint(w->slot, w->places[i].id, w->places[i].offset);
	else
		eh_watch_hint(w->slot, eh_chunk_record_id(w->job->chunk, i), 0);
}

/* Whether libevtx cannot make an event of the carving candidate at PLACE:
 * its binary XML stops where libfwevt gives up (bxcheck.h: most slack
 * names a template whose definition was overwritten, and libfwevt then
 * finds no fragment header there), or its templates are not intact
 * (eh_chunk_record_templates_intact, which the caller would check after
 * the parse). Both are facts of the chunk's bytes, so skipping the parse
 * changes no result, only its cost (about 120,000 instructions each). */
static bool carving_doomed(const uint8_t *chunk, const struct eh_record_place *place)
{
	struct eh_bx_verdict v;
	eh_bx_check_record(chunk, place->offset, place->size, &eh_bx_default_limits, false, NULL, &v);
	if (v.libfwevt_fails)
		return true;
	return !eh_chunk_record_templates_intact(chunk, place->id);
}

void worker_scan(struct worker *w, struct job *job)
{
	struct eh_chunk_info *info = &job->info;
	bool carve = job->carve;
	w->job = job;
	eh_watch_set_chunk(w->slot, job->file, info->index);
	char *cause = NULL;
	if (info->signature_restored)
		chunkscan_report(w, "warning", job->file,
			"chunk %" PRIu64 " (offset %" PRIu64 "): signature damaged, the header checksum vouches for the rest; read",
			info->index, info->offset);
	/* The prefilter scans the whole chunk as read, slack included, so a
	 * chunk it rules out holds no matching record, live or recoverable.
	 * With rules that have no literal it rules out nothing: then the scan
	 * waits until an event needs it (narrowed). */
	w->scanned = false;
	w->defer_end = 0;
	if (w->shared->prefilter && !w->defer && !eh_prefilter_scan_chunk(w->pscan, job->chunk, EH_CHUNK_SIZE)) {
		size_t n = eh_chunk_records(job->chunk, w->places, MAX_RECORDS_PER_CHUNK);
		if (carve) {
			job->stats.chunks_skipped++;
		} else {
			job->stats.chunks++;
			job->stats.records += n;
		}
		job->stats.chunks_prefiltered++;
		job->stats.records_prefiltered += n;
		return;
	}
	/* what follows is parsed: its damage is worth reporting, and the data
	 * checksum is taken before the framing repair touches anything */
	if (!carve) {
		eh_chunk_check_data(job->chunk, info);
		/* a chunk cut by the end of the file fails its checksums: the
		 * driver said so already */
		if (info->bytes_read == EH_CHUNK_SIZE && (!info->header_crc_ok || !info->data_crc_ok)) {
			job->stats.chunks_checksum_bad++;
			chunkscan_report(w, "warning", job->file,
				"chunk %" PRIu64 " (offset %" PRIu64 "): %s checksum mismatch; reading its records anyway",
				info->index, info->offset,
				!info->header_crc_ok && !info->data_crc_ok ? "header and data"
				: !info->header_crc_ok			 ? "header"
									 : "data");
		}
	}
	/* records end where the file was cut: in our copy, the used space ends
	 * there too, so a record the cut goes through is framed to it and
	 * counted as unreadable, and the zeros behind are not searched */
	if (info->bytes_read < EH_CHUNK_SIZE && eh_chunk_free_space(job->chunk) > info->bytes_read)
		eh_chunk_set_free_space(job->chunk, info->bytes_read);
	struct eh_framing_repair rep[MAX_REPAIRS];
	size_t nrep = carve ? 0 : eh_chunk_repair_framing(job->chunk, rep, MAX_REPAIRS);
	if (nrep) {
		job->stats.record_headers_repaired += nrep;
		report_repairs(w, info, rep, nrep);
	}
	size_t nplaces = eh_chunk_records(job->chunk, w->places, MAX_RECORDS_PER_CHUNK);
	const struct eh_filter *filter = w->shared->filter;
	if (filter && eh_filter_has_time(filter) && !carve && !some_record_in_range(job->chunk, w->places, nplaces, filter)) {
		job->stats.chunks++;
		job->stats.records += nplaces;
		job->stats.chunks_filtered++;
		job->stats.records_filtered += nplaces;
		return;
	}
	size_t defused_live, defused_slack;
	eh_chunk_defuse(job->chunk, &defused_live, &defused_slack, w->defused, MAX_RECORDS_PER_CHUNK);
	job->stats.recovered_unparsable += defused_slack;
	report_defused(w, info, defused_live + defused_slack);
	size_t next_defused = 0; /* defused records are met in chain order */
	const struct eh_quarantined *kept = quarantined(w, -1, false);
	if (kept) {
		job->stats.chunks_skipped++;
		chunkscan_report(w, "warning", job->file, "chunk %" PRIu64 " (offset %" PRIu64 "): %s; skipped", info->index,
			info->offset, kept->reason);
		return;
	}
	eh_watch_hint(w->slot, 0, 0);
	if (eh_reader_open_chunk(w->reader, job->chunk, &cause) != 0) {
		job->stats.chunks_skipped++;
		chunkscan_report(w, "warning", job->file, "chunk %" PRIu64 " (offset %" PRIu64 "): %s; skipped", info->index,
			info->offset, cause);
		free(cause);
		return;
	}
	if (carve)
		job->stats.chunks_skipped++;
	else
		job->stats.chunks++;
	if (w->decoder)
		eh_bxdecode_new_chunk(w->decoder);
	uint64_t carved_before = job->stats.records_recovered, unparsable_before = job->stats.recovered_unparsable;
	struct eh_record rec;
	struct failure_run run = { 0 };
	int live = eh_reader_live_count(w->reader);
	/* records are narrowed one by one only where libevtx lists exactly the
	 * chain walked above; otherwise the chunk's rule set serves for all */
	bool narrow = w->shared->prefilter && !w->defer && !carve && (size_t)live == nplaces;
	const uint64_t *chunk_rules = w->shared->prefilter && !w->defer ? eh_prefilter_chunk_rules(w->pscan) : NULL;
	w->nlive = 0;
	if ((size_t)live > w->cap_live) {
		w->cap_live = (size_t)live;
		w->live_ids = xreallocarray(w->live_ids, w->cap_live, sizeof *w->live_ids);
	}
	for (int i = 0; i < live; i++) {
		struct place p = { info->index, i, carve };
		const uint64_t *candidates = chunk_rules;
		bool placed_live = !carve && (size_t)live == nplaces;
		w->defer_start = placed_live ? w->places[i].offset : 0;
		w->defer_end = placed_live ? w->places[i].offset + w->places[i].size : 0;
		if (!carve && next_defused < defused_live && (size_t)live == nplaces &&
		    w->places[i].offset == w->defused[next_defused].offset) {
			next_defused++;
			job->stats.records_unreadable++;
			continue;
		}
		if (filter && (size_t)live == nplaces && !carve &&
		    !eh_filter_record_may_pass(filter, eh_record_written_time(job->chunk, w->places[i].offset))) {
			job->stats.records++;
			job->stats.records_filtered++;
			w->live_ids[w->nlive++] = w->places[i].id;
			continue;
		}
		if (narrow) {
			candidates = eh_prefilter_record_rules(w->pscan, w->places[i].offset,
							       w->places[i].offset + w->places[i].size);
			if (candidates == NULL) { /* no literal of any rule: not parsed */
				job->stats.records++;
				job->stats.records_prefiltered++;
				w->live_ids[w->nlive++] = w->places[i].id;
				continue;
			}
		}
		if ((kept = quarantined(w, i, false)) != NULL) {
			record_problem(w, &run, &p, eh_chunk_record_id(job->chunk, i), xstrdup(kept->reason));
			continue;
		}
		if (w->decoder && !carve && (size_t)live == nplaces && decode_place(w, &w->places[i], false, &run, candidates))
			continue;
		watch_live(w, i, nplaces);
		if (eh_reader_load(w->reader, i, false, &rec, &cause) != 0) {
			if (!carve && (size_t)live == nplaces &&
			    chunkscan_fallback(w, &w->places[i], candidates)) {
				free(cause);
				w->live_ids[w->nlive++] = w->places[i].id;
				continue;
			}
			record_problem(w, &run, &p, eh_chunk_record_id(job->chunk, i), cause);
			continue;
		}
		flush_failures(w, &run);
		rec.recovered = carve;
		if (carve)
			job->stats.records_recovered++;
		else
			job->stats.records++;
		w->live_ids[w->nlive++] = rec.record_id;
		match_record(w, &rec, &p, &run, candidates);
	}
	int recovered = eh_reader_recovered_count(w->reader);
	/* Where each candidate lies, when evtxhunt finds libevtx's list: then
	 * a candidate libevtx is sure to fail on, or whose templates were
	 * overwritten, costs no parse (see carving_doomed). */
	bool placed = recovered > 0 && w->decoder &&
		      eh_chunk_recovery_places(job->chunk, w->carved, MAX_RECORDS_PER_CHUNK) == (size_t)recovered;
	w->defer_end = 0; /* carved: the chunk's rules */
	for (int i = 0; i < recovered; i++) {
		struct place p = { info->index, i, true };
		/* Carving candidates from slack space often fail to parse: that is
		 * expected of slack, so they are not counted as unreadable. */
		if ((kept = quarantined(w, i, true)) != NULL) {
			record_problem(w, &run, &p, kept->record_id, xstrdup(kept->reason));
			continue;
		}
		if (placed && carving_doomed(job->chunk, &w->carved[i])) {
			job->stats.recovered_unparsable++;
			continue;
		}
		/* a twin of a live record is compared with it by libevtx's XML */
		if (placed && live_index(w, w->carved[i].id) < 0 && decode_place(w, &w->carved[i], true, &run, chunk_rules))
			continue;
		eh_watch_hint(w->slot, 0, 0);
		if (eh_reader_load(w->reader, i, true, &rec, &cause) != 0) {
			free(cause);
			job->stats.recovered_unparsable++;
			continue;
		}
		/* slack whose templates were overwritten renders as nonsense:
		 * one event's values under another's names */
		if (!eh_chunk_record_templates_intact(job->chunk, rec.record_id)) {
			job->stats.recovered_unparsable++;
			continue;
		}
		int twin = live_index(w, rec.record_id);
		if (twin >= 0 && same_as_live(w, i, twin)) {
			job->stats.recovered_duplicates++;
			continue;
		}
		job->stats.records_recovered++;
		match_record(w, &rec, &p, &run, chunk_rules);
	}
	flush_failures(w, &run);
	if (carve)
		chunkscan_report(w, "warning", job->file,
			"chunk %" PRIu64 " (offset %" PRIu64 "): no ElfChnk signature; %" PRIu64
			" records carved from it (marked recovered), %" PRIu64 " more found but not parsable",
			info->index, info->offset, job->stats.records_recovered - carved_before,
			job->stats.recovered_unparsable - unparsable_before);
	job->stats.regex_limit_hits += eh_matcher_take_regex_limit_hits(w->matcher);
	eh_reader_close_chunk(w->reader);
}

