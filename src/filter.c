/* Event filters for sweeps (see filter.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "evtxhunt/filter.h"
#include "evtxhunt/util.h"

#define TICKS_PER_SECOND INT64_C(10000000)
#define UNIX_EPOCH_TICKS INT64_C(116444736000000000) /* 1970-01-01 in FILETIME */

void eh_filter_init(struct eh_filter *f)
{
	memset(f, 0, sizeof *f);
	f->from = INT64_MIN;
	f->to = INT64_MAX;
}

void eh_filter_release(struct eh_filter *f)
{
	for (size_t i = 0; i < f->ncomputers; i++)
		free(f->computers[i]);
	free(f->computers);
	f->computers = NULL;
	f->ncomputers = 0;
}

bool eh_filter_has_time(const struct eh_filter *f)
{
	return f->from != INT64_MIN || f->to != INT64_MAX;
}

bool eh_filter_active(const struct eh_filter *f)
{
	return eh_filter_has_time(f) || f->ncomputers > 0;
}

int64_t eh_filetime_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return UNIX_EPOCH_TICKS + (int64_t)ts.tv_sec * TICKS_PER_SECOND + ts.tv_nsec / 100;
}

int eh_filter_parse_time(const char *s, int64_t now, bool end_of_day, int64_t *out, char **cause)
{
	/* relative: a count and a unit */
	char *end;
	long long n = strtoll(s, &end, 10);
	if (end != s && *s != '-' && *s != '+' && end[0] && !end[1] && n >= 0 && n < 1000000) {
		int64_t unit = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : end[0] == 'd' ? 86400
			     : end[0] == 'w' ? 7 * 86400 : 0;
		if (unit) {
			*out = now - (int64_t)n * unit * TICKS_PER_SECOND;
			return 0;
		}
	}
	/* absolute: complete what is left out */
	size_t len = strlen(s);
	char full[64];
	if (len == 10)
		snprintf(full, sizeof full, "%sT%s", s, end_of_day ? "23:59:59.9999999Z" : "00:00:00Z");
	else if (len == 16 || (len == 17 && s[16] == 'Z'))
		snprintf(full, sizeof full, "%.16s:%sZ", s, end_of_day ? "59.9999999" : "00");
	else if (len < sizeof full)
		snprintf(full, sizeof full, "%s", s);
	else
		full[0] = '\0';
	int64_t t = eh_time_parse(full);
	if (t < 0) {
		*cause = xasprintf("'%s' is neither an ISO-8601 UTC time (2024-03-01, 2024-03-01T10:00:00Z) "
				   "nor a relative one (90s, 30m, 24h, 7d, 2w)",
				   s);
		return -1;
	}
	*out = t;
	return 0;
}

void eh_filter_add_computer(struct eh_filter *f, const char *name)
{
	f->computers = xreallocarray(f->computers, f->ncomputers + 2, sizeof *f->computers);
	f->computers[f->ncomputers++] = xstrdup(name);
	f->computers[f->ncomputers] = NULL;
}

bool eh_filter_record_may_pass(const struct eh_filter *f, uint64_t written_time)
{
	if (!eh_filter_has_time(f) || written_time > (uint64_t)INT64_MAX)
		return true;
	int64_t t = (int64_t)written_time;
	return (f->from == INT64_MIN || t >= f->from - EH_FILTER_MARGIN_TICKS) &&
	       (f->to == INT64_MAX || t <= f->to + EH_FILTER_MARGIN_TICKS);
}

bool eh_filter_event_passes(const struct eh_filter *f, const struct eh_event *ev)
{
	if (ev->time < f->from || ev->time > f->to)
		return false;
	if (f->ncomputers == 0)
		return true;
	for (size_t i = 0; i < f->ncomputers; i++)
		if (ev->computer && strcasecmp(ev->computer, f->computers[i]) == 0)
			return true;
	return false;
}
