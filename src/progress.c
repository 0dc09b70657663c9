/* The progress line (see progress.h). */
#include "config.h"

#include <inttypes.h>

#include "evtxhunt/progress.h"
#include "evtxhunt/util.h"

static void duration(char *out, size_t cap, double secs)
{
	long t = (long)(secs + 0.5);
	if (t >= 3600)
		snprintf(out, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(out, cap, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(out, cap, "%lds", t);
}

void eh_progress_init(struct eh_progress *p, FILE *out)
{
	*p = (struct eh_progress){ .out = out };
}

void eh_progress_start(struct eh_progress *p)
{
	p->started = eh_monotonic();
}

void eh_progress_update(struct eh_progress *p, uint64_t hits)
{
	if (p->out == NULL)
		return;
	double now = eh_monotonic();
	if (now - p->drawn_at < 0.25)
		return;
	p->drawn_at = now;
	double secs = now - p->started, rate = secs > 0 ? (double)p->done_bytes / secs : 0;
	char eta[32] = "-";
	if (rate > 0 && p->plan_bytes > p->done_bytes)
		duration(eta, sizeof eta, (double)(p->plan_bytes - p->done_bytes) / rate);
	fprintf(p->out, "\r\033[Kevtxhunt: %" PRIu64 "/%" PRIu64 " files, %.1f/%.1f MB, %.0f MB/s, ETA %s, %" PRIu64 " hits",
		p->done_files, p->plan_files, (double)p->done_bytes / 1e6, (double)p->plan_bytes / 1e6, rate / 1e6, eta,
		hits);
	fflush(p->out);
	p->shown = true;
}

void eh_progress_clear(struct eh_progress *p)
{
	if (p->out && p->shown)
		fputs("\r\033[K", p->out);
	p->shown = false;
}
