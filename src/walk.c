/* Directory walk with a callback (see walk.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/util.h"
#include "evtxhunt/walk.h"

struct walk {
	const struct eh_walk_options *opt;
	eh_walk_fn fn;
	void *user;
	/* the directories on the way down, to spot symlink loops */
	dev_t *dev;
	ino_t *ino;
	int n, cap;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_tell(struct walk *w, enum eh_walk_what what, const char *path, const char *name, const struct stat *st,
		  int error)
{
	struct eh_walk_entry e = { what, path, name, st, error };
	w->fn(&e, w->user);
}

static void walk_push(struct walk *w, const struct stat *st)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->dev = xreallocarray(w->dev, (size_t)w->cap, sizeof *w->dev);
		w->ino = xreallocarray(w->ino, (size_t)w->cap, sizeof *w->ino);
	}
	w->dev[w->n] = st->st_dev;
	w->ino[w->n++] = st->st_ino;
}

static bool walk_above(const struct walk *w, const struct stat *st)
{
	for (int i = 0; i < w->n; i++)
		if (w->dev[i] == st->st_dev && w->ino[i] == st->st_ino)
			return true;
	return false;
}

static void walk_dir(struct walk *w, const char *path, int depth)
{
	DIR *d = opendir(path);
	if (d == NULL) {
		walk_tell(w, EH_WALK_NO_DIR, path, path, NULL, errno);
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (w->opt->skip_dot_names && de->d_name[0] == '.'))
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	bool slash = w->opt->slash_always || path[strlen(path) - 1] != '/';
	for (size_t i = 0; i < n; i++) {
		char *child = xasprintf("%s%s%s", path, slash ? "/" : "", names[i]);
		struct stat st;
		if (stat(child, &st) != 0) {
			walk_tell(w, EH_WALK_NO_STAT, child, names[i], NULL, errno);
		} else if (!S_ISDIR(st.st_mode)) {
			walk_tell(w, EH_WALK_ENTRY, child, names[i], &st, 0);
		} else if (w->opt->detect_loops && walk_above(w, &st)) {
			walk_tell(w, EH_WALK_LOOP, child, names[i], &st, 0);
		} else if (depth + 1 > w->opt->max_depth) {
			walk_tell(w, EH_WALK_TOO_DEEP, child, names[i], &st, 0);
		} else {
			walk_push(w, &st);
			walk_dir(w, child, depth + 1);
			w->n--;
		}
		free(child);
		free(names[i]);
	}
	free(names);
}

void eh_walk(const char *dir, const struct eh_walk_options *opt, eh_walk_fn fn, void *user)
{
	struct walk w = { opt, fn, user, NULL, NULL, 0, 0 };
	struct stat st;
	if (opt->detect_loops && stat(dir, &st) == 0)
		walk_push(&w, &st);
	walk_dir(&w, dir, 0);
	free(w.dev);
	free(w.ino);
}
