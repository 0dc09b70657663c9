/* Named rule packs: the search path, finding a pack, listing them. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evtxhunt/builtin.h"
#include "evtxhunt/output.h"
#include "evtxhunt/rulepack.h"
#include "evtxhunt/util.h"
#include "evtxhunt/walk.h"

#ifndef EH_PKGDATADIR
#define EH_PKGDATADIR "/usr/local/share/evtxhunt"
#endif

static void dirs_add(char ***dirs, size_t *n, char *dir)
{
	*dirs = xreallocarray(*dirs, *n + 2, sizeof **dirs);
	(*dirs)[(*n)++] = dir;
	(*dirs)[*n] = NULL;
}

/* packs/ beside the binary: /proc/self/exe, as argv[0] may be a bare name
 * found on PATH. Without /proc (an empty chroot) there is none. */
static char *packs_beside_binary(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	return xasprintf("%s/packs", exe);
}

char **eh_rulepack_dirs(void)
{
	char **dirs = NULL;
	size_t n = 0;
	const char *env = getenv("EVTXHUNT_RULES_PACKS");
	for (const char *p = env ? env : ""; *p;) {
		size_t k = strcspn(p, ":");
		if (k)
			dirs_add(&dirs, &n, xstrndup(p, k));
		p += k + (p[k] == ':');
	}
	char *beside = packs_beside_binary();
	if (beside)
		dirs_add(&dirs, &n, beside);
	dirs_add(&dirs, &n, xstrdup(EH_PKGDATADIR "/rules"));
	return dirs;
}

void eh_rulepack_dirs_free(char **dirs)
{
	for (size_t i = 0; dirs && dirs[i]; i++)
		free(dirs[i]);
	free(dirs);
}

/* A pack name is one path component: "@../x" must not leave the path. */
static bool pack_name_ok(const char *name)
{
	return *name && strchr(name, '/') == NULL && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool eh_rulepack_is_builtin(const char *name)
{
	return eh_builtin_pack_name && strcmp(name, eh_builtin_pack_name) == 0;
}

const char *eh_rulepack_builtin_yaml(const char *file)
{
	for (unsigned i = 0; i < eh_builtin_pack_rule_count; i++)
		if (strcmp(eh_builtin_pack_rules[i].name, file) == 0)
			return eh_builtin_pack_rules[i].yaml;
	return NULL;
}

char *eh_rulepack_find(const char *name, char **cause)
{
	if (!pack_name_ok(name)) {
		*cause = xasprintf("'%s' is not a rule pack name (one directory name, no '/')", name);
		return NULL;
	}
	char **dirs = eh_rulepack_dirs();
	char *found = NULL;
	struct buf tried;
	buf_init(&tried);
	for (size_t i = 0; dirs[i] && !found; i++) {
		char *path = xasprintf("%s/%s", dirs[i], name);
		if (is_dir(path))
			found = path;
		else
			free(path);
		buf_addf(&tried, "%s%s", i ? ", " : "", dirs[i]);
	}
	if (!found && !eh_rulepack_is_builtin(name))
		*cause = xasprintf("no rule pack '%s' in %s%s%s (EVTXHUNT_RULES_PACKS adds directories)", name, tried.data,
				   eh_builtin_pack_name ? ", nor built in: " : "",
				   eh_builtin_pack_name ? eh_builtin_pack_name : "");
	else if (!found)
		*cause = NULL; /* the compiled-in pack: no directory */
	buf_free(&tried);
	eh_rulepack_dirs_free(dirs);
	return found;
}

static bool is_yaml(const char *name)
{
	size_t n = strlen(name);
	return (n > 4 && strcasecmp(name + n - 4, ".yml") == 0) || (n > 5 && strcasecmp(name + n - 5, ".yaml") == 0);
}

/* The rule files, as the loader walks them (hidden names skipped). */
static void count_yaml(const struct eh_walk_entry *e, void *user)
{
	if (e->what == EH_WALK_ENTRY && S_ISREG(e->st->st_mode) && is_yaml(e->name))
		(*(size_t *)user)++;
}

static const struct eh_walk_options count_options = { .max_depth = 64, .skip_dot_names = true, .detect_loops = true };

/* The PROVENANCE lines that say where the rules came from and when the
 * pack was built, joined with "; " (each "key: value"). */
static char *provenance_of(FILE *f)
{
	static const char *const keys[] = { "source:", "commit:", "newest-rule:", "built:" };
	struct buf b;
	buf_init(&b);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (strncmp(line, keys[k], strlen(keys[k])) == 0)
				buf_addf(&b, "%s%s", b.len ? "; " : "", line);
	}
	free(line);
	fclose(f);
	if (b.len == 0)
		buf_adds(&b, "PROVENANCE says nothing of source or date");
	return buf_steal(&b);
}

static char *provenance(const char *pack)
{
	char *path = xasprintf("%s/PROVENANCE", pack);
	FILE *f = fopen(path, "re");
	free(path);
	return f ? provenance_of(f) : xstrdup("no PROVENANCE file");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t eh_rulepack_list(FILE *out)
{
	char **dirs = eh_rulepack_dirs();
	char **seen = NULL;
	size_t nseen = 0, listed = 0;
	for (size_t i = 0; dirs[i]; i++) {
		DIR *d = opendir(dirs[i]);
		if (d == NULL)
			continue; /* a search directory that does not exist holds no pack */
		char **names = NULL;
		size_t n = 0;
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			char *path = xasprintf("%s/%s", dirs[i], de->d_name);
			if (is_dir(path)) {
				names = xreallocarray(names, n + 1, sizeof *names);
				names[n++] = xstrdup(de->d_name);
			}
			free(path);
		}
		closedir(d);
		if (n)
			qsort(names, n, sizeof *names, cmp_names);
		for (size_t j = 0; j < n; j++) {
			char *path = xasprintf("%s/%s", dirs[i], names[j]);
			bool shadowed = false;
			for (size_t s = 0; s < nseen && !shadowed; s++)
				shadowed = strcmp(seen[s], names[j]) == 0;
			size_t rules = 0;
			eh_walk(path, &count_options, count_yaml, &rules);
			char *prov = provenance(path);
			struct buf b; /* names and PROVENANCE come from the medium: escaped */
			buf_init(&b);
			eh_escape_terminal(&b, names[j], strlen(names[j]));
			buf_addf(&b, "\t%zu rules\t", rules);
			eh_escape_terminal(&b, path, strlen(path));
			buf_adds(&b, "\t");
			eh_escape_terminal(&b, prov, strlen(prov));
			if (shadowed)
				buf_adds(&b, "\t(shadowed by the pack of that name above)");
			fprintf(out, "%s\n", b.data);
			buf_free(&b);
			free(prov);
			free(path);
			if (!shadowed) {
				seen = xreallocarray(seen, nseen + 1, sizeof *seen);
				seen[nseen++] = names[j];
				listed++;
			} else {
				free(names[j]);
			}
		}
		free(names);
	}
	if (eh_builtin_pack_name) {
		bool shadowed = false;
		for (size_t s = 0; s < nseen && !shadowed; s++)
			shadowed = strcmp(seen[s], eh_builtin_pack_name) == 0;
		/* fmemopen refuses a size of 0 */
		FILE *f = *eh_builtin_pack_provenance
				  ? fmemopen((void *)eh_builtin_pack_provenance, strlen(eh_builtin_pack_provenance), "r")
				  : NULL;
		char *prov = f ? provenance_of(f) : xstrdup("no PROVENANCE file");
		fprintf(out, "%s\t%u rules\t(built in)\t%s%s\n", eh_builtin_pack_name, eh_builtin_pack_rule_count, prov,
			shadowed ? "\t(shadowed by the pack of that name above)" : "");
		free(prov);
		listed += !shadowed;
	}
	for (size_t s = 0; s < nseen; s++)
		free(seen[s]);
	free(seen);
	eh_rulepack_dirs_free(dirs);
	return listed;
}
