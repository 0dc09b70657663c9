/* Scan: the driver. Files are read chunk by chunk into an ordered ring of
 * jobs; worker threads scan the chunks in any order, and the results are
 * retired strictly in ring order, so the timeline, the counters and every
 * message are the same for any number of threads. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evtxhunt/chunkscan.h"
#include "evtxhunt/fieldmap.h"
#include "evtxhunt/progress.h"
#include "evtxhunt/reader.h"
#include "evtxhunt/scan.h"
#include "evtxhunt/util.h"
#include "evtxhunt/walk.h"

enum job_state { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct slot {
	struct job job;
	enum job_state state;
};

struct eh_scanner {
	struct eh_scan_options opt;
	struct eh_timeline *tl;
	struct eh_stats stats;
	struct chunkscan_shared shared;
	struct eh_prefilter *prefilter;
	/* the ring: jobs [retired, pushed) are live, [queued, pushed) wait */
	struct slot *ring;
	size_t nring;
	uint64_t retired, pushed, next_to_run;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	bool quit;
	int nthreads; /* 0: scan inline on the calling thread */
	pthread_t *threads;
	struct worker *inline_worker;
	/* the file being read and the run of unusable chunk positions */
	const char *file;
	struct eh_chunk_info bad_first;
	uint64_t bad_count;
	uint8_t *stage; /* a chunk is read here, then swapped into its job */
	/* --progress: totals from a walk before the scan, what is done so far */
	bool planning;
	struct eh_progress progress;
	uint64_t file_size; /* of the file being read, as opened */
};

/* The progress line, not while walking for its totals; FINAL clears it. */
static void scan_progress(struct eh_scanner *s, bool final)
{
	if (s->planning)
		return;
	if (final)
		eh_progress_clear(&s->progress);
	else
		eh_progress_update(&s->progress, s->stats.hits);
}

static struct job *push_slot(struct eh_scanner *s);

static void add_stats(struct eh_stats *to, const struct eh_stats *from)
{
	const uint64_t *f = (const uint64_t *)from;
	uint64_t *t = (uint64_t *)to;
	for (size_t i = 0; i < sizeof *from / sizeof(uint64_t); i++)
		t[i] += f[i];
}

/* Hands a finished job to the run: messages, counters, hits. */
static void retire(struct eh_scanner *s, struct job *job)
{
	if (job->messages.len && s->opt.diag) {
		eh_progress_clear(&s->progress); /* messages go above the progress line */
		fwrite(job->messages.data, 1, job->messages.len, s->opt.diag);
	}
	if (s->opt.on_damage)
		for (size_t at = 0; at < job->damage.len;) {
			const char *file = job->damage.data + at;
			const char *what = file + strlen(file) + 1;
			s->opt.on_damage(file, what, s->opt.damage_user);
			at = (size_t)(what + strlen(what) + 1 - job->damage.data);
		}
	struct eh_state *state = job->is_chunk ? s->opt.state : NULL;
	for (size_t i = 0; i < job->nhits; i++) {
		if (state && !eh_state_hit_is_new(state, job->log, job->hits[i].rule, job->hits[i].event, job->file)) {
			job->stats.hits--;
			job->stats.hits_known++;
			eh_event_free(job->hits[i].event);
			job->hits[i].event = NULL;
			continue;
		}
		eh_timeline_add_owned(s->tl, job->hits[i].rule, job->hits[i].event, job->file);
		job->hits[i].event = NULL;
	}
	if (state) {
		eh_state_chunk_scanned(state, job->log, job->info.index, job->fingerprint);
		eh_state_checkpoint(state);
	}
	add_stats(&s->stats, &job->stats);
	scan_progress(s, false);
	job->nhits = 0;
	job_reset(job);
}

static void *worker_main(void *arg)
{
	struct eh_scanner *s = arg;
	struct worker *w = worker_new(&s->shared);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->quit && s->next_to_run == s->pushed)
			pthread_cond_wait(&s->work, &s->lock);
		if (s->next_to_run == s->pushed && s->quit)
			break;
		struct slot *slot = &s->ring[s->next_to_run++ % s->nring];
		slot->state = JOB_RUNNING;
		pthread_mutex_unlock(&s->lock);
		if (slot->job.is_chunk)
			worker_scan(w, &slot->job);
		pthread_mutex_lock(&s->lock);
		slot->state = JOB_DONE;
		pthread_cond_broadcast(&s->done);
	}
	pthread_mutex_unlock(&s->lock);
	worker_free(w);
	return NULL;
}

/* Retires the oldest job, waiting for it if need be. */
static void retire_oldest(struct eh_scanner *s)
{
	struct slot *slot = &s->ring[s->retired % s->nring];
	if (s->nthreads) {
		pthread_mutex_lock(&s->lock);
		while (slot->state != JOB_DONE)
			pthread_cond_wait(&s->done, &s->lock);
		pthread_mutex_unlock(&s->lock);
	}
	retire(s, &slot->job);
	slot->state = JOB_FREE;
	s->retired++;
}

/* A free job at the end of the ring (retiring the oldest if full). */
static struct job *push_slot(struct eh_scanner *s)
{
	if (s->pushed - s->retired == s->nring)
		retire_oldest(s);
	struct job *job = &s->ring[s->pushed % s->nring].job;
	job->file = s->file;
	job->is_chunk = false;
	job->carve = false;
	return job;
}

/* Queues the job last taken from push_slot. */
static void commit_slot(struct eh_scanner *s)
{
	struct slot *slot = &s->ring[s->pushed % s->nring];
	if (s->nthreads == 0) {
		if (slot->job.is_chunk)
			worker_scan(s->inline_worker, &slot->job);
		slot->state = JOB_DONE;
		s->pushed++;
		s->next_to_run = s->pushed;
		return;
	}
	pthread_mutex_lock(&s->lock);
	slot->state = JOB_QUEUED;
	s->pushed++;
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->lock);
}

/* A message of the driver, in its place among the chunks' messages;
 * DAMAGE: about a log's contents (not a directory entry). */
static void scan_message(struct eh_scanner *s, bool damage, const char *kind, const char *path, const char *fmt,
			 va_list ap)
{
	if (s->planning)
		return;
	char *msg = xvasprintf(fmt, ap);
	struct job *job = push_slot(s);
	job_report(job, s->opt.diag != NULL, damage, kind, path, "%s", msg);
	commit_slot(s);
	free(msg);
}

/* About a log being read. */
static void scan_report(struct eh_scanner *s, const char *kind, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void scan_report(struct eh_scanner *s, const char *kind, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	scan_message(s, true, kind, path, fmt, ap);
	va_end(ap);
}

/* About the walk: an entry that is not read as a log. */
static void scan_report_walk(struct eh_scanner *s, const char *kind, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void scan_report_walk(struct eh_scanner *s, const char *kind, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	scan_message(s, false, kind, path, fmt, ap);
	va_end(ap);
}

/* libevtx initialises two globals lazily (i18n and its CRC table): one
 * open on this thread before any worker starts keeps them race-free; so
 * does libxml2's global set-up. */
static void warm_up_libraries(void)
{
	eh_fieldmap_global_init();
	uint8_t *chunk = xmalloc(EH_CHUNK_SIZE);
	eh_make_empty_chunk(chunk);
	struct eh_reader *r = eh_reader_new();
	char *cause = NULL;
	if (eh_reader_open_chunk(r, chunk, &cause) != 0)
		free(cause);
	eh_reader_free(r);
	free(chunk);
}

struct eh_scanner *eh_scanner_new(const struct eh_ruleset *rules, const struct eh_scan_options *opt,
				  struct eh_timeline *tl)
{
	struct eh_scanner *s = xcalloc(1, sizeof *s);
	s->opt = *opt;
	eh_progress_init(&s->progress, !opt->progress ? NULL : opt->progress_out ? opt->progress_out : opt->diag);
	s->tl = tl;
	/* every record must be read when every event is asked for */
	if (!opt->no_prefilter && opt->every_event == NULL)
		s->prefilter = eh_prefilter_build(rules);
	/* when every rule has literals the first chunk needs the search: it is
	 * compiled here, before any worker is in libevtx, so that its memory
	 * (an IOC list's) is never counted against a record (--memory-limit);
	 * otherwise at its first use, if any (chunkscan.c: narrowed) */
	if (s->prefilter && eh_prefilter_rules_without_literals(s->prefilter) == 0)
		eh_prefilter_compile(s->prefilter);
	s->shared.rules = rules;
	s->shared.prefilter = s->prefilter;
	s->shared.diag = opt->diag != NULL;
	s->shared.every_event = opt->every_event;
	s->shared.no_decode = opt->no_decode;
	s->shared.filter = opt->filter && eh_filter_active(opt->filter) ? opt->filter : NULL;
	s->shared.user = opt->user;
	s->shared.watch = opt->watch;
	s->shared.quarantine = opt->quarantine;
	int threads = opt->threads > 0 ? opt->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	/* the every-event callback runs on the calling thread, in order */
	if (threads < 1 || opt->every_event)
		threads = 1;
	s->nthreads = threads > 1 ? threads : 0;
	s->nring = (size_t)(threads * 8);
	s->ring = xcalloc(s->nring, sizeof *s->ring);
	for (size_t i = 0; i < s->nring; i++) {
		s->ring[i].job.chunk = xmalloc(EH_CHUNK_SIZE);
		buf_init(&s->ring[i].job.messages);
		buf_init(&s->ring[i].job.damage);
		s->ring[i].job.keep_damage = opt->on_damage != NULL;
	}
	s->stage = xmalloc(EH_CHUNK_SIZE);
	warm_up_libraries();
	if (s->nthreads == 0) {
		s->inline_worker = worker_new(&s->shared);
		return s;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->done, NULL);
	s->threads = xcalloc((size_t)s->nthreads, sizeof *s->threads);
	for (int i = 0; i < s->nthreads; i++)
		if (pthread_create(&s->threads[i], NULL, worker_main, s) != 0) {
			fprintf(stderr, "evtxhunt: cannot start a worker thread\n");
			abort();
		}
	return s;
}

/* Retires everything still in the ring. */
static void drain(struct eh_scanner *s)
{
	while (s->retired < s->pushed)
		retire_oldest(s);
}

void eh_scanner_free(struct eh_scanner *s)
{
	if (s == NULL)
		return;
	drain(s);
	if (s->nthreads) {
		pthread_mutex_lock(&s->lock);
		s->quit = true;
		pthread_cond_broadcast(&s->work);
		pthread_mutex_unlock(&s->lock);
		for (int i = 0; i < s->nthreads; i++)
			pthread_join(s->threads[i], NULL);
		free(s->threads);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->work);
		pthread_cond_destroy(&s->done);
	} else {
		worker_free(s->inline_worker);
	}
	for (size_t i = 0; i < s->nring; i++) {
		job_reset(&s->ring[i].job);
		free(s->ring[i].job.hits);
		free(s->ring[i].job.chunk);
		buf_free(&s->ring[i].job.messages);
		buf_free(&s->ring[i].job.damage);
	}
	free(s->ring);
	free(s->stage);
	eh_prefilter_free(s->prefilter);
	free(s);
}

void eh_scanner_finish(struct eh_scanner *s)
{
	drain(s);
	scan_progress(s, true);
}

const struct eh_stats *eh_scanner_stats(struct eh_scanner *s)
{
	drain(s);
	return &s->stats;
}

/* Consecutive chunk positions that hold neither a chunk nor a record
 * (overwritten or foreign data): reported as one range. */
static void flush_bad(struct eh_scanner *s)
{
	if (s->bad_count == 1)
		scan_report(s, "warning", s->file, "chunk %" PRIu64 " (offset %" PRIu64 "): no ElfChnk signature and no records; skipped",
			s->bad_first.index, s->bad_first.offset);
	else if (s->bad_count > 1)
		scan_report(s, "warning", s->file,
			"chunks %" PRIu64 " to %" PRIu64 " (offset %" PRIu64 "): no ElfChnk signature and no records; skipped",
			s->bad_first.index, s->bad_first.index + s->bad_count - 1, s->bad_first.offset);
	s->bad_count = 0;
}

/* --shard: a log belongs to one shard, by a hash of its path as given or
 * walked (FNV-1a), the same on every machine given the same paths. */
static bool in_my_shard(const struct eh_scanner *s, const char *path)
{
	if (s->opt.shards <= 1)
		return true;
	return eh_hash64(path, strlen(path), 0) % s->opt.shards == s->opt.shard;
}

static void plan_file(struct eh_scanner *s, const char *path, const struct stat *st)
{
	if (!in_my_shard(s, path))
		return;
	s->progress.plan_files++;
	s->progress.plan_bytes += (uint64_t)st->st_size;
}

static void scan_file_inner(struct eh_scanner *s, const char *path);

static void scan_file(struct eh_scanner *s, const char *path)
{
	struct eh_progress *p = &s->progress;
	uint64_t before = p->done_bytes;
	s->file_size = 0;
	scan_file_inner(s, path);
	if (p->done_bytes < before + s->file_size)
		p->done_bytes = before + s->file_size; /* unchanged or skipped parts count as done */
	p->done_files++;
	scan_progress(s, false);
}

static void scan_file_inner(struct eh_scanner *s, const char *path)
{
	char *cause = NULL;
	if (!in_my_shard(s, path)) {
		s->stats.files_other_shards++;
		return;
	}
	s->stats.files++;
	struct eh_evtx_file *f = eh_evtx_open(path, &cause);
	if (f == NULL) {
		s->stats.files_failed++;
		s->file = path;
		scan_report(s, "error", path, "%s", cause);
		free(cause);
		return;
	}
	s->file = eh_timeline_file(s->tl, path);
	s->file_size = eh_evtx_size(f);
	s->stats.bytes += s->file_size;
	const struct eh_file_header_info *h = eh_evtx_header(f);
	if (!h->signature_ok)
		scan_report(s, "warning", s->file, "file header: no ElfFile signature; reading the chunks behind it");
	else if (!h->crc_ok)
		scan_report(s, "warning", s->file, "file header: checksum mismatch; reading the chunks behind it");
	uint64_t slots = eh_evtx_chunk_slots(f), size = s->file_size;
	int64_t log = -1;
	uint64_t known_before = 0, known_now = 0, scanned = 0;
	if (s->opt.state) {
		bool unchanged;
		log = eh_state_log(s->opt.state, path, eh_evtx_identity(f), &unchanged, &known_before);
		if (unchanged) { /* as at the last run, which scanned it all */
			s->stats.files_unchanged++;
			eh_evtx_close(f);
			return;
		}
	}
	bool complete = true;
	if (size < EH_FILE_HEADER_SIZE)
		scan_report(s, "warning", s->file, "file ends inside its header (%" PRIu64 " of %u bytes): no chunks", size,
			EH_FILE_HEADER_SIZE);
	if (h->signature_ok && size >= EH_FILE_HEADER_SIZE && h->chunk_count > slots)
		scan_report(s, "warning", s->file, "file header: %u chunks counted, the file holds %" PRIu64 "; reading those",
			h->chunk_count, slots);
	for (uint64_t i = 0; i < slots; i++) {
		uint64_t next = eh_evtx_skip_holes(f, i); /* a sparse file's holes are empty chunks */
		s->stats.chunks_empty += next - i;
		if ((i = next) >= slots)
			break;
		struct eh_chunk_info info;
		eh_evtx_read_chunk(f, i, s->stage, &info, &cause);
		s->progress.done_bytes += EH_CHUNK_SIZE;
		bool cut = info.state != EH_CHUNK_IO_ERROR && info.state != EH_CHUNK_GONE && info.bytes_read < EH_CHUNK_SIZE;
		if (cut) {
			flush_bad(s);
			s->stats.chunks_truncated++;
			bool records = info.state == EH_CHUNK_OK || info.holds_records;
			scan_report(s, "warning", path, "chunk %" PRIu64 " (offset %" PRIu64 "): file ends inside the chunk (%" PRIu32
				" of %u bytes); %s", i, info.offset, info.bytes_read, EH_CHUNK_SIZE,
				records ? "reading the records before the cut" : "no records before the cut");
		}
		if (info.state == EH_CHUNK_OK || (info.state == EH_CHUNK_BAD_MAGIC && info.holds_records)) {
			flush_bad(s); /* its message goes before this chunk's */
			uint64_t fingerprint = 0;
			if (s->opt.state) {
				fingerprint = eh_state_chunk_fingerprint(s->stage);
				if (eh_state_chunk_known(s->opt.state, log, i, fingerprint)) {
					s->stats.chunks_unchanged++;
					known_now++;
					continue;
				}
				scanned++;
			}
			struct job *job = push_slot(s);
			job->log = log;
			job->fingerprint = fingerprint;
			uint8_t *spare = job->chunk; /* hand the bytes over, no copy */
			job->chunk = s->stage;
			s->stage = spare;
			job->info = info;
			job->is_chunk = true;
			job->carve = info.state == EH_CHUNK_BAD_MAGIC;
			commit_slot(s);
			continue;
		}
		switch (info.state) {
		case EH_CHUNK_EMPTY:
			s->stats.chunks_empty++;
			break;
		case EH_CHUNK_BAD_MAGIC:
		case EH_CHUNK_TRUNCATED:
			s->stats.chunks_skipped++;
			if (!cut && s->bad_count++ == 0)
				s->bad_first = info;
			break;
		case EH_CHUNK_GONE: {
			flush_bad(s);
			int64_t now = eh_evtx_size_now(f);
			s->stats.chunks_skipped += slots - i;
			scan_report(s, "error", path,
				"the file shrank while being read (from %" PRIu64 " to %" PRId64 " bytes): chunks %" PRIu64
				" to %" PRIu64 " are gone; skipped", size, now, i, slots - 1);
			i = slots;
			complete = false;
			break;
		}
		case EH_CHUNK_IO_ERROR:
			s->stats.chunks_skipped++;
			flush_bad(s);
			scan_report(s, "error", path, "chunk %" PRIu64 ": %s", i, cause);
			free(cause);
			cause = NULL;
			complete = false;
			break;
		case EH_CHUNK_OK:
			break;
		}
	}
	if (s->opt.state && known_before > 0 && known_now == 0 && scanned > 0)
		scan_report(s, "warning", path,
			"none of its chunks is as at the last run: the log was cleared, replaced or wrapped all the way round");
	if (s->opt.state && complete)
		eh_state_log_done(s->opt.state, log, eh_evtx_identity(f));
	int64_t now = eh_evtx_size_now(f);
	if (now > (int64_t)size)
		scan_report(s, "warning", path,
			"the file grew while being read (from %" PRIu64 " to %" PRId64 " bytes); what was added was not read",
			size, now);
	flush_bad(s);
	eh_evtx_close(f);
}

static bool is_evtx_name(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcasecmp(name + n - 5, ".evtx") == 0;
}

/* What the walk of an input directory meets. */
static void walk_entry(const struct eh_walk_entry *e, void *user)
{
	struct eh_scanner *s = user;
	switch (e->what) {
	case EH_WALK_NO_DIR:
		scan_report_walk(s, "error", e->path, "cannot open directory: %s", strerror(e->error));
		break;
	case EH_WALK_NO_STAT:
		if (is_evtx_name(e->name) && !in_my_shard(s, e->path)) {
			s->stats.files_other_shards++;
		} else if (is_evtx_name(e->name)) {
			s->stats.files++;
			s->stats.files_failed++;
			scan_report_walk(s, "error", e->path, "cannot stat: %s", strerror(e->error));
		} else {
			scan_report_walk(s, "warning", e->path, "cannot stat: %s; skipped", strerror(e->error));
		}
		break;
	case EH_WALK_LOOP:
		scan_report_walk(s, "warning", e->path, "symlink loop (leads back to a directory above); skipped");
		break;
	case EH_WALK_TOO_DEEP:
		scan_report_walk(s, "warning", e->path, "directories nested too deeply; skipped");
		break;
	case EH_WALK_ENTRY:
		if (!is_evtx_name(e->name))
			break;
		if (S_ISREG(e->st->st_mode))
			s->planning ? plan_file(s, e->path, e->st) : scan_file(s, e->path);
		else
			scan_report_walk(s, "warning", e->path, "not a regular file; skipped");
		break;
	}
}

/* Every name but . and .., symlinks followed, loops caught. */
static const struct eh_walk_options walk_options = { .max_depth = 127, .detect_loops = true };

void eh_scan_plan(struct eh_scanner *s, const char *path)
{
	if (s->progress.out == NULL)
		return;
	struct eh_stats saved = s->stats; /* the walk counts what it meets */
	s->planning = true;
	eh_scan_path(s, path);
	s->planning = false;
	s->stats = saved;
	eh_progress_start(&s->progress);
}

void eh_scan_path(struct eh_scanner *s, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		if (!in_my_shard(s, path)) {
			s->stats.files_other_shards++;
			return;
		}
		s->stats.files++;
		s->stats.files_failed++;
		scan_report(s, "error", path, "cannot open: %s", strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		eh_walk(path, &walk_options, walk_entry, s);
	} else {
		s->planning ? plan_file(s, path, &st) : scan_file(s, path);
	}
}
