/* Isolation: the hunt runs in a child process that a parent supervises,
 * so a record that makes libevtx crash, hang or allocate without bound
 * costs that record, not the run. A shared anonymous mapping (made before
 * fork) holds one slot per scanning thread: what that thread has handed
 * to libevtx right now, and the fatal signal it died of. When the child
 * dies in libevtx or the watchdog kills it, the parent quarantines that
 * record (or chunk) and runs the hunt again from the start in a new child,
 * which counts the quarantined ones unreadable instead of parsing them. */
#ifndef EVTXHUNT_SUPERVISE_H
#define EVTXHUNT_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EH_WATCH_PATH_MAX 4096

/* What a thread is doing in libevtx. */
enum eh_watch_phase { EH_WATCH_IDLE, EH_WATCH_OPEN, EH_WATCH_PARSE, EH_WATCH_RENDER };

/* One scanning thread's slot, in memory shared with the parent. The child
 * writes it; the parent reads phase and seq while the child runs, and the
 * rest only once the child is dead (frozen then). */
struct eh_watch_slot {
	volatile int phase;      /* enum eh_watch_phase */
	volatile uint64_t seq;   /* one more for each libevtx call: tells one from the next */
	volatile int faulted;    /* the fatal signal this thread died of; 0: none */
	int64_t since_ns;        /* CLOCK_MONOTONIC when the call began */
	uint64_t chunk;          /* chunk index in the file */
	int index;               /* in libevtx's list of the chunk; -1: the chunk itself */
	bool recovered;          /* libevtx's list of carved records */
	uint64_t record_id;      /* 0: not known (a carved record not yet parsed) */
	uint32_t offset;         /* of the record in the chunk; 0: not known */
	char file[EH_WATCH_PATH_MAX];
};

struct eh_watch {
	volatile int claimed;          /* slots taken by threads */
	volatile int faulted_elsewhere; /* a fatal signal on a thread without a slot */
	int nslots;
	struct eh_watch_slot slots[];
};

/* ---- child side (the library; every function takes NULL for "not isolated") ---- */

/* The calling thread takes a slot and an alternate signal stack (so a
 * stack overflow can still run the fatal-signal handler). NULL when W is
 * NULL or every slot is taken. */
struct eh_watch_slot *eh_watch_thread_join(struct eh_watch *w);
/* Gives the thread's alternate signal stack back (the slot stays taken). */
void eh_watch_thread_leave(struct eh_watch_slot *slot);

/* The chunk the thread works on now. */
void eh_watch_set_chunk(struct eh_watch_slot *slot, const char *file, uint64_t chunk);
/* The record about to be handed to libevtx, as far as its header tells. */
static inline void eh_watch_hint(struct eh_watch_slot *slot, uint64_t record_id, uint32_t offset)
{
	if (slot) {
		slot->record_id = record_id;
		slot->offset = offset;
	}
}
/* Around each libevtx call that parses: INDEX in the chunk's live or
 * RECOVERED list, -1 for the chunk as a whole. */
void eh_watch_enter(struct eh_watch_slot *slot, enum eh_watch_phase phase, int index, bool recovered);
static inline void eh_watch_leave(struct eh_watch_slot *slot)
{
	if (slot)
		__atomic_store_n(&slot->phase, EH_WATCH_IDLE, __ATOMIC_RELEASE);
}

/* ---- the quarantine: records and chunks kept from libevtx ---- */

struct eh_quarantined {
	char *file;
	uint64_t chunk;
	int index; /* -1: the whole chunk */
	bool recovered;
	uint64_t record_id;
	char *reason; /* "libevtx crashed on it (SIGSEGV) in an earlier attempt" */
};

struct eh_quarantine {
	struct eh_quarantined *items;
	size_t n;
};

/* The quarantined record (INDEX -1: the chunk), or NULL. */
const struct eh_quarantined *eh_quarantine_find(const struct eh_quarantine *q, const char *file, uint64_t chunk, int index,
			       bool recovered);

/* ---- parent side ---- */

struct eh_supervise_options {
	double record_timeout;   /* seconds one libevtx call may take */
	uint64_t memory_limit;   /* bytes of the child's resident memory */
	int max_restarts;
	int threads;             /* scanning threads the hunt starts (0: one per core) */
	const char *tmpdir;      /* where the child's stderr is held; NULL: /tmp */
};

/* What the child gets to hunt with. */
struct eh_isolated {
	const struct eh_quarantine *quarantine;
	struct eh_watch *watch;
	int terminal_fd; /* the real stderr, for the progress line; -1: none */
};

/* Forks the hunt. Returns -1 in the child (go on with the hunt, using
 * *ISO), or, in the parent, the exit status of the run: the final
 * child's, EXIT 2 when a child died and no record could be blamed; when
 * the child was killed by a signal from outside, the parent dies of it
 * too. The child's stderr reaches the parent's only for the final attempt. */
int eh_supervise(const struct eh_supervise_options *opt, struct eh_isolated *iso);

#endif
