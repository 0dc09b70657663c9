/* Isolation (see supervise.h): the child's slots, its fatal-signal
 * handler, and the parent that waits, watches and restarts. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evtxhunt/report.h"
#include "evtxhunt/supervise.h"
#include "evtxhunt/util.h"

enum { EXIT_ERROR_STATUS = 2 };
#define POLL_SECONDS 0.05
/* a poll that came late (the parent was stopped or starved) counts this
 * much at most, so a suspended run is not taken for a hung record */
#define POLL_CREDIT_MAX (4 * POLL_SECONDS)
#define ALT_STACK_SIZE (64 * 1024)

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

static int64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- child side ----------------------------------------------------------------- */

static struct eh_watch *child_watch;
static _Thread_local struct eh_watch_slot *thread_slot;
static _Thread_local void *thread_alt_stack;

struct eh_watch_slot *eh_watch_thread_join(struct eh_watch *w)
{
	if (w == NULL)
		return NULL;
	int i = __atomic_fetch_add(&w->claimed, 1, __ATOMIC_ACQ_REL);
	if (i >= w->nslots)
		return NULL;
	struct eh_watch_slot *slot = &w->slots[i];
	/* a stack overflow leaves no stack for the handler: it runs on this one */
	thread_alt_stack = xmalloc(ALT_STACK_SIZE);
	stack_t ss = { .ss_sp = thread_alt_stack, .ss_size = ALT_STACK_SIZE, .ss_flags = 0 };
	if (sigaltstack(&ss, NULL) != 0) {
		free(thread_alt_stack);
		thread_alt_stack = NULL;
	}
	thread_slot = slot;
	return slot;
}

void eh_watch_thread_leave(struct eh_watch_slot *slot)
{
	if (slot == NULL || slot != thread_slot)
		return;
	thread_slot = NULL;
	if (thread_alt_stack) {
		stack_t ss = { .ss_flags = SS_DISABLE };
		sigaltstack(&ss, NULL);
		free(thread_alt_stack);
		thread_alt_stack = NULL;
	}
}

void eh_watch_set_chunk(struct eh_watch_slot *slot, const char *file, uint64_t chunk)
{
	if (slot == NULL)
		return;
	snprintf(slot->file, sizeof slot->file, "%s", file);
	slot->chunk = chunk;
}

void eh_watch_enter(struct eh_watch_slot *slot, enum eh_watch_phase phase, int index, bool recovered)
{
	if (slot == NULL)
		return;
	slot->index = index;
	slot->recovered = recovered;
	slot->since_ns = monotonic_ns();
	__atomic_add_fetch(&slot->seq, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->phase, phase, __ATOMIC_RELEASE);
}

/* Only stores (async-signal-safe), then dies of SIG as it would have. */
static void on_fatal_signal(int sig)
{
	if (thread_slot)
		thread_slot->faulted = sig;
	else if (child_watch)
		child_watch->faulted_elsewhere = sig;
	/* SA_RESETHAND put the default action back: the raised signal is
	 * delivered when the handler returns (a fault would recur anyway) */
	raise(sig);
}

static void install_fatal_handlers(struct eh_watch *w)
{
	child_watch = w;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
		sigaction(fatal_signals[i], &sa, NULL);
}

/* ---- the quarantine ---------------------------------------------------------------- */

static bool same_place(const struct eh_quarantined *q, const char *file, uint64_t chunk, int index, bool recovered)
{
	return q->chunk == chunk && q->index == index && q->recovered == recovered && strcmp(q->file, file) == 0;
}

const struct eh_quarantined *eh_quarantine_find(const struct eh_quarantine *q, const char *file, uint64_t chunk,
						int index, bool recovered)
{
	if (q == NULL)
		return NULL;
	for (size_t i = 0; i < q->n; i++)
		if (same_place(&q->items[i], file, chunk, index, recovered))
			return &q->items[i];
	return NULL;
}

static void quarantine_add(struct eh_quarantine *q, const struct eh_watch_slot *s, const char *reason)
{
	q->items = xreallocarray(q->items, q->n + 1, sizeof *q->items);
	q->items[q->n++] = (struct eh_quarantined){ xstrdup(s->file), s->chunk, s->index, s->recovered, s->record_id,
						    xstrdup(reason) };
}

/* ---- parent side ------------------------------------------------------------------ */

static volatile pid_t supervised_child;

/* SIGTERM and the like, sent to the parent, are meant for the hunt. */
static void forward_signal(int sig)
{
	if (supervised_child > 0)
		kill(supervised_child, sig);
}

static const int forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
static struct sigaction saved_actions[sizeof forwarded_signals / sizeof forwarded_signals[0]];

/* Forwards the signals the parent has not been told to ignore. */
static void install_forwarders(void)
{
	for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++) {
		sigaction(forwarded_signals[i], NULL, &saved_actions[i]);
		if (saved_actions[i].sa_handler == SIG_IGN)
			continue;
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = forward_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(forwarded_signals[i], &sa, NULL);
	}
}

static void restore_forwarded(void)
{
	for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
		sigaction(forwarded_signals[i], &saved_actions[i], NULL);
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGABRT: return "SIGABRT";
	case SIGKILL: return "SIGKILL";
	default: return "a signal";
	}
}

static bool is_fatal_signal(int sig)
{
	for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
		if (fatal_signals[i] == sig)
			return true;
	return false;
}

/* An unnamed file for the child's stderr. */
static int open_hold_file(const char *tmpdir)
{
	const char *dir = tmpdir && *tmpdir ? tmpdir : "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	char *name = xasprintf("%s/evtxhunt-stderr-XXXXXX", dir);
	fd = mkostemp(name, O_CLOEXEC);
	if (fd >= 0)
		unlink(name);
	free(name);
	return fd;
}

/* What the child held on stderr, to the parent's stderr. */
static void pass_on(int hold)
{
	char buf[65536];
	off_t at = 0;
	ssize_t n;
	if (hold < 0)
		return;
	while ((n = pread(hold, buf, sizeof buf, at)) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(STDERR_FILENO, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return;
			done += w;
		}
		at += n;
	}
}

static uint64_t resident_bytes(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
	FILE *f = fopen(path, "re");
	unsigned long long size = 0, resident = 0;
	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Why an attempt ended. */
enum verdict { ENDED, CRASHED, TOOK_TOO_LONG, TOO_MUCH_MEMORY };

/* The watchdog's view of one slot: how long the call with SEQ has been
 * seen running. */
struct sighting {
	uint64_t seq;
	double seconds;
};

struct attempt {
	pid_t pid;
	int status;
	enum verdict verdict;
	int culprit; /* slot index; -1: none */
	uint64_t resident;
};

/* The slot in libevtx seen longest, or -1. */
static int longest_in_flight(const struct eh_watch *w)
{
	int best = -1;
	int n = w->claimed < w->nslots ? w->claimed : w->nslots;
	for (int i = 0; i < n; i++)
		if (w->slots[i].phase != EH_WATCH_IDLE &&
		    (best < 0 || w->slots[i].since_ns < w->slots[best].since_ns))
			best = i;
	return best;
}

/* Stops the child where it is (its slots then hold still), names the
 * culprit, and kills it. */
static void stop_and_kill(struct attempt *a, struct eh_watch *w, const struct sighting *seen, int culprit)
{
	int st;
	kill(a->pid, SIGSTOP);
	if (waitpid(a->pid, &st, WUNTRACED) == a->pid && !WIFSTOPPED(st)) {
		a->status = st; /* it died first: what it died of decides */
		a->pid = -1;
		return;
	}
	if (a->verdict == TOO_MUCH_MEMORY)
		culprit = longest_in_flight(w);
	else if (w->slots[culprit].phase == EH_WATCH_IDLE || w->slots[culprit].seq != seen[culprit].seq)
		culprit = -1; /* it finished just now after all */
	a->culprit = culprit;
	kill(a->pid, SIGKILL);
}

/* One look at the running child: a call in libevtx past the time limit,
 * or the memory limit passed while libevtx is at work. Returns whether it
 * was killed. */
static bool watch_once(const struct eh_supervise_options *opt, struct attempt *a, struct eh_watch *w,
		       struct sighting *seen, double credit)
{
	int n = w->claimed < w->nslots ? w->claimed : w->nslots;
	for (int i = 0; i < n; i++) {
		int phase = __atomic_load_n(&w->slots[i].phase, __ATOMIC_ACQUIRE);
		uint64_t seq = __atomic_load_n(&w->slots[i].seq, __ATOMIC_RELAXED);
		if (phase == EH_WATCH_IDLE || seq != seen[i].seq) {
			seen[i] = (struct sighting){ seq, 0 };
			continue;
		}
		seen[i].seconds += credit;
		if (opt->record_timeout > 0 && seen[i].seconds >= opt->record_timeout) {
			a->verdict = TOOK_TOO_LONG;
			stop_and_kill(a, w, seen, i);
			return true;
		}
	}
	if (opt->memory_limit && longest_in_flight(w) >= 0) {
		uint64_t rss = resident_bytes(a->pid);
		if (rss > opt->memory_limit) {
			a->verdict = TOO_MUCH_MEMORY;
			a->resident = rss;
			stop_and_kill(a, w, seen, -1);
			return true;
		}
	}
	return false;
}

/* Sleeps POLL_SECONDS, or less when PIDFD says the child has ended (a
 * short run is not made 50 ms longer). */
static void nap(int pidfd)
{
	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		if (poll(&p, 1, (int)(POLL_SECONDS * 1000)) >= 0)
			return;
	}
	struct timespec ts = { 0, (long)(POLL_SECONDS * 1e9) };
	nanosleep(&ts, NULL);
}

/* Waits for the child, watching it every POLL_SECONDS. */
static void wait_child(const struct eh_supervise_options *opt, struct attempt *a, struct eh_watch *w)
{
	struct sighting *seen = xcalloc((size_t)w->nslots, sizeof *seen);
#ifdef SYS_pidfd_open
	int pidfd = (int)syscall(SYS_pidfd_open, a->pid, 0);
#else
	int pidfd = -1;
#endif
	double last = (double)monotonic_ns() / 1e9;
	bool killed = false;
	for (;;) {
		pid_t got = a->pid > 0 ? waitpid(a->pid, &a->status, killed ? 0 : WNOHANG) : -1;
		if (a->pid < 0 || got == a->pid)
			break;
		if (got < 0 && errno != EINTR) {
			a->status = -1;
			break;
		}
		if (killed || got < 0)
			continue;
		nap(pidfd);
		double now = (double)monotonic_ns() / 1e9;
		double credit = now - last < POLL_CREDIT_MAX ? now - last : POLL_CREDIT_MAX;
		last = now;
		killed = watch_once(opt, a, w, seen, credit);
	}
	free(seen);
	if (pidfd >= 0)
		close(pidfd);
	if (a->verdict == ENDED && a->status != -1 && WIFSIGNALED(a->status) && is_fatal_signal(WTERMSIG(a->status)))
		a->verdict = CRASHED;
}

/* The slot that died of the fatal signal, if it was in libevtx then. */
static int crashed_slot(const struct eh_watch *w)
{
	int n = w->claimed < w->nslots ? w->claimed : w->nslots;
	for (int i = 0; i < n; i++)
		if (w->slots[i].faulted)
			return w->slots[i].phase != EH_WATCH_IDLE ? i : -1;
	return -1;
}

/* "chunk 3: record 1205 (index 7 in the chunk)", for messages. */
static char *describe_place(const struct eh_watch_slot *s)
{
	const char *kind = s->recovered ? "recovered record" : "record";
	if (s->index < 0)
		return xasprintf("chunk %" PRIu64, s->chunk);
	if (s->record_id)
		return xasprintf("chunk %" PRIu64 ": %s %" PRIu64 " (index %d in the chunk)", s->chunk, kind, s->record_id,
				 s->index);
	return xasprintf("chunk %" PRIu64 ": %s at index %d in the chunk", s->chunk, kind, s->index);
}

/* What happened to the culprit, "libevtx crashed on it (SIGSEGV)". */
static char *describe_failure(const struct eh_supervise_options *opt, const struct attempt *a)
{
	switch (a->verdict) {
	case CRASHED:
		return xasprintf("libevtx crashed on it (%s)", signal_name(WTERMSIG(a->status)));
	case TOOK_TOO_LONG:
		return xasprintf("libevtx took over %g s on it", opt->record_timeout);
	case TOO_MUCH_MEMORY:
		return xasprintf("the hunt passed %" PRIu64 " MB of memory while libevtx was on it",
				 opt->memory_limit / (1024 * 1024));
	case ENDED:
		break;
	}
	return xstrdup("libevtx failed on it");
}

/* Why an attempt that ended badly cannot be blamed on a record. */
static void say_no_culprit(const struct eh_supervise_options *opt, const struct attempt *a, const struct eh_watch *w)
{
	if (a->verdict == CRASHED)
		fprintf(stderr,
			"evtxhunt: error: the hunt died of %s %s; no record to blame, no report written\n",
			signal_name(WTERMSIG(a->status)),
			w->faulted_elsewhere || crashed_slot(w) < 0 ? "outside libevtx" : "with no record in libevtx");
	else if (a->verdict == TOO_MUCH_MEMORY)
		fprintf(stderr, "evtxhunt: error: the hunt passed --memory-limit (%" PRIu64 " MB)"
			" and no record could be blamed; no report written\n", opt->memory_limit / (1024 * 1024));
	else
		fprintf(stderr, "evtxhunt: error: the hunt was stopped and no record could be blamed; no report written\n");
}

/* Dies of SIG as the child did (SIGKILL, SIGTERM from outside). */
static void die_like_child(int sig)
{
	restore_forwarded();
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* In the child: stderr into the hold file, the handlers in place. */
static void become_child(struct eh_isolated *iso, struct eh_watch *w, const struct eh_quarantine *q, int hold,
			 pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed parent takes the hunt along */
	if (getppid() != parent)
		_exit(EXIT_ERROR_STATUS);
	restore_forwarded();
	iso->terminal_fd = -1;
	if (hold >= 0) {
		if (isatty(STDERR_FILENO))
			iso->terminal_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		dup2(hold, STDERR_FILENO);
		close(hold);
	}
	install_fatal_handlers(w);
	iso->watch = w;
	iso->quarantine = q;
}

static struct eh_watch *watch_map(int nslots)
{
	size_t size = sizeof(struct eh_watch) + (size_t)nslots * sizeof(struct eh_watch_slot);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	struct eh_watch *w = p;
	w->nslots = nslots;
	return w;
}

static void watch_reset(struct eh_watch *w)
{
	int n = w->claimed < w->nslots ? w->claimed : w->nslots;
	memset(w->slots, 0, (size_t)n * sizeof *w->slots);
	w->claimed = 0;
	w->faulted_elsewhere = 0;
}

int eh_supervise(const struct eh_supervise_options *opt, struct eh_isolated *iso)
{
	int threads = opt->threads > 0 ? opt->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	struct eh_watch *w = watch_map((threads > 0 ? threads : 1) + 1);
	if (w == NULL) {
		fprintf(stderr, "evtxhunt: warning: cannot map memory to watch the hunt (%s); running it unisolated\n",
			strerror(errno));
		return -1;
	}
	static struct eh_quarantine quarantine; /* the child reads it after fork */
	pid_t parent = getpid();
	install_forwarders();
	for (int restarts = 0;; restarts++) {
		watch_reset(w);
		int hold = open_hold_file(opt->tmpdir);
		if (hold < 0 && restarts == 0)
			fprintf(stderr, "evtxhunt: warning: cannot hold the hunt's messages (%s): a restart would repeat them\n",
				strerror(errno));
		fflush(NULL); /* nothing buffered is written twice */
		struct attempt a = { .culprit = -1 };
		a.pid = fork();
		if (a.pid == 0) {
			become_child(iso, w, &quarantine, hold, parent);
			return -1;
		}
		if (a.pid < 0) {
			fprintf(stderr, "evtxhunt: error: cannot start the hunt: %s\n", strerror(errno));
			restore_forwarded();
			return EXIT_ERROR_STATUS;
		}
		supervised_child = a.pid;
		wait_child(opt, &a, w);
		supervised_child = 0;
		if (a.status == -1) {
			fprintf(stderr, "evtxhunt: error: lost the hunt's process: %s\n", strerror(errno));
			return EXIT_ERROR_STATUS;
		}
		if (a.verdict == ENDED) {
			pass_on(hold);
			if (WIFSIGNALED(a.status))
				die_like_child(WTERMSIG(a.status));
			restore_forwarded();
			return WEXITSTATUS(a.status);
		}
		int culprit = a.verdict == CRASHED ? crashed_slot(w) : a.culprit;
		const struct eh_watch_slot *s = culprit >= 0 ? &w->slots[culprit] : NULL;
		if (s == NULL) {
			pass_on(hold);
			say_no_culprit(opt, &a, w);
			restore_forwarded();
			return EXIT_ERROR_STATUS;
		}
		char *what = describe_failure(opt, &a), *place = describe_place(s);
		bool again = eh_quarantine_find(&quarantine, s->file, s->chunk, s->index, s->recovered) != NULL;
		if (again || restarts >= opt->max_restarts) {
			pass_on(hold);
			eh_report_linef(stderr, "error", s->file, "%s: %s; %s, no report written", place, what,
					again ? "it was quarantined already" : "too many restarts");
			free(what);
			free(place);
			restore_forwarded();
			return EXIT_ERROR_STATUS;
		}
		eh_report_linef(stderr, "warning", s->file, "%s: %s; the hunt starts again without it (restart %d of at most %d)",
				place, what, restarts + 1, opt->max_restarts);
		char *reason = xasprintf("%s in an earlier attempt", what);
		quarantine_add(&quarantine, s, reason);
		free(reason);
		free(what);
		free(place);
		if (hold >= 0)
			close(hold); /* its messages are the failed attempt's */
	}
}
