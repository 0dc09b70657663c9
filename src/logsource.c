/* Log source mapping: one table of rows, and the sets of rows that rules
 * select and events belong to. */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evtxhunt/logsource.h"
#include "evtxhunt/util.h"

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

/* PowerShell's script block (4104) and module (4103) events: their
 * manifests type these as strings (MessageNumber and MessageTotal of 4104
 * are integers). Script blocks are long: without literals every ps_script
 * rule searched every block. */
static const char *const ps_script_text[] = { "ScriptBlockText", "Path", NULL };
static const char *const ps_module_text[] = { "ContextInfo", "UserData", "Payload", NULL };

#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define PS_OPERATIONAL "Microsoft-Windows-PowerShell/Operational"
#define PS_CORE "PowerShellCore/Operational"
#define PS_CLASSIC "Windows PowerShell"
#define ANY EH_LOGSOURCE_ANY_ID

static const char *const create_key[] = { "CreateKey", NULL };
static const char *const delete_key_or_value[] = { "DeleteKey", "DeleteValue", NULL };

/* A category's row: an event id of one channel. */
#define CAT(category, channel, id) { category, NULL, channel, NULL, id, NULL, NULL, NULL, NULL, NULL }
#define SYS(category, id) CAT(category, SYSMON, id)
/* ... with the fields that are text in the record (the prefilter's) */
#define CAT_TEXT(category, channel, id, text) { category, NULL, channel, NULL, id, NULL, NULL, NULL, text, NULL }
/* Sysmon 12 is three things; EventType tells which. */
#define SYS_IF(category, id, field, values) { category, NULL, SYSMON, NULL, id, field, values, NULL, NULL, NULL }
/* A service's row: every event of a channel. */
#define SVC(service, channel) { NULL, service, channel, NULL, ANY, NULL, NULL, NULL, NULL, NULL }

/* Categories and Sysmon event ids as SigmaHQ's tests/thor.yml has them;
 * services and their channels from thor.yml's "sources" and the Sigma
 * taxonomy (dns-server, dns-server-analytic, driver-framework,
 * microsoft-servicebus-client). */
const struct eh_logsource_row eh_logsource_table[] = {
	{ "process_creation", NULL, SYSMON, NULL, 1, NULL, NULL, NULL, sysmon_1_text, NULL },
	{ "process_creation", NULL, "Security", "Microsoft-Windows-Security-Auditing", 4688, NULL, NULL, security_4688,
	  security_4688_text, security_4688_known },
	SYS("file_change", 2),
	SYS("network_connection", 3),
	SYS("sysmon_status", 4),
	SYS("sysmon_status", 16),
	SYS("process_termination", 5),
	SYS("driver_load", 6),
	SYS("image_load", 7),
	SYS("create_remote_thread", 8),
	SYS("raw_access_thread", 9),
	SYS("process_access", 10),
	SYS("file_event", 11),
	SYS("registry_event", 12),
	SYS("registry_event", 13),
	SYS("registry_event", 14),
	SYS_IF("registry_add", 12, "EventType", create_key),
	SYS_IF("registry_delete", 12, "EventType", delete_key_or_value),
	SYS("registry_set", 13),
	SYS("registry_rename", 14),
	SYS("create_stream_hash", 15),
	SYS("pipe_created", 17),
	SYS("pipe_created", 18),
	SYS("wmi_event", 19),
	SYS("wmi_event", 20),
	SYS("wmi_event", 21),
	SYS("dns_query", 22),
	SYS("file_delete", 23),
	SYS("clipboard_change", 24),
	SYS("process_tampering", 25),
	SYS("file_delete_detected", 26),
	SYS("file_block_executable", 27),
	SYS("file_block_shredding", 28),
	SYS("file_executable_detected", 29),
	SYS("sysmon_error", 255),
	CAT_TEXT("ps_module", PS_OPERATIONAL, 4103, ps_module_text),
	CAT_TEXT("ps_module", PS_CORE, 4103, ps_module_text),
	CAT_TEXT("ps_script", PS_OPERATIONAL, 4104, ps_script_text),
	CAT_TEXT("ps_script", PS_CORE, 4104, ps_script_text),
	CAT("ps_classic_start", PS_CLASSIC, 400),
	CAT("ps_classic_provider_start", PS_CLASSIC, 600),
	CAT("ps_classic_script", PS_CLASSIC, 800),
	SVC("application", "Application"),
	SVC("security", "Security"),
	SVC("system", "System"),
	SVC("sysmon", SYSMON),
	SVC("powershell", PS_OPERATIONAL),
	SVC("powershell", PS_CORE),
	SVC("powershell-classic", PS_CLASSIC),
	SVC("ntlm", "Microsoft-Windows-NTLM/Operational"),
	SVC("taskscheduler", "Microsoft-Windows-TaskScheduler/Operational"),
	SVC("wmi", "Microsoft-Windows-WMI-Activity/Operational"),
	SVC("dhcp", "Microsoft-Windows-DHCP-Server/Operational"),
	SVC("dns-server", "DNS Server"),
	SVC("dns-server-analytic", "Microsoft-Windows-DNS-Server/Analytical"),
	SVC("dns-client", "Microsoft-Windows-DNS Client Events/Operational"),
	SVC("driver-framework", "Microsoft-Windows-DriverFrameworks-UserMode/Operational"),
	SVC("printservice-admin", "Microsoft-Windows-PrintService/Admin"),
	SVC("printservice-operational", "Microsoft-Windows-PrintService/Operational"),
	SVC("smbclient-security", "Microsoft-Windows-SmbClient/Security"),
	SVC("smbclient-connectivity", "Microsoft-Windows-SmbClient/Connectivity"),
	SVC("smbserver-connectivity", "Microsoft-Windows-SMBServer/Connectivity"),
	SVC("terminalservices-localsessionmanager", "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"),
	SVC("codeintegrity-operational", "Microsoft-Windows-CodeIntegrity/Operational"),
	SVC("applocker", "Microsoft-Windows-AppLocker/MSI and Script"),
	SVC("applocker", "Microsoft-Windows-AppLocker/EXE and DLL"),
	SVC("applocker", "Microsoft-Windows-AppLocker/Packaged app-Deployment"),
	SVC("applocker", "Microsoft-Windows-AppLocker/Packaged app-Execution"),
	SVC("msexchange-management", "MSExchange Management"),
	SVC("windefend", "Microsoft-Windows-Windows Defender/Operational"),
	SVC("firewall-as", "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"),
	SVC("bits-client", "Microsoft-Windows-Bits-Client/Operational"),
	SVC("security-mitigations", "Microsoft-Windows-Security-Mitigations/Kernel Mode"),
	SVC("security-mitigations", "Microsoft-Windows-Security-Mitigations/User Mode"),
	SVC("diagnosis-scripted", "Microsoft-Windows-Diagnosis-Scripted/Operational"),
	SVC("shell-core", "Microsoft-Windows-Shell-Core/Operational"),
	SVC("openssh", "OpenSSH/Operational"),
	SVC("ldap", "Microsoft-Windows-LDAP-Client/Debug"),
	SVC("bitlocker", "Microsoft-Windows-BitLocker/BitLocker Management"),
	SVC("vhdmp", "Microsoft-Windows-VHDMP/Operational"),
	SVC("appxdeployment-server", "Microsoft-Windows-AppXDeploymentServer/Operational"),
	SVC("appxpackaging-om", "Microsoft-Windows-AppxPackaging/Operational"),
	SVC("appmodel-runtime", "Microsoft-Windows-AppModel-Runtime/Admin"),
	SVC("lsa-server", "Microsoft-Windows-LSA/Operational"),
	SVC("capi2", "Microsoft-Windows-CAPI2/Operational"),
	SVC("certificateservicesclient-lifecycle-system",
	    "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"),
	SVC("kernel-shimengine", "Microsoft-Windows-Kernel-ShimEngine/Operational"),
	SVC("kernel-shimengine", "Microsoft-Windows-Kernel-ShimEngine/Diagnostic"),
	SVC("application-experience", "Microsoft-Windows-Application-Experience/Program-Telemetry"),
	SVC("application-experience", "Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant"),
	SVC("ntfs", "Microsoft-Windows-Ntfs/Operational"),
	SVC("hyper-v-worker", "Microsoft-Windows-Hyper-V-Worker"),
	SVC("kernel-event-tracing", "Microsoft-Windows-Kernel-EventTracing"),
	SVC("sense", "Microsoft-Windows-SENSE/Operational"),
	SVC("servicebus-client", "Microsoft-ServiceBus-Client/Admin"),
	SVC("servicebus-client", "Microsoft-ServiceBus-Client/Operational"),
	SVC("microsoft-servicebus-client", "Microsoft-ServiceBus-Client/Admin"),
	SVC("microsoft-servicebus-client", "Microsoft-ServiceBus-Client/Operational"),
	SVC("iis-configuration", "Microsoft-IIS-Configuration/Operational"),
	/* product windows alone: every event */
	{ NULL, NULL, NULL, NULL, ANY, NULL, NULL, NULL, NULL, NULL },
};
const size_t eh_logsource_rows = sizeof eh_logsource_table / sizeof eh_logsource_table[0];

/* Categories Sigma defines from ETW that no event log records. */
static const char *const etw_only[] = { "file_access", "file_rename", NULL };

static bool agrees(const char *rule, const char *row)
{
	return rule == NULL || (row != NULL && strcasecmp(rule, row) == 0);
}

size_t eh_logsource_words(void)
{
	return (eh_logsource_rows + 63) / 64;
}

bool eh_rowset_has(const uint64_t *set, size_t row)
{
	return set && row < eh_logsource_rows && (set[row / 64] >> (row % 64) & 1);
}

bool eh_rowset_empty(const uint64_t *set)
{
	for (size_t i = 0; set && i < eh_logsource_words(); i++)
		if (set[i])
			return false;
	return true;
}

bool eh_rowset_meets(const uint64_t *a, const uint64_t *b)
{
	for (size_t i = 0; a && b && i < eh_logsource_words(); i++)
		if (a[i] & b[i])
			return true;
	return false;
}

static bool is_windows(const char *product)
{
	return product == NULL || strcasecmp(product, "windows") == 0;
}

/* Whether SERVICE (NULL: any) has a row of CHANNEL: a rule with both a
 * category and a service wants the category's events of that channel. */
static bool service_has_channel(const char *service, const char *channel)
{
	if (service == NULL)
		return true;
	for (size_t i = 0; i < eh_logsource_rows; i++) {
		const struct eh_logsource_row *r = &eh_logsource_table[i];
		if (r->category == NULL && r->service && strcasecmp(service, r->service) == 0 && r->channel &&
		    channel && strcasecmp(r->channel, channel) == 0)
			return true;
	}
	return false;
}

static void select_rows(const char *category, const char *product, const char *service, uint64_t *set)
{
	if (!is_windows(product) || (product == NULL && category == NULL && service == NULL))
		return;
	for (size_t i = 0; i < eh_logsource_rows; i++) {
		const struct eh_logsource_row *r = &eh_logsource_table[i];
		bool hit;
		if (category)
			hit = r->category && agrees(category, r->category) && service_has_channel(service, r->channel);
		else if (service)
			hit = r->category == NULL && r->service && agrees(service, r->service);
		else
			hit = r->category == NULL && r->service == NULL;
		if (hit)
			set[i / 64] |= UINT64_C(1) << (i % 64);
	}
}

/* Row sets rules select, each kept once for the process: rules share
 * them, so struct eh_rule owns nothing more. Interned by content, not by
 * the logsource's text, so there are never more than the table allows
 * however many distinct logsources are loaded (fuzzed rules included). */
struct selection {
	uint64_t *set;
	struct selection *next;
};
static struct selection *selections;
static pthread_mutex_t selections_lock = PTHREAD_MUTEX_INITIALIZER;

const uint64_t *eh_logsource_select(const char *category, const char *product, const char *service)
{
	size_t words = eh_logsource_words();
	uint64_t *set = xcalloc(words, sizeof *set);
	select_rows(category, product, service, set);
	pthread_mutex_lock(&selections_lock);
	struct selection *s = selections;
	while (s && memcmp(s->set, set, words * sizeof *set) != 0)
		s = s->next;
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->set = set;
		set = NULL;
		s->next = selections;
		selections = s;
	}
	pthread_mutex_unlock(&selections_lock);
	free(set);
	return s->set;
}

const char *eh_logsource_unmapped_reason(const char *category, const char *product, const char *service,
					 char *buf, size_t size)
{
	if (!eh_rowset_empty(eh_logsource_select(category, product, service)))
		return NULL;
	bool etw = false;
	for (const char *const *c = etw_only; category && *c && !etw; c++)
		etw = strcasecmp(*c, category) == 0;
	if (!is_windows(product))
		snprintf(buf, size, "logsource product %s is not Windows; evtxhunt reads Windows event logs only",
			 product);
	else if (category == NULL && service == NULL)
		snprintf(buf, size, "logsource names no product, category or service; the rule cannot fire");
	else if (etw)
		snprintf(buf, size, "logsource category %s is not recorded in EVTX (ETW only); the rule cannot fire",
			 category);
	else if (category && service && !eh_rowset_empty(eh_logsource_select(category, product, NULL)))
		snprintf(buf, size,
			 "logsource category %s has no event in the channels of service %s; the rule cannot fire",
			 category, service);
	else if (category)
		snprintf(buf, size, "logsource category %s is not known to evtxhunt; the rule cannot fire", category);
	else
		snprintf(buf, size, "logsource service %s has no known channel; the rule cannot fire", service);
	return buf;
}

static bool row_holds(const struct eh_logsource_row *r, const struct eh_event *ev)
{
	if (r->event_id != ANY && r->event_id != ev->event_id)
		return false;
	if (r->channel && strcasecmp(r->channel, ev->channel) != 0)
		return false;
	if (r->provider && strcasecmp(r->provider, ev->provider) != 0)
		return false;
	if (r->cond_field) {
		const char *v = eh_event_get(ev, r->cond_field, NULL);
		const char *const *c = r->cond_values;
		while (v && *c && strcasecmp(*c, v) != 0)
			c++;
		if (v == NULL || *c == NULL)
			return false;
	}
	return true;
}

bool eh_logsource_rows_of(const struct eh_event *ev, uint64_t *rows)
{
	bool any = false;
	memset(rows, 0, eh_logsource_words() * sizeof *rows);
	for (size_t i = 0; i < eh_logsource_rows; i++)
		if (row_holds(&eh_logsource_table[i], ev)) {
			rows[i / 64] |= UINT64_C(1) << (i % 64);
			any = true;
		}
	return any;
}

bool eh_logsource_may_want(const uint64_t *wanted, uint32_t event_id)
{
	for (size_t i = 0; i < eh_logsource_rows; i++)
		if (eh_rowset_has(wanted, i) &&
		    (eh_logsource_table[i].event_id == ANY || eh_logsource_table[i].event_id == event_id))
			return true;
	return false;
}

/* "| <log source> | <channel> | " of a row of the listing. */
static void list_key(const struct eh_logsource_row *r, struct buf *b)
{
	buf_reset(b);
	if (r->category)
		buf_addf(b, "| category %s | ", r->category);
	else if (r->service)
		buf_addf(b, "| service %s | ", r->service);
	else
		buf_adds(b, "| product windows alone | ");
	buf_adds(b, r->channel ? r->channel : "any");
	buf_adds(b, " | ");
}

static void list_condition(const struct eh_logsource_row *r, struct buf *b)
{
	const char *sep = "";
	buf_reset(b);
	buf_adds(b, ""); /* data is a string even when nothing follows */
	if (r->provider) {
		buf_addf(b, "provider %s", r->provider);
		sep = "; ";
	}
	if (r->cond_field) {
		buf_addf(b, "%s%s is ", sep, r->cond_field);
		for (const char *const *v = r->cond_values; *v; v++)
			buf_addf(b, "%s%s", v == r->cond_values ? "" : " or ", *v);
		sep = "; ";
	}
	if (r->fields)
		buf_addf(b, "%sfields renamed to Sysmon's", sep);
}

void eh_logsource_list(FILE *out)
{
	struct buf key, next, cond, next_cond;
	buf_init(&key);
	buf_init(&next);
	buf_init(&cond);
	buf_init(&next_cond);
	fputs("| Log source | Channel | Event ids | Condition |\n|---|---|---|---|\n", out);
	/* consecutive rows that differ only in the event id share a line */
	for (size_t i = 0; i < eh_logsource_rows;) {
		list_key(&eh_logsource_table[i], &key);
		list_condition(&eh_logsource_table[i], &cond);
		fputs(key.data, out);
		size_t j = i;
		for (; j < eh_logsource_rows; j++) {
			list_key(&eh_logsource_table[j], &next);
			list_condition(&eh_logsource_table[j], &next_cond);
			if (strcmp(next.data, key.data) != 0 || strcmp(next_cond.data, cond.data) != 0)
				break;
			if (eh_logsource_table[j].event_id == ANY)
				fputs("any", out);
			else
				fprintf(out, "%s%" PRIu32, j == i ? "" : ", ", eh_logsource_table[j].event_id);
		}
		fprintf(out, " |%s%s |\n", cond.len ? " " : "", cond.data);
		i = j;
	}
	buf_free(&key);
	buf_free(&next);
	buf_free(&cond);
	buf_free(&next_cond);
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
	for (size_t i = 0; i < EH_SYS_COUNT; i++) /* every event has its System fields */
		if (strcmp(eh_system_names[i], field) == 0)
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
	eh_event_copy_system(out, in);
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
