/* Scan: inputs to hits, with every skip counted and reported. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "evtxhunt/chunk.h"
#include "evtxhunt/fieldmap.h"
#include "evtxhunt/logsource.h"
#include "evtxhunt/output.h"
#include "evtxhunt/prefilter.h"
#include "evtxhunt/reader.h"
#include "evtxhunt/scan.h"
#include "evtxhunt/util.h"

struct eh_scanner {
	const struct eh_ruleset *rules;
	struct eh_scan_options opt;
	struct eh_timeline *tl;
	struct eh_stats stats;
	struct eh_reader *reader;
	struct eh_fieldmap *fieldmap;
	struct eh_event event;
	struct eh_event normalized; /* the event under its log source's names */
	uint8_t *chunk;
	const char *file; /* the file being read, as the timeline keeps it */
	uint64_t *live_ids; /* record ids of the current chunk's live records */
	size_t nlive, cap_live;
	struct buf scratch;
	struct eh_prefilter *prefilter; /* NULL: parse every record */
	struct eh_prefilter_scan *pscan;
	struct eh_record_place *places; /* the current chunk's records */
};

#define MAX_RECORDS_PER_CHUNK (EH_CHUNK_SIZE / 28)

#define MAX_REPAIRS 16

struct eh_scanner *eh_scanner_new(const struct eh_ruleset *rules, const struct eh_scan_options *opt,
				  struct eh_timeline *tl)
{
	struct eh_scanner *s = xcalloc(1, sizeof *s);
	s->rules = rules;
	s->opt = *opt;
	s->tl = tl;
	s->reader = eh_reader_new();
	s->fieldmap = eh_fieldmap_new();
	if (s->fieldmap == NULL) {
		fprintf(stderr, "evtxhunt: cannot create an XML parser\n");
		abort();
	}
	eh_event_init(&s->event);
	eh_event_init(&s->normalized);
	s->chunk = xmalloc(EH_CHUNK_SIZE);
	s->places = xcalloc(MAX_RECORDS_PER_CHUNK, sizeof *s->places);
	/* every record must be read when every event is asked for */
	if (!opt->no_prefilter && opt->every_event == NULL) {
		s->prefilter = eh_prefilter_build(rules);
		s->pscan = eh_prefilter_scan_new(s->prefilter);
	}
	return s;
}

void eh_scanner_free(struct eh_scanner *s)
{
	if (s == NULL)
		return;
	eh_reader_free(s->reader);
	eh_fieldmap_free(s->fieldmap);
	eh_event_release(&s->event);
	eh_event_release(&s->normalized);
	eh_match_thread_done();
	eh_prefilter_scan_free(s->pscan);
	eh_prefilter_free(s->prefilter);
	free(s->places);
	free(s->chunk);
	free(s->live_ids);
	buf_free(&s->scratch);
	free(s);
}

const struct eh_stats *eh_scanner_stats(const struct eh_scanner *s)
{
	return &s->stats;
}

/* One diagnostic line: "evtxhunt: KIND: PATH: PLACE: reason", with the
 * path and reason escaped (both can come from the evidence). */
static void _report(struct eh_scanner *s, const char *kind, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void _report(struct eh_scanner *s, const char *kind, const char *path, const char *fmt, ...)
{
	if (strcmp(kind, "error") == 0)
		s->stats.errors++;
	else
		s->stats.warnings++;
	if (s->opt.diag == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	struct buf line;
	buf_init(&line);
	buf_addf(&line, "evtxhunt: %s: ", kind);
	eh_escape_terminal(&line, path, strlen(path));
	buf_adds(&line, ": ");
	eh_escape_terminal(&line, msg, strlen(msg));
	buf_addc(&line, '\n');
	fputs(line.data, s->opt.diag);
	buf_free(&line);
	free(msg);
}

static void _on_hit(const struct eh_rule *rule, const struct eh_event *ev, void *user)
{
	struct eh_scanner *s = user;
	s->stats.hits++;
	eh_timeline_add(s->tl, rule, ev, s->file);
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

static void _flush_failures(struct eh_scanner *s, struct failure_run *run)
{
	if (run->count == 0)
		return;
	const char *kind = run->recovered ? "recovered record" : "record";
	if (run->count == 1 && run->first_id)
		_report(s, "warning", s->file, "chunk %" PRIu64 ": %s %" PRIu64 " (index %d in the chunk): %s; skipped",
			run->chunk, kind, run->first_id, run->first_index, run->cause);
	else if (run->count == 1)
		_report(s, "warning", s->file, "chunk %" PRIu64 ": %s at index %d in the chunk: %s; skipped", run->chunk,
			kind, run->first_index, run->cause);
	else
		_report(s, "warning", s->file,
			"chunk %" PRIu64 ": %d %ss from index %d (ids %" PRIu64 " to %" PRIu64 "): %s; skipped",
			run->chunk, run->count, kind, run->first_index, run->first_id, run->last_id, run->cause);
	free(run->cause);
	memset(run, 0, sizeof *run);
}

/* Counts an unreadable record; CAUSE is taken over. */
static void _record_problem(struct eh_scanner *s, struct failure_run *run, const struct place *p, uint64_t record_id,
			    char *cause)
{
	s->stats.records_unreadable++;
	if (run->count && (run->chunk != p->chunk || run->recovered != p->recovered ||
			   run->first_index + run->count != p->index))
		_flush_failures(s, run);
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

/* Renders, maps and matches the loaded record when a rule wants it. */
static void _match_record(struct eh_scanner *s, const struct eh_record *rec, const struct place *p,
			  struct failure_run *run, const uint64_t *candidates)
{
	if (s->opt.every_event == NULL && !eh_ruleset_wants(s->rules, rec->provider, rec->event_id))
		return;
	const char *xml;
	size_t len;
	char *cause = NULL;
	if (eh_reader_xml(s->reader, &xml, &len, &cause) != 0 ||
	    eh_fieldmap_parse(s->fieldmap, xml, len, &s->event, &cause) != 0) {
		_record_problem(s, run, p, rec->record_id, cause);
		return;
	}
	_flush_failures(s, run);
	if (s->event.record_id == 0) /* no EventRecordID in the XML */
		s->event.record_id = rec->record_id;
	s->event.event_id = rec->event_id;
	s->event.recovered = rec->recovered;
	if (s->event.time < 0) /* no TimeCreated: the record header's time */
		s->event.time = (int64_t)rec->written_time;
	if (s->opt.every_event)
		s->opt.every_event(&s->event, s->file, s->opt.user);
	if (!eh_ruleset_wants(s->rules, rec->provider, rec->event_id))
		return;
	s->stats.events_matched++;
	int row = eh_logsource_row_of(s->event.provider, s->event.event_id);
	eh_ruleset_match(s->rules, eh_logsource_normalize(row, &s->event, &s->normalized), candidates, _on_hit, s);
}

/* Index of the live record with RECORD_ID in the current chunk, or -1. */
static int _live_index(const struct eh_scanner *s, uint64_t record_id)
{
	for (size_t i = 0; i < s->nlive; i++)
		if (s->live_ids[i] == record_id)
			return (int)i;
	return -1;
}

/* Whether recovered record R (loaded now) has the same content as live
 * record L: compared as rendered XML. Leaves R loaded again. */
static bool _same_as_live(struct eh_scanner *s, int r, int l)
{
	struct eh_record rec;
	const char *xml;
	size_t len;
	char *cause = NULL;
	bool same = false;
	if (eh_reader_xml(s->reader, &xml, &len, &cause) == 0) {
		buf_reset(&s->scratch);
		buf_add(&s->scratch, xml, len);
		if (eh_reader_load(s->reader, l, false, &rec, &cause) == 0 &&
		    eh_reader_xml(s->reader, &xml, &len, &cause) == 0)
			same = len == s->scratch.len && memcmp(xml, s->scratch.data, len) == 0;
	}
	free(cause);
	cause = NULL;
	if (eh_reader_load(s->reader, r, true, &rec, &cause) != 0)
		free(cause);
	return same;
}

static void _report_repairs(struct eh_scanner *s, const struct eh_chunk_info *info,
			    const struct eh_framing_repair *rep, size_t n)
{
	for (size_t i = 0; i < n && i < MAX_REPAIRS; i++) {
		if (rep[i].bad_copy)
			_report(s, "warning", s->file,
				"chunk %" PRIu64 ": record at chunk offset %" PRIu32
				": its trailing size copy differs from its size %" PRIu32 "; framed by its size",
				info->index, rep[i].offset, rep[i].span);
		else
			_report(s, "warning", s->file,
				"chunk %" PRIu64 ": record header at chunk offset %" PRIu32 ": damaged %s (size field %" PRIu32
				"); framed up to the next intact record at offset %" PRIu32,
				info->index, rep[i].offset, rep[i].bad_magic ? "signature" : "size", rep[i].old_size,
				rep[i].offset + rep[i].span);
	}
	if (n > MAX_REPAIRS)
		_report(s, "warning", s->file, "chunk %" PRIu64 ": %zu more damaged record headers", info->index,
			n - MAX_REPAIRS);
}

/* Reads one chunk. CARVE: the chunk lost its header (no signature, the
 * checksum does not vouch for it), so everything libevtx finds in it is
 * carved and marked recovered. */
static void _scan_chunk(struct eh_scanner *s, struct eh_chunk_info *info, bool carve)
{
	char *cause = NULL;
	if (info->signature_restored)
		_report(s, "warning", s->file,
			"chunk %" PRIu64 " (offset %" PRIu64 "): signature damaged, the header checksum vouches for the rest; read",
			info->index, info->offset);
	/* The prefilter scans the whole chunk as read, slack included, so a
	 * chunk it rules out holds no matching record, live or recoverable. */
	if (s->prefilter && !eh_prefilter_scan_chunk(s->pscan, s->chunk, EH_CHUNK_SIZE)) {
		size_t n = eh_chunk_records(s->chunk, s->places, MAX_RECORDS_PER_CHUNK);
		if (carve) {
			s->stats.chunks_skipped++;
		} else {
			s->stats.chunks++;
			s->stats.records += n;
		}
		s->stats.chunks_prefiltered++;
		s->stats.records_prefiltered += n;
		return;
	}
	/* what follows is parsed: its damage is worth reporting, and the data
	 * checksum is taken before the framing repair touches anything */
	if (!carve) {
		eh_chunk_check_data(s->chunk, info);
		if (!info->header_crc_ok || !info->data_crc_ok) {
			s->stats.chunks_checksum_bad++;
			_report(s, "warning", s->file,
				"chunk %" PRIu64 " (offset %" PRIu64 "): %s checksum mismatch; reading its records anyway",
				info->index, info->offset,
				!info->header_crc_ok && !info->data_crc_ok ? "header and data"
				: !info->header_crc_ok			 ? "header"
									 : "data");
		}
	}
	struct eh_framing_repair rep[MAX_REPAIRS];
	size_t nrep = carve ? 0 : eh_chunk_repair_framing(s->chunk, rep, MAX_REPAIRS);
	if (nrep) {
		s->stats.record_headers_repaired += nrep;
		_report_repairs(s, info, rep, nrep);
	}
	size_t nplaces = eh_chunk_records(s->chunk, s->places, MAX_RECORDS_PER_CHUNK);
	if (eh_reader_open_chunk(s->reader, s->chunk, &cause) != 0) {
		s->stats.chunks_skipped++;
		_report(s, "warning", s->file, "chunk %" PRIu64 " (offset %" PRIu64 "): %s; skipped", info->index,
			info->offset, cause);
		free(cause);
		return;
	}
	if (carve)
		s->stats.chunks_skipped++;
	else
		s->stats.chunks++;
	uint64_t carved_before = s->stats.records_recovered, unparsable_before = s->stats.recovered_unparsable;
	struct eh_record rec;
	struct failure_run run = { 0 };
	int live = eh_reader_live_count(s->reader);
	/* records are narrowed one by one only where libevtx lists exactly the
	 * chain walked above; otherwise the chunk's rule set serves for all */
	bool narrow = s->prefilter && !carve && (size_t)live == nplaces;
	const uint64_t *chunk_rules = s->prefilter ? eh_prefilter_chunk_rules(s->pscan) : NULL;
	s->nlive = 0;
	if ((size_t)live > s->cap_live) {
		s->cap_live = (size_t)live;
		s->live_ids = xreallocarray(s->live_ids, s->cap_live, sizeof *s->live_ids);
	}
	for (int i = 0; i < live; i++) {
		struct place p = { info->index, i, carve };
		const uint64_t *candidates = chunk_rules;
		if (narrow) {
			candidates = eh_prefilter_record_rules(s->pscan, s->places[i].offset,
							       s->places[i].offset + s->places[i].size);
			if (candidates == NULL) { /* no literal of any rule: not parsed */
				s->stats.records++;
				s->stats.records_prefiltered++;
				s->live_ids[s->nlive++] = s->places[i].id;
				continue;
			}
		}
		if (eh_reader_load(s->reader, i, false, &rec, &cause) != 0) {
			_record_problem(s, &run, &p, eh_chunk_record_id(s->chunk, i), cause);
			continue;
		}
		_flush_failures(s, &run);
		rec.recovered = carve;
		if (carve)
			s->stats.records_recovered++;
		else
			s->stats.records++;
		s->live_ids[s->nlive++] = rec.record_id;
		_match_record(s, &rec, &p, &run, candidates);
	}
	int recovered = eh_reader_recovered_count(s->reader);
	for (int i = 0; i < recovered; i++) {
		struct place p = { info->index, i, true };
		/* Carving candidates from slack space often fail to parse: that is
		 * expected of slack, so they are not counted as unreadable. */
		if (eh_reader_load(s->reader, i, true, &rec, &cause) != 0) {
			free(cause);
			s->stats.recovered_unparsable++;
			continue;
		}
		int twin = _live_index(s, rec.record_id);
		if (twin >= 0 && _same_as_live(s, i, twin)) {
			s->stats.recovered_duplicates++;
			continue;
		}
		s->stats.records_recovered++;
		_match_record(s, &rec, &p, &run, chunk_rules);
	}
	_flush_failures(s, &run);
	if (carve)
		_report(s, "warning", s->file,
			"chunk %" PRIu64 " (offset %" PRIu64 "): no ElfChnk signature; %" PRIu64
			" records carved from it (marked recovered), %" PRIu64 " more found but not parsable",
			info->index, info->offset, s->stats.records_recovered - carved_before,
			s->stats.recovered_unparsable - unparsable_before);
	eh_reader_close_chunk(s->reader);
}

/* Consecutive chunk positions that hold neither a chunk nor a record
 * (overwritten or foreign data): reported as one range. */
struct bad_run {
	struct eh_chunk_info first;
	uint64_t count;
};

static void _flush_bad(struct eh_scanner *s, struct bad_run *bad)
{
	if (bad->count == 1)
		_report(s, "warning", s->file, "chunk %" PRIu64 " (offset %" PRIu64 "): no ElfChnk signature and no records; skipped",
			bad->first.index, bad->first.offset);
	else if (bad->count > 1)
		_report(s, "warning", s->file,
			"chunks %" PRIu64 " to %" PRIu64 " (offset %" PRIu64 "): no ElfChnk signature and no records; skipped",
			bad->first.index, bad->first.index + bad->count - 1, bad->first.offset);
	bad->count = 0;
}

static void _scan_file(struct eh_scanner *s, const char *path)
{
	char *cause = NULL;
	s->stats.files++;
	struct eh_evtx_file *f = eh_evtx_open(path, &cause);
	if (f == NULL) {
		s->stats.files_failed++;
		_report(s, "error", path, "%s", cause);
		free(cause);
		return;
	}
	s->file = eh_timeline_file(s->tl, path);
	s->stats.bytes += eh_evtx_size(f);
	const struct eh_file_header_info *h = eh_evtx_header(f);
	if (!h->signature_ok)
		_report(s, "warning", path, "file header: no ElfFile signature; reading the chunks behind it");
	else if (!h->crc_ok)
		_report(s, "warning", path, "file header: checksum mismatch; reading the chunks behind it");
	uint64_t slots = eh_evtx_chunk_slots(f);
	struct bad_run bad = { .count = 0 };
	for (uint64_t i = 0; i < slots; i++) {
		struct eh_chunk_info info;
		eh_evtx_read_chunk(f, i, s->chunk, &info, &cause);
		if (info.state != EH_CHUNK_BAD_MAGIC || info.holds_records)
			_flush_bad(s, &bad);
		switch (info.state) {
		case EH_CHUNK_OK:
			_scan_chunk(s, &info, false);
			break;
		case EH_CHUNK_EMPTY:
			s->stats.chunks_empty++;
			break;
		case EH_CHUNK_BAD_MAGIC:
			if (info.holds_records) {
				_scan_chunk(s, &info, true);
			} else {
				s->stats.chunks_skipped++;
				if (bad.count++ == 0)
					bad.first = info;
			}
			break;
		case EH_CHUNK_TRUNCATED:
			s->stats.chunks_skipped++;
			_report(s, "warning", path, "chunk %" PRIu64 " (offset %" PRIu64 "): file ends inside the chunk (%" PRIu64 " of %u bytes); skipped",
				i, info.offset, eh_evtx_size(f) - info.offset, EH_CHUNK_SIZE);
			break;
		case EH_CHUNK_IO_ERROR:
			s->stats.chunks_skipped++;
			_report(s, "error", path, "chunk %" PRIu64 ": %s", i, cause);
			free(cause);
			cause = NULL;
			break;
		}
	}
	_flush_bad(s, &bad);
	eh_evtx_close(f);
}

static bool _is_evtx_name(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcasecmp(name + n - 5, ".evtx") == 0;
}

static int _cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directories on the way down, to spot symlink loops. */
struct ancestors {
	dev_t dev[128];
	ino_t ino[128];
	int n;
};

static void _walk(struct eh_scanner *s, const char *path, struct ancestors *up)
{
	DIR *d = opendir(path);
	if (d == NULL) {
		_report(s, "error", path, "cannot open directory: %s", strerror(errno));
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, _cmp_names); /* a stable order run to run */
	for (size_t i = 0; i < n; i++) {
		char *child = xasprintf("%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
		struct stat st;
		if (stat(child, &st) != 0) {
			if (_is_evtx_name(names[i])) {
				s->stats.files++;
				s->stats.files_failed++;
				_report(s, "error", child, "cannot stat: %s", strerror(errno));
			}
			else
				_report(s, "warning", child, "cannot stat: %s; skipped", strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			bool loop = false;
			for (int j = 0; j < up->n; j++)
				loop |= up->dev[j] == st.st_dev && up->ino[j] == st.st_ino;
			if (loop) {
				_report(s, "warning", child, "symlink loop (leads back to a directory above); skipped");
			} else if (up->n == (int)(sizeof up->dev / sizeof up->dev[0])) {
				_report(s, "warning", child, "directories nested too deeply; skipped");
			} else {
				up->dev[up->n] = st.st_dev;
				up->ino[up->n++] = st.st_ino;
				_walk(s, child, up);
				up->n--;
			}
		} else if (_is_evtx_name(names[i])) {
			if (S_ISREG(st.st_mode))
				_scan_file(s, child);
			else
				_report(s, "warning", child, "not a regular file; skipped");
		}
		free(child);
		free(names[i]);
	}
	free(names);
}

void eh_scan_path(struct eh_scanner *s, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		s->stats.files++;
		s->stats.files_failed++;
		_report(s, "error", path, "cannot open: %s", strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		struct ancestors up = { .n = 1 };
		up.dev[0] = st.st_dev;
		up.ino[0] = st.st_ino;
		_walk(s, path, &up);
	} else {
		_scan_file(s, path);
	}
}
