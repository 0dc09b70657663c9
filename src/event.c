/* Normalized events and their times. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/event.h"

const char *const eh_system_names[EH_SYS_COUNT] = {
	"Provider_Name", "Channel", "Computer", "Security_UserID", "EventID",
	"Level", "Task", "Opcode", "Keywords", "Version",
};

void eh_event_init(struct eh_event *ev)
{
	memset(ev, 0, sizeof *ev);
	buf_init(&ev->arena);
}

void eh_event_release(struct eh_event *ev)
{
	buf_free(&ev->arena);
	free(ev->fields);
	free(ev->offsets);
	memset(ev, 0, sizeof *ev);
}

void eh_event_reset(struct eh_event *ev)
{
	ev->record_id = 0;
	ev->event_id = 0;
	ev->time = 0;
	ev->recovered = false;
	ev->provider = ev->channel = ev->computer = ev->user_sid = NULL;
	ev->nfields = 0;
	ev->nsystem = 0;
	memset(ev->sys_offsets, 0, sizeof ev->sys_offsets);
	buf_reset(&ev->arena);
	buf_addc(&ev->arena, '\0'); /* offset 0 is the empty string */
}

static size_t store(struct eh_event *ev, const char *s, size_t len)
{
	size_t off = ev->arena.len;
	buf_add(&ev->arena, s, len);
	buf_addc(&ev->arena, '\0');
	return off;
}

void eh_event_add_field(struct eh_event *ev, const char *name, size_t nlen, const char *value, size_t vlen)
{
	if (ev->nfields == ev->capfields) {
		ev->capfields = ev->capfields ? ev->capfields * 2 : 32;
		ev->fields = xreallocarray(ev->fields, ev->capfields, sizeof *ev->fields);
		ev->offsets = xreallocarray(ev->offsets, ev->capfields * 2, sizeof *ev->offsets);
	}
	ev->offsets[2 * ev->nfields] = store(ev, name, nlen);
	ev->offsets[2 * ev->nfields + 1] = store(ev, value, vlen);
	ev->fields[ev->nfields].len = vlen;
	ev->nfields++;
}

void eh_event_set_system(struct eh_event *ev, enum eh_system_slot slot, const char *value, size_t vlen)
{
	ev->sys_offsets[slot] = store(ev, value, vlen);
}

void eh_event_copy_system(struct eh_event *out, const struct eh_event *in)
{
	for (size_t i = 0; i < in->nsystem; i++)
		for (int slot = 0; slot < EH_SYS_COUNT; slot++)
			if (in->system[i].name == eh_system_names[slot])
				eh_event_set_system(out, (enum eh_system_slot)slot, in->system[i].value, in->system[i].len);
}

void eh_event_finish(struct eh_event *ev)
{
	/* an event made by hand, or normalized, has only the number */
	if (ev->sys_offsets[EH_SYS_EVENT_ID] == 0 && ev->event_id != 0) {
		char id[16];
		int n = snprintf(id, sizeof id, "%u", (unsigned)ev->event_id);
		eh_event_set_system(ev, EH_SYS_EVENT_ID, id, (size_t)n);
	}
	/* offset 0 is the arena's leading empty string: unset slots read "" */
	ev->provider = ev->arena.data + ev->sys_offsets[EH_SYS_PROVIDER];
	ev->channel = ev->arena.data + ev->sys_offsets[EH_SYS_CHANNEL];
	ev->computer = ev->arena.data + ev->sys_offsets[EH_SYS_COMPUTER];
	ev->user_sid = ev->arena.data + ev->sys_offsets[EH_SYS_USER_SID];
	for (size_t i = 0; i < ev->nfields; i++) {
		ev->fields[i].name = ev->arena.data + ev->offsets[2 * i];
		ev->fields[i].value = ev->arena.data + ev->offsets[2 * i + 1];
	}
	ev->nsystem = 0;
	for (int slot = 0; slot < EH_SYS_COUNT; slot++)
		if (ev->sys_offsets[slot]) {
			struct eh_field *f = &ev->system[ev->nsystem++];
			f->name = eh_system_names[slot]; /* the table's pointer: a slot is known by it */
			f->value = ev->arena.data + ev->sys_offsets[slot];
			f->len = strlen(f->value);
		}
}

const char *eh_event_get(const struct eh_event *ev, const char *name, size_t *len)
{
	for (size_t i = 0; i < ev->nfields; i++)
		if (strcmp(ev->fields[i].name, name) == 0) {
			if (len)
				*len = ev->fields[i].len;
			return ev->fields[i].value;
		}
	return NULL;
}

const char *eh_event_get_system(const struct eh_event *ev, const char *name, size_t *len)
{
	for (size_t i = 0; i < ev->nsystem; i++)
		if (strcmp(ev->system[i].name, name) == 0) {
			if (len)
				*len = ev->system[i].len;
			return ev->system[i].value;
		}
	return NULL;
}

struct eh_event *eh_event_clone(const struct eh_event *src)
{
	struct eh_event *ev = xcalloc(1, sizeof *ev);
	/* One arena for all strings, sized up front: the clone lives in the
	 * timeline. */
	size_t total = 1;
	for (size_t i = 0; i < src->nsystem; i++)
		total += src->system[i].len + 1;
	for (size_t i = 0; i < src->nfields; i++)
		total += strlen(src->fields[i].name) + 1 + src->fields[i].len + 1;
	eh_event_init(ev);
	buf_reserve(&ev->arena, total);
	eh_event_reset(ev);
	ev->record_id = src->record_id;
	ev->event_id = src->event_id;
	ev->time = src->time;
	ev->recovered = src->recovered;
	eh_event_copy_system(ev, src);
	if (src->nfields) {
		ev->capfields = src->nfields;
		ev->fields = xcalloc(src->nfields, sizeof *ev->fields);
		ev->offsets = xcalloc(2 * src->nfields, sizeof *ev->offsets);
	}
	for (size_t i = 0; i < src->nfields; i++)
		eh_event_add_field(ev, src->fields[i].name, strlen(src->fields[i].name), src->fields[i].value,
				   src->fields[i].len);
	eh_event_finish(ev);
	return ev;
}

void eh_event_free(struct eh_event *ev)
{
	if (ev == NULL)
		return;
	eh_event_release(ev);
	free(ev);
}

/* Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

#define TICKS_PER_SECOND 10000000LL
#define EPOCH_1601_TO_1970_DAYS 134774LL

static int event_digits(const char **s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		*out = *out * 10 + (**s - '0');
	}
	return 0;
}

int64_t eh_time_parse(const char *s)
{
	int y, mo, d, h, mi, sec;
	if (event_digits(&s, 4, &y) || *s++ != '-' || event_digits(&s, 2, &mo) || *s++ != '-' || event_digits(&s, 2, &d) ||
	    (*s != 'T' && *s != ' '))
		return -1;
	s++;
	if (event_digits(&s, 2, &h) || *s++ != ':' || event_digits(&s, 2, &mi) || *s++ != ':' || event_digits(&s, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	int64_t frac = 0;
	if (*s == '.') {
		s++;
		int n = 0;
		while (*s >= '0' && *s <= '9') {
			if (n < 7) /* 100 ns is the finest FILETIME holds */
				frac = frac * 10 + (*s - '0');
			n++;
			s++;
		}
		for (; n < 7; n++)
			frac *= 10;
	}
	if (*s != 'Z' && *s != '\0')
		return -1;
	int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d) + EPOCH_1601_TO_1970_DAYS;
	return ((days * 24 + h) * 60 + mi) * 60 * TICKS_PER_SECOND + sec * TICKS_PER_SECOND + frac;
}

void eh_time_format(int64_t ticks, char out[48])
{
	if (ticks < 0)
		ticks = 0;
	int64_t secs = ticks / TICKS_PER_SECOND;
	int64_t frac = ticks % TICKS_PER_SECOND;
	int64_t days = secs / 86400 - EPOCH_1601_TO_1970_DAYS;
	int64_t rem = secs % 86400;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(out, 48, "%04lld-%02u-%02uT%02d:%02d:%02d.%07lldZ", (long long)y, m, d, (int)(rem / 3600),
		 (int)(rem / 60 % 60), (int)(rem % 60), (long long)frac);
}
