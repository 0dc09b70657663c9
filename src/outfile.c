/* Output files that are complete or absent (see outfile.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evtxhunt/outfile.h"
#include "evtxhunt/report.h"
#include "evtxhunt/util.h"

struct eh_outfile {
	char *path;
	char *tmp; /* NULL: unnamed (O_TMPFILE) until committed */
	int fd;
	FILE *fp;
	bool replace;
};

/* The named temporary file of the fallback, for the signal handler. */
static volatile sig_atomic_t have_pending;
static char pending_tmp[4096];

static void on_signal(int sig)
{
	if (have_pending)
		unlink(pending_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void watch(const char *tmp)
{
	if (strlen(tmp) >= sizeof pending_tmp)
		return;
	strcpy(pending_tmp, tmp);
	have_pending = 1;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigaction(sigs[i], &sa, NULL);
	}
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

struct eh_outfile *eh_outfile_open(const char *path, bool replace)
{
	struct stat st;
	if (!replace && lstat(path, &st) == 0) {
		char *shown = eh_report_path(path);
		fprintf(stderr, "evtxhunt: %s exists; use --force to replace it\n", shown);
		free(shown);
		return NULL;
	}
	struct eh_outfile *o = xcalloc(1, sizeof *o);
	o->path = xstrdup(path);
	o->replace = replace;
	char *dir = dir_of(path);
	o->fd = -1;
#ifdef O_TMPFILE
	o->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
#endif
	if (o->fd < 0) { /* no O_TMPFILE here: a hidden name, removed on failure */
		o->tmp = xasprintf("%s/.evtxhunt-XXXXXX", dir);
		o->fd = mkstemp(o->tmp);
		if (o->fd >= 0)
			watch(o->tmp);
	}
	free(dir);
	if (o->fd < 0 || (o->fp = fdopen(o->fd, "w")) == NULL) {
		int saved = errno;
		char *shown = eh_report_path(path);
		fprintf(stderr, "evtxhunt: cannot create %s: %s\n", shown, strerror(saved));
		free(shown);
		if (o->fd >= 0)
			close(o->fd);
		if (o->tmp)
			unlink(o->tmp);
		free(o->tmp);
		free(o->path);
		free(o);
		return NULL;
	}
	return o;
}

FILE *eh_outfile_stream(struct eh_outfile *o)
{
	return o->fp;
}

/* Gives the unnamed file its name: linked under a temporary name first
 * when an existing file is to be replaced (linkat does not replace). */
static int outfile_name(struct eh_outfile *o)
{
	if (o->tmp)
		return rename(o->tmp, o->path);
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, o->path, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != EEXIST || !o->replace)
		return -1;
	char *dir = dir_of(o->path);
	for (int attempt = 0; attempt < 100; attempt++) {
		char *tmp = xasprintf("%s/.evtxhunt-%ld-%d", dir, (long)getpid(), attempt);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0) {
			int rc = rename(tmp, o->path);
			int saved = errno;
			if (rc != 0)
				unlink(tmp);
			free(tmp);
			free(dir);
			errno = saved;
			return rc;
		}
		free(tmp);
		if (errno != EEXIST)
			break;
	}
	free(dir);
	return -1;
}

static void outfile_free(struct eh_outfile *o)
{
	if (o->tmp)
		have_pending = 0;
	free(o->tmp);
	free(o->path);
	free(o);
}

int eh_outfile_commit(struct eh_outfile *o)
{
	int rc = 0;
	if (fflush(o->fp) != 0 || ferror(o->fp) || fsync(o->fd) != 0)
		rc = -1;
	int saved = errno;
	if (rc == 0 && outfile_name(o) != 0) {
		rc = -1;
		saved = errno;
	}
	if (rc != 0 && o->tmp)
		unlink(o->tmp);
	fclose(o->fp); /* after linking: /proc/self/fd needs it open */
	if (rc != 0) {
		char *shown = eh_report_path(o->path);
		fprintf(stderr, "evtxhunt: cannot write %s: %s; nothing written\n", shown, strerror(saved));
		free(shown);
	}
	outfile_free(o);
	return rc;
}

void eh_outfile_abandon(struct eh_outfile *o)
{
	if (o->tmp)
		unlink(o->tmp);
	fclose(o->fp);
	outfile_free(o);
}
