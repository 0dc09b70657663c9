/* Directory walk, shared by the log scan and the rule loader: entries in
 * byte order of their names (a stable order run to run), directories
 * entered depth first, everything else handed to a callback. The walker
 * decides nothing about files; the caller does. */
#ifndef EVTXHUNT_WALK_H
#define EVTXHUNT_WALK_H

#include <stdbool.h>
#include <sys/stat.h>

enum eh_walk_what {
	EH_WALK_ENTRY,    /* not a directory: ST says what it is */
	EH_WALK_NO_STAT,  /* stat failed (ERROR): a dangling link, say */
	EH_WALK_NO_DIR,   /* a directory that cannot be opened (ERROR) */
	EH_WALK_LOOP,     /* a directory that leads back to one above: not entered */
	EH_WALK_TOO_DEEP, /* a directory below MAX_DEPTH: not entered */
};

struct eh_walk_entry {
	enum eh_walk_what what;
	const char *path; /* the directory's path joined with NAME */
	const char *name; /* the last component; for NO_DIR the path itself */
	const struct stat *st; /* EH_WALK_ENTRY only */
	int error;             /* an errno, for NO_STAT and NO_DIR */
};

struct eh_walk_options {
	int max_depth;       /* directories deeper than this (the top is 0) are not entered */
	bool skip_dot_names; /* names starting with '.' are passed over */
	bool detect_loops;   /* directories are told apart by device and inode */
	bool slash_always;   /* "DIR/" and NAME make "DIR//NAME", as rule file
			      * names always were (rule hashes include them) */
};

typedef void (*eh_walk_fn)(const struct eh_walk_entry *e, void *user);

/* Walks DIR, calling FN for what it meets. The entry's strings live until
 * FN returns. */
void eh_walk(const char *dir, const struct eh_walk_options *opt, eh_walk_fn fn, void *user);

#endif
