/* --state: incremental sweeps in SQLite (see state.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "evtxhunt/jsonl.h"
#include "evtxhunt/output.h"
#include "evtxhunt/report.h"
#include "evtxhunt/state.h"
#include "evtxhunt/util.h"

#define SCHEMA_VERSION "1"
#define CHECKPOINT_SECONDS 5.0 /* work a killed run keeps: at most this much is redone */

struct coverage {
	int64_t ruleset;
	bool covers;
};

struct eh_state {
	sqlite3 *db;
	int lock_fd;
	int64_t run;
	int64_t ruleset; /* hash of the run's rules */
	struct coverage *cov;
	size_t ncov;
	sqlite3_stmt *get_log, *add_log, *log_done, *get_chunk, *put_chunk, *add_hit, *count_chunks, *covers, *get_copy;
	bool failed;
	char *error;
	struct buf line;
	bool partial; /* events were filtered: scans cover nothing */
	uint64_t since_checkpoint, checkpoint_every; /* chunks; 0: by time */
	double checkpoint_at;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE IF NOT EXISTS logs(id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, size INTEGER,"
	" mtime_ns INTEGER, ctime_ns INTEGER, header_hash INTEGER, ruleset INTEGER, last_scan TEXT);"
	"CREATE TABLE IF NOT EXISTS chunks(log INTEGER NOT NULL, idx INTEGER NOT NULL, fingerprint INTEGER,"
	" ruleset INTEGER, PRIMARY KEY(log, idx)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS chunks_by_fingerprint ON chunks(fingerprint);"
	/* an event is itself wherever it is stored: a rotated log's archive
	 * copy holds the same events under another name */
	"CREATE TABLE IF NOT EXISTS hits(rule TEXT NOT NULL, computer TEXT NOT NULL, channel TEXT NOT NULL,"
	" record INTEGER NOT NULL, time INTEGER NOT NULL, rule_title TEXT, log INTEGER, run INTEGER,"
	" delivered INTEGER NOT NULL DEFAULT 0, line TEXT,"
	" PRIMARY KEY(rule, computer, channel, record, time)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS hits_pending ON hits(delivered) WHERE delivered = 0;"
	/* correlation (issue 14): the recent hits of rules correlations refer
	 * to, as JSON lines, so a burst that spans two runs is found */
	"CREATE TABLE IF NOT EXISTS context(computer TEXT NOT NULL, time INTEGER NOT NULL, line TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS context_by_computer ON context(computer, time);"
	"CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, started TEXT, finished TEXT, rules INTEGER,"
	" hits INTEGER);"
	"CREATE TABLE IF NOT EXISTS rulesets(ruleset INTEGER NOT NULL, rule INTEGER NOT NULL,"
	" PRIMARY KEY(ruleset, rule)) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO meta VALUES('schema', '" SCHEMA_VERSION "');";

static char *db_error(sqlite3 *db, const char *what)
{
	return xasprintf("%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

static void now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The run's rule set: its members recorded, its hash as its name. */
static int record_ruleset(struct eh_state *st, const struct eh_ruleset *rules)
{
	size_t n = eh_ruleset_count(rules);
	uint64_t *h = xcalloc(n ? n : 1, sizeof *h);
	for (size_t i = 0; i < n; i++)
		h[i] = eh_ruleset_rule(rules, i)->content_hash;
	qsort(h, n, sizeof *h, cmp_u64);
	st->ruleset = (int64_t)eh_hash64(h, n * sizeof *h, 0x5eed);
	int rc = sqlite3_exec(st->db, "CREATE TEMP TABLE current_rules(rule INTEGER PRIMARY KEY)", NULL, NULL, NULL);
	sqlite3_stmt *a = NULL, *b = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO rulesets VALUES(?, ?)", -1, &a, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO current_rules VALUES(?)", -1, &b, NULL);
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(a, 1, st->ruleset);
		sqlite3_bind_int64(a, 2, (int64_t)h[i]);
		sqlite3_bind_int64(b, 1, (int64_t)h[i]);
		rc = sqlite3_step(a) == SQLITE_DONE && sqlite3_step(b) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_reset(a);
		sqlite3_reset(b);
	}
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	free(h);
	return rc;
}

struct eh_state *eh_state_open(const char *path, const struct eh_ruleset *rules, uint64_t checkpoint_every,
			       char **cause)
{
	/* one run at a time: an advisory lock on the file, held to the end */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		*cause = xasprintf("cannot open: %s", strerror(errno));
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		*cause = errno == EWOULDBLOCK ? xstrdup("in use by another evtxhunt run; try again when it has ended")
					      : xasprintf("cannot lock: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	struct eh_state *st = xcalloc(1, sizeof *st);
	st->lock_fd = fd;
	buf_init(&st->line);
	st->checkpoint_every = checkpoint_every;
	st->checkpoint_at = eh_monotonic();
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		*cause = db_error(st->db, "cannot open the database");
		eh_state_close(st);
		return NULL;
	}
	sqlite3_busy_timeout(st->db, 10000); /* a --state-report reading it */
	char started[32];
	now_iso(started);
	if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK || record_ruleset(st, rules) != SQLITE_OK) {
		*cause = db_error(st->db, "not an evtxhunt state file, or damaged");
		eh_state_close(st);
		return NULL;
	}
	struct {
		sqlite3_stmt **stmt;
		const char *sql;
	} prep[] = {
		{ &st->get_log, "SELECT id, size, mtime_ns, ctime_ns, header_hash, ruleset FROM logs WHERE path = ?" },
		{ &st->add_log, "INSERT INTO logs(path) VALUES(?)" },
		{ &st->log_done, "UPDATE logs SET size = ?, mtime_ns = ?, ctime_ns = ?, header_hash = ?, ruleset = ?,"
				 " last_scan = ? WHERE id = ?" },
		{ &st->get_chunk, "SELECT fingerprint, ruleset FROM chunks WHERE log = ? AND idx = ?" },
		{ &st->put_chunk, "INSERT OR REPLACE INTO chunks VALUES(?, ?, ?, ?)" },
		{ &st->add_hit, "INSERT OR IGNORE INTO hits VALUES(?, ?, ?, ?, ?, ?, ?, ?, 0, ?)" },
		{ &st->get_copy, "SELECT ruleset FROM chunks WHERE fingerprint = ?" },
		{ &st->count_chunks, "SELECT count(*) FROM chunks WHERE log = ?" },
		{ &st->covers, "SELECT count(*) = (SELECT count(*) FROM current_rules) FROM rulesets r"
			       " JOIN current_rules c ON r.rule = c.rule WHERE r.ruleset = ?" },
	};
	for (size_t i = 0; i < sizeof prep / sizeof prep[0]; i++)
		if (sqlite3_prepare_v2(st->db, prep[i].sql, -1, prep[i].stmt, NULL) != SQLITE_OK) {
			*cause = db_error(st->db, "not an evtxhunt state file");
			eh_state_close(st);
			return NULL;
		}
	sqlite3_stmt *run;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO runs(started, rules) VALUES(?, ?)", -1, &run, NULL) == SQLITE_OK) {
		sqlite3_bind_text(run, 1, started, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(run, 2, (int64_t)eh_ruleset_count(rules));
		sqlite3_step(run);
		sqlite3_finalize(run);
	}
	st->run = sqlite3_last_insert_rowid(st->db);
	return st;
}

void eh_state_close(struct eh_state *st)
{
	if (st == NULL)
		return;
	sqlite3_stmt *all[] = { st->get_log, st->add_log, st->log_done, st->get_chunk, st->put_chunk,
				st->add_hit, st->count_chunks, st->covers, st->get_copy };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		sqlite3_finalize(all[i]);
	if (st->db) {
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(st->db);
	}
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->cov);
	free(st->error);
	buf_free(&st->line);
	free(st);
}

static void state_fail(struct eh_state *st)
{
	if (!st->failed)
		st->error = db_error(st->db, "database error");
	st->failed = true;
}

int eh_state_commit(struct eh_state *st, uint64_t hits_reported, char **cause)
{
	if (st->failed) {
		*cause = xstrdup(st->error);
		return -1;
	}
	char finished[32];
	now_iso(finished);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "UPDATE runs SET finished = ?, hits = ? WHERE id = ?", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, finished, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, (int64_t)hits_reported);
		sqlite3_bind_int64(s, 3, st->run);
		sqlite3_step(s);
		sqlite3_finalize(s);
	}
	if (sqlite3_exec(st->db, "UPDATE hits SET delivered = 1, line = NULL WHERE delivered = 0", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		*cause = db_error(st->db, "cannot commit");
		return -1;
	}
	return 0;
}

void eh_state_checkpoint(struct eh_state *st)
{
	st->since_checkpoint++;
	if (st->failed || (st->checkpoint_every ? st->since_checkpoint < st->checkpoint_every
						: eh_monotonic() - st->checkpoint_at < CHECKPOINT_SECONDS))
		return;
	if (sqlite3_exec(st->db, "COMMIT; BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		state_fail(st);
	st->since_checkpoint = 0;
	st->checkpoint_at = eh_monotonic();
}

/* Calls FN with the text column of each row SQL selects; returns how many. */
static size_t each_line(struct eh_state *st, const char *sql, void (*fn)(const char *line, size_t len, void *user),
			void *user)
{
	sqlite3_stmt *s;
	size_t n = 0;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		state_fail(st);
		return 0;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		fn((const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0), user);
		n++;
	}
	sqlite3_finalize(s);
	return n;
}

size_t eh_state_pending(struct eh_state *st, void (*fn)(const char *line, size_t len, void *user), void *user)
{
	return each_line(st, "SELECT line FROM hits WHERE delivered = 0 AND line IS NOT NULL", fn, user);
}

/* ---- correlation context (issue 14) ---------------------------------------------- */

size_t eh_state_context(struct eh_state *st, void (*fn)(const char *line, size_t len, void *user), void *user)
{
	return each_line(st, "SELECT line FROM context ORDER BY time", fn, user);
}

void eh_state_context_add(struct eh_state *st, const char *computer, int64_t time, const char *line, size_t len)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO context VALUES(?, ?, ?)", -1, &s, NULL) != SQLITE_OK) {
		state_fail(st);
		return;
	}
	sqlite3_bind_text(s, 1, computer ? computer : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, time);
	sqlite3_bind_text(s, 3, line, (int)len, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		state_fail(st);
	sqlite3_finalize(s);
}

void eh_state_context_prune(struct eh_state *st, int64_t horizon)
{
	/* per computer: a host whose logs come in late keeps its own tail */
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db,
			       "DELETE FROM context WHERE time < (SELECT max(c.time) FROM context c"
			       " WHERE c.computer = context.computer) - ?",
			       -1, &s, NULL) != SQLITE_OK) {
		state_fail(st);
		return;
	}
	sqlite3_bind_int64(s, 1, horizon);
	if (sqlite3_step(s) != SQLITE_DONE)
		state_fail(st);
	sqlite3_finalize(s);
}

/* Whether rules recorded as RULESET include every rule of this run. */
static bool state_covers(struct eh_state *st, int64_t ruleset)
{
	if (ruleset == st->ruleset)
		return true;
	for (size_t i = 0; i < st->ncov; i++)
		if (st->cov[i].ruleset == ruleset)
			return st->cov[i].covers;
	sqlite3_bind_int64(st->covers, 1, ruleset);
	bool covers = sqlite3_step(st->covers) == SQLITE_ROW && sqlite3_column_int(st->covers, 0) == 1;
	sqlite3_reset(st->covers);
	st->cov = xreallocarray(st->cov, st->ncov + 1, sizeof *st->cov);
	st->cov[st->ncov++] = (struct coverage){ ruleset, covers };
	return covers;
}

int64_t eh_state_log(struct eh_state *st, const char *path, const struct eh_file_identity *id, bool *unchanged,
		     uint64_t *known_chunks)
{
	*unchanged = false;
	*known_chunks = 0;
	int64_t log = -1;
	sqlite3_bind_text(st->get_log, 1, path, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st->get_log);
	if (rc == SQLITE_ROW) {
		log = sqlite3_column_int64(st->get_log, 0);
		bool same = sqlite3_column_type(st->get_log, 1) != SQLITE_NULL &&
			    (uint64_t)sqlite3_column_int64(st->get_log, 1) == id->size &&
			    sqlite3_column_int64(st->get_log, 2) == id->mtime_ns &&
			    sqlite3_column_int64(st->get_log, 3) == id->ctime_ns &&
			    (uint64_t)sqlite3_column_int64(st->get_log, 4) == id->header_hash;
		int64_t ruleset = sqlite3_column_int64(st->get_log, 5);
		sqlite3_reset(st->get_log);
		*unchanged = same && state_covers(st, ruleset);
		sqlite3_bind_int64(st->count_chunks, 1, log);
		if (sqlite3_step(st->count_chunks) == SQLITE_ROW)
			*known_chunks = (uint64_t)sqlite3_column_int64(st->count_chunks, 0);
		sqlite3_reset(st->count_chunks);
		return log;
	}
	sqlite3_reset(st->get_log);
	if (rc != SQLITE_DONE) {
		state_fail(st);
		return -1;
	}
	sqlite3_bind_text(st->add_log, 1, path, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st->add_log) != SQLITE_DONE)
		state_fail(st);
	else
		log = sqlite3_last_insert_rowid(st->db);
	sqlite3_reset(st->add_log);
	return log;
}

void eh_state_partial(struct eh_state *st)
{
	st->partial = true;
}

void eh_state_log_done(struct eh_state *st, int64_t log, const struct eh_file_identity *id)
{
	if (st->partial)
		return;
	char now[32];
	now_iso(now);
	sqlite3_stmt *s = st->log_done;
	sqlite3_bind_int64(s, 1, (int64_t)id->size);
	sqlite3_bind_int64(s, 2, id->mtime_ns);
	sqlite3_bind_int64(s, 3, id->ctime_ns);
	sqlite3_bind_int64(s, 4, (int64_t)id->header_hash);
	sqlite3_bind_int64(s, 5, st->ruleset);
	sqlite3_bind_text(s, 6, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 7, log);
	if (sqlite3_step(s) != SQLITE_DONE)
		state_fail(st);
	sqlite3_reset(s);
}

/* Four independent multiply-xor lanes over 64-bit words: several GB/s on
 * the driver thread, where a CRC-32 of every chunk took 44% of a run. */
uint64_t eh_state_chunk_fingerprint(const uint8_t *chunk)
{
	const uint64_t k = UINT64_C(0x9e3779b97f4a7c15);
	uint64_t h[4] = { 1, 2, 3, 4 };
	for (size_t i = 0; i < EH_CHUNK_SIZE; i += 32)
		for (int l = 0; l < 4; l++) {
			uint64_t w;
			memcpy(&w, chunk + i + 8 * l, 8);
			h[l] = (h[l] ^ w) * k;
			h[l] ^= h[l] >> 29;
		}
	uint64_t out = 0;
	for (int l = 0; l < 4; l++)
		out = (out ^ h[l]) * k + (uint64_t)l;
	return out ^ out >> 31;
}

bool eh_state_chunk_known(struct eh_state *st, int64_t log, uint64_t index, uint64_t fingerprint)
{
	sqlite3_stmt *s = st->get_chunk;
	sqlite3_bind_int64(s, 1, log);
	sqlite3_bind_int64(s, 2, (int64_t)index);
	bool known = false;
	if (sqlite3_step(s) == SQLITE_ROW)
		known = (uint64_t)sqlite3_column_int64(s, 0) == fingerprint && state_covers(st, sqlite3_column_int64(s, 1));
	sqlite3_reset(s);
	if (known)
		return true;
	/* the same bytes scanned under another name: a rotated log's archive */
	s = st->get_copy;
	sqlite3_bind_int64(s, 1, (int64_t)fingerprint);
	while (!known && sqlite3_step(s) == SQLITE_ROW)
		known = state_covers(st, sqlite3_column_int64(s, 0));
	sqlite3_reset(s);
	return known;
}

void eh_state_chunk_scanned(struct eh_state *st, int64_t log, uint64_t index, uint64_t fingerprint)
{
	if (st->partial)
		return;
	sqlite3_stmt *s = st->put_chunk;
	sqlite3_bind_int64(s, 1, log);
	sqlite3_bind_int64(s, 2, (int64_t)index);
	sqlite3_bind_int64(s, 3, (int64_t)fingerprint);
	sqlite3_bind_int64(s, 4, st->ruleset);
	if (sqlite3_step(s) != SQLITE_DONE)
		state_fail(st);
	sqlite3_reset(s);
}

bool eh_state_hit_is_new(struct eh_state *st, int64_t log, const struct eh_rule *rule, const struct eh_event *ev,
			 const char *file)
{
	/* kept as its JSON line, to be delivered by the next run if this one
	 * dies after a checkpoint and before its report */
	struct eh_hit hit = { .rule = rule, .event = (struct eh_event *)ev, .file = file };
	buf_reset(&st->line);
	eh_jsonl_write_hit(&st->line, &hit);
	sqlite3_stmt *s = st->add_hit;
	sqlite3_bind_text(s, 1, rule->id ? rule->id : rule->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, ev->computer ? ev->computer : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, ev->channel ? ev->channel : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (int64_t)ev->record_id);
	sqlite3_bind_int64(s, 5, ev->time);
	sqlite3_bind_text(s, 6, rule->title, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, log);
	sqlite3_bind_int64(s, 8, st->run);
	sqlite3_bind_text(s, 9, st->line.data, (int)st->line.len, SQLITE_STATIC);
	bool added = false;
	if (sqlite3_step(s) == SQLITE_DONE)
		added = sqlite3_changes(st->db) > 0;
	else
		state_fail(st);
	sqlite3_reset(s);
	return added;
}

/* ---- --state-report ------------------------------------------------------------ */

static void state_cell(FILE *out, const unsigned char *text)
{
	struct buf b;
	buf_init(&b);
	const char *t = text ? (const char *)text : "";
	eh_escape_terminal(&b, t, strlen(t));
	fputs(b.data, out);
	buf_free(&b);
}

int eh_state_report(const char *path, FILE *out, FILE *err)
{
	sqlite3 *db = NULL;
	if (access(path, R_OK) != 0 || sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		eh_report_linef(err, NULL, path, "cannot open the state: %s", db ? sqlite3_errmsg(db) : strerror(errno));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 10000);
	static const struct {
		const char *title, *sql;
	} parts[] = {
		{ "runs (started, finished or 'killed/unfinished', rules, hits reported)",
		  "SELECT started, coalesce(finished, 'unfinished'), rules, coalesce(hits, 0) FROM runs ORDER BY id" },
		{ "logs (last scan, size, chunks known, hits, path)",
		  "SELECT coalesce(last_scan, '-'), size, (SELECT count(*) FROM chunks c WHERE c.log = l.id),"
		  " (SELECT count(*) FROM hits h WHERE h.log = l.id), path FROM logs l ORDER BY path" },
		{ "hits per rule per day of the run that reported them (day, hits, rule)",
		  "SELECT substr(r.started, 1, 10) AS day, count(*), h.rule_title FROM hits h JOIN runs r ON r.id = h.run"
		  " GROUP BY day, h.rule ORDER BY day, count(*) DESC, h.rule_title" },
		{ "hits per computer (hits, computer)",
		  "SELECT count(*), computer FROM hits GROUP BY computer ORDER BY count(*) DESC, computer" },
	};
	int status = 0;
	for (size_t p = 0; p < sizeof parts / sizeof parts[0] && status == 0; p++) {
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(db, parts[p].sql, -1, &s, NULL) != SQLITE_OK) {
			eh_report_linef(err, NULL, path, "not an evtxhunt state file: %s", sqlite3_errmsg(db));
			status = -1;
			break;
		}
		fprintf(out, "%s%s:\n", p ? "\n" : "", parts[p].title);
		int rc;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			fputs(" ", out);
			for (int c = 0; c < sqlite3_column_count(s); c++) {
				fputs("  ", out);
				state_cell(out, sqlite3_column_text(s, c));
			}
			fputc('\n', out);
		}
		if (rc != SQLITE_DONE) {
			eh_report_linef(err, NULL, path, "%s", sqlite3_errmsg(db));
			status = -1;
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return status;
}
