/* Log source mapping tables. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evtxhunt/logsource.h"

/* Security 4688 onto Sysmon Event ID 1's names. ParentProcessId comes from
 * 4688's ProcessId (the creator), so a mapped name must win over an
 * original one with the same name. */
static const struct eh_field_map security_4688[] = {
	{ "Image", "NewProcessName", FT_COPY },
	{ "ParentImage", "ParentProcessName", FT_COPY },
	{ "CommandLine", "CommandLine", FT_COPY },
	{ "User", "Target|Subject", FT_ACCOUNT },
	{ "ProcessId", "NewProcessId", FT_HEX_TO_DECIMAL },
	{ "ParentProcessId", "ProcessId", FT_HEX_TO_DECIMAL },
	{ "IntegrityLevel", "MandatoryLabel", FT_INTEGRITY },
	{ "LogonId", "SubjectLogonId", FT_COPY },
	{ NULL, NULL, FT_COPY },
};

/* Sysmon Event ID 1 fields its manifest types as strings; ProcessId,
 * LogonId, the GUIDs and TerminalSessionId are binary in the record. */
static const char *const sysmon_1_text[] = {
	"RuleName", "UtcTime", "Image", "FileVersion", "Description", "Product", "Company",
	"OriginalFileName", "CommandLine", "CurrentDirectory", "User", "IntegrityLevel", "Hashes",
	"ParentImage", "ParentCommandLine", "ParentUser", NULL,
};

/* 4688 fields whose (mapped) value is a string of the record as it is:
 * copies of string fields, and the string fields under their own names. */
static const char *const security_4688_text[] = {
	"Image", "ParentImage", "CommandLine", "NewProcessName", "ParentProcessName", "SubjectUserName",
	"SubjectDomainName", "TargetUserName", "TargetDomainName", NULL,
};

/* The normalized 4688 event: the mapped names and 4688's own. */
static const char *const security_4688_known[] = {
	"Image", "ParentImage", "CommandLine", "User", "ProcessId", "ParentProcessId", "IntegrityLevel",
	"LogonId", "SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId", "NewProcessId",
	"NewProcessName", "TokenElevationType", "TargetUserSid", "TargetUserName", "TargetDomainName",
	"TargetLogonId", "ParentProcessName", "MandatoryLabel", NULL,
};

const struct eh_logsource_row eh_logsource_table[] = {
	{ "process_creation", "windows", NULL, "Microsoft-Windows-Sysmon", 1, NULL, sysmon_1_text, NULL },
	{ "process_creation", "windows", NULL, "Microsoft-Windows-Security-Auditing", 4688, security_4688,
	  security_4688_text, security_4688_known },
};
const size_t eh_logsource_rows = sizeof eh_logsource_table / sizeof eh_logsource_table[0];

static bool agrees(const char *rule, const char *row)
{
	return rule == NULL || (row != NULL && strcasecmp(rule, row) == 0);
}

uint64_t eh_logsource_select(const char *category, const char *product, const char *service)
{
	uint64_t mask = 0;
	if (category == NULL && service == NULL)
		return 0; /* a product alone would mean every event of it */
	for (size_t i = 0; i < eh_logsource_rows; i++) {
		const struct eh_logsource_row *r = &eh_logsource_table[i];
		if (agrees(category, r->category) && agrees(product, r->product) && agrees(service, r->service))
			mask |= UINT64_C(1) << i;
	}
	return mask;
}

int eh_logsource_row_of(const char *provider, uint32_t event_id)
{
	for (size_t i = 0; i < eh_logsource_rows; i++)
		if (eh_logsource_table[i].event_id == event_id && strcasecmp(eh_logsource_table[i].provider, provider) == 0)
			return (int)i;
	return -1;
}

int eh_logsource_is_text_field(int row, const char *field)
{
	const char *const *f = eh_logsource_table[row].text_fields;
	for (; f && *f; f++)
		if (strcmp(*f, field) == 0)
			return 1;
	return 0;
}

int eh_logsource_may_have_field(int row, const char *field)
{
	const char *const *f = eh_logsource_table[row].known_fields;
	if (f == NULL)
		return 1;
	for (; *f; f++)
		if (strcmp(*f, field) == 0)
			return 1;
	return 0;
}

static const char *integrity(const char *sid)
{
	static const struct {
		const char *sid, *level;
	} levels[] = {
		{ "S-1-16-0", "Untrusted" },  { "S-1-16-4096", "Low" },     { "S-1-16-8192", "Medium" },
		{ "S-1-16-8448", "Medium" },  { "S-1-16-12288", "High" },   { "S-1-16-16384", "System" },
		{ "S-1-16-20480", "Protected" },
	};
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (strcasecmp(sid, levels[i].sid) == 0)
			return levels[i].level;
	return sid; /* unknown labels are kept as they are */
}

static bool logsource_set(const char *s)
{
	return s && *s && strcmp(s, "-") != 0; /* Windows writes "-" for none */
}

/* Adds TARGET to OUT from IN per MAP; nothing when the source is absent. */
static void map_field(const struct eh_field_map *map, const struct eh_event *in, struct eh_event *out)
{
	size_t len;
	const char *v;
	char text[64];
	switch (map->transform) {
	case FT_COPY:
		if ((v = eh_event_get(in, map->source, &len)))
			eh_event_add_field(out, map->target, strlen(map->target), v, len);
		return;
	case FT_HEX_TO_DECIMAL: {
		if ((v = eh_event_get(in, map->source, &len)) == NULL)
			return;
		char *end;
		unsigned long long n = strtoull(v, &end, 16); /* accepts the 0x prefix */
		if (len && *end == '\0') {
			snprintf(text, sizeof text, "%llu", n);
			v = text;
			len = strlen(text);
		}
		eh_event_add_field(out, map->target, strlen(map->target), v, len);
		return;
	}
	case FT_INTEGRITY:
		if ((v = eh_event_get(in, map->source, NULL)))
			v = integrity(v), eh_event_add_field(out, map->target, strlen(map->target), v, strlen(v));
		return;
	case FT_ACCOUNT:
		for (const char *p = map->source; *p;) {
			size_t n = strcspn(p, "|");
			char user[64], domain[64];
			snprintf(user, sizeof user, "%.*sUserName", (int)n, p);
			snprintf(domain, sizeof domain, "%.*sDomainName", (int)n, p);
			const char *u = eh_event_get(in, user, NULL), *d = eh_event_get(in, domain, NULL);
			if (logsource_set(u)) {
				struct buf b;
				buf_init(&b);
				if (logsource_set(d))
					buf_addf(&b, "%s\\", d);
				buf_adds(&b, u);
				eh_event_add_field(out, map->target, strlen(map->target), b.data, b.len);
				buf_free(&b);
				return;
			}
			p += n + (p[n] == '|');
		}
		return;
	}
}

const struct eh_event *eh_logsource_normalize(int row, const struct eh_event *in, struct eh_event *out)
{
	if (row < 0 || eh_logsource_table[row].fields == NULL)
		return in;
	const struct eh_field_map *fields = eh_logsource_table[row].fields;
	eh_event_reset(out);
	out->record_id = in->record_id;
	out->event_id = in->event_id;
	out->time = in->time;
	out->recovered = in->recovered;
	eh_event_set_system(out, EH_SYS_PROVIDER, in->provider, strlen(in->provider));
	eh_event_set_system(out, EH_SYS_CHANNEL, in->channel, strlen(in->channel));
	eh_event_set_system(out, EH_SYS_COMPUTER, in->computer, strlen(in->computer));
	eh_event_set_system(out, EH_SYS_USER_SID, in->user_sid, strlen(in->user_sid));
	for (const struct eh_field_map *m = fields; m->target; m++)
		map_field(m, in, out);
	for (size_t i = 0; i < in->nfields; i++) {
		bool mapped = false;
		for (const struct eh_field_map *m = fields; m->target && !mapped; m++)
			mapped = strcmp(m->target, in->fields[i].name) == 0;
		if (!mapped)
			eh_event_add_field(out, in->fields[i].name, strlen(in->fields[i].name), in->fields[i].value,
					   in->fields[i].len);
	}
	eh_event_finish(out);
	return out;
}
