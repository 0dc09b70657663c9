/* The key-field table of each log source, and the details text made from
 * it (see keyfields.h). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/correlation.h"
#include "evtxhunt/keyfields.h"
#include "evtxhunt/sigma_internal.h"

#define F(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define IDS(...) ((const uint32_t[]){ __VA_ARGS__, 0 })

/* KEY: a logsource category, or a service when SERVICE; a trailing '*'
 * matches any ending. IDS: the event ids the row is for (NULL: any).
 * The first row that fits a hit is its row. */
static const struct row {
	const char *key;
	bool service;
	const uint32_t *ids;
	const char *kind;
	const char *const *fields;
} rows[] = {
	{ "process_creation", false, NULL, "process_creation",
	  F("Image", "CommandLine", "ParentImage", "User", "CurrentDirectory") },
	{ "network_connection", false, NULL, "network_connection",
	  F("Image", "SourceIp", "SourcePort", "DestinationIp", "DestinationPort", "DestinationHostname") },
	{ "registry_*", false, NULL, "registry", F("Image", "EventType", "TargetObject", "Details") },
	{ "file_event", false, NULL, "file", F("Image", "TargetFilename") },
	{ "file_delete", false, NULL, "file", F("Image", "TargetFilename") },
	{ "file_change", false, NULL, "file", F("Image", "TargetFilename") },
	{ "file_rename", false, NULL, "file", F("Image", "TargetFilename") },
	{ "create_stream_hash", false, NULL, "file", F("Image", "TargetFilename") },
	{ "file_executable_detected", false, NULL, "file", F("Image", "TargetFilename") },
	{ "image_load", false, NULL, "image_load", F("Image", "ImageLoaded") },
	{ "driver_load", false, NULL, "driver_load", F("ImageLoaded", "Hashes") },
	{ "process_access", false, NULL, "process_access", F("SourceImage", "TargetImage", "GrantedAccess") },
	{ "create_remote_thread", false, NULL, "create_remote_thread", F("SourceImage", "TargetImage") },
	{ "dns_query", false, NULL, "dns_query", F("Image", "QueryName", "QueryResults") },
	{ "pipe_created", false, NULL, "pipe_created", F("Image", "PipeName") },
	{ "wmi_event", false, NULL, "wmi_event", F("EventType", "Operation", "Consumer", "Destination") },
	{ "ps_script", false, NULL, "ps_script", F("ScriptBlockText") },
	{ "ps_module", false, NULL, "ps_module", F("Payload", "ContextInfo") },
	{ "ps_classic_*", false, NULL, "ps_classic", F("HostApplication", "Data") },
	{ "security", true, IDS(4624, 4625, 4634, 4647, 4648, 4672), "security logon",
	  F("TargetUserName", "TargetDomainName", "LogonType", "IpAddress", "WorkstationName") },
	{ "security", true, IDS(4720, 4722, 4723, 4724, 4725, 4726, 4727, 4728, 4729, 4730, 4731, 4732, 4733, 4734,
				4735, 4737, 4738, 4740, 4741, 4742, 4743, 4754, 4755, 4756, 4757, 4758, 4767, 4781),
	  "security account", F("TargetUserName", "MemberName", "SubjectUserName") },
	{ "system", true, IDS(7045), "service install", F("ServiceName", "ImagePath", "AccountName") },
	/* Defender's names have spaces, as the provider writes them (1116, 1117) */
	{ "windefend", true, NULL, "windefend", F("Threat Name", "Path", "Action Name") },
};

static bool key_fits(const char *key, const char *value)
{
	if (value == NULL)
		return false;
	size_t n = strlen(key);
	if (n && key[n - 1] == '*')
		return strncmp(key, value, n - 1) == 0;
	return strcmp(key, value) == 0;
}

static const struct row *row_of(const struct eh_rule *rule, uint32_t event_id)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		if (!key_fits(r->key, r->service ? rule->service : rule->category))
			continue;
		if (r->ids == NULL)
			return r;
		for (const uint32_t *id = r->ids; *id; id++)
			if (*id == event_id)
				return r;
	}
	return NULL;
}

/* The index of NAME's first value in EV (as the matcher sees it), or -1. */
static long field_index(const struct eh_event *ev, const char *name)
{
	for (size_t i = 0; i < ev->nfields; i++)
		if (strcmp(ev->fields[i].name, name) == 0)
			return (long)i;
	return -1;
}

static void add_index(struct eh_keyfields *kf, long i)
{
	if (i < 0 || kf->n == EH_KEYFIELDS_MAX)
		return;
	for (size_t k = 0; k < kf->n; k++)
		if (kf->field[k] == (size_t)i)
			return;
	kf->field[kf->n++] = (size_t)i;
}

void eh_keyfields_of(const struct eh_rule *rule, const struct eh_event *ev, struct eh_keyfields *kf)
{
	memset(kf, 0, sizeof *kf);
	const struct row *r = row_of(rule, ev->event_id);
	if (r) {
		kf->kind = r->kind;
		kf->process = strcmp(r->kind, "process_creation") == 0;
		for (const char *const *f = r->fields; *f; f++)
			add_index(kf, field_index(ev, *f));
		return;
	}
	kf->kind = "other";
	kf->fallback = true;
	const char *tested[EH_KEYFIELDS_MAX];
	size_t nt = eh_rule_tested_fields(rule, tested, EH_KEYFIELDS_MAX);
	for (size_t i = 0; i < nt; i++)
		add_index(kf, field_index(ev, tested[i]));
	for (size_t i = 0; i < ev->nfields; i++)
		if (strcmp(ev->fields[i].name, EH_CORR_FIELD_ALL) != 0) /* a correlation's full list: JSON Lines only */
			add_index(kf, field_index(ev, ev->fields[i].name)); /* a repeated name: its first value */
}

void eh_keyfields_details(struct buf *out, const struct eh_event *ev, const struct eh_keyfields *kf, size_t cut)
{
	for (size_t k = 0; k < kf->n; k++) {
		const struct eh_field *f = &ev->fields[kf->field[k]];
		if (k)
			buf_adds(out, " \xc2\xa6 "); /* ¦ */
		buf_adds(out, f->name);
		buf_adds(out, ": ");
		size_t len = f->len, chars = 0, i = 0;
		if (cut) {
			for (; i < len; i++)
				if (((unsigned char)f->value[i] & 0xc0) != 0x80 && chars++ == cut)
					break;
			len = i;
		}
		buf_add(out, f->value, len);
		if (len < f->len)
			buf_adds(out, "\xe2\x80\xa6"); /* … */
	}
}

size_t eh_rule_tested_fields(const struct eh_rule *rule, const char **names, size_t max)
{
	size_t n = 0;
	const struct sigma_rule_body *b = rule->body;
	for (size_t i = 0; b && i < b->nsels; i++)
		for (size_t j = 0; j < b->sels[i].nmaps; j++) {
			const struct sigma_map *m = &b->sels[i].maps[j];
			for (size_t k = 0; k < m->ntests; k++) {
				const char *f = m->tests[k].field;
				bool seen = f == NULL; /* a keyword tests no one field */
				for (size_t s = 0; s < n && !seen; s++)
					seen = strcmp(names[s], f) == 0;
				if (!seen && n < max)
					names[n++] = f;
			}
		}
	return n;
}

void eh_rule_set_tested_fields(struct eh_rule *rule, char **fields, size_t n)
{
	struct sigma_rule_body *b = xcalloc(1, sizeof *b);
	b->sels = xcalloc(1, sizeof *b->sels);
	b->nsels = 1;
	b->sels[0].maps = xcalloc(1, sizeof *b->sels[0].maps);
	b->sels[0].nmaps = 1;
	struct sigma_map *m = &b->sels[0].maps[0];
	m->tests = xcalloc(n ? n : 1, sizeof *m->tests);
	m->ntests = n;
	for (size_t i = 0; i < n; i++)
		m->tests[i].field = fields[i];
	free(fields);
	rule->body = b;
}
