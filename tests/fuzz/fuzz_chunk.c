/* libFuzzer target: one 64 KiB chunk through everything evtxhunt does to a
 * chunk of a log: inspection, checksums, framing repair, the defuse step,
 * libevtx, the template-less binary XML renderer, the field mapper, the
 * log source mapping and the matcher (worker_scan, the code the scan runs),
 * once with the prefilter and once without; then the renderer on every
 * record place, since the scan only reaches it where libevtx gives up.
 *
 * Built by configure --enable-fuzzing (see README, Testing), with the
 * structure-aware mutator of mutate_chunk.c; replayed on every kept
 * crasher by make check (tests/fuzz/replay.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "evtxhunt/binxml.h"
#include "evtxhunt/builtin.h"
#include "evtxhunt/chunkscan.h"
#include "evtxhunt/fieldmap.h"
#include "evtxhunt/prefilter.h"

#ifdef EH_STRUCTURE_MUTATOR
#include "mutate_chunk.c" /* libFuzzer's custom mutator: the fuzzing build only */
#endif

/* Rules that reach the matcher's other paths: regex, fieldref, numbers,
 * windash, a 4688 mapping. */
static const char extra_rules[] =
	"title: fuzz regex\n"
	"id: 00000000-0000-0000-0000-000000000001\n"
	"logsource: {category: process_creation, product: windows}\n"
	"detection:\n"
	"  a: {Image|endswith: ['\\cmd.exe', '\\powershell.exe'], CommandLine|re: '(?i)-e(nc)?\\s+[a-z0-9+/=]{8,}'}\n"
	"  b: {CommandLine|windash|contains: ' -urlcache '}\n"
	"  c: {ProcessId|gt: 4, ParentProcessId|fieldref: ProcessId}\n"
	"  d: {User|contains|all: ['AUTHORI', 'SYSTEM'], IntegrityLevel: System}\n"
	"  condition: a or b or c or (d and not a)\n"
	"level: high\n";

static struct eh_ruleset *rules;
static struct eh_prefilter *prefilter;
static struct chunkscan_shared with_prefilter, without_prefilter;
static struct worker *w_pre, *w_all;

static void fuzz_chunk_init(void)
{
	eh_fieldmap_global_init();
	rules = eh_ruleset_new();
	for (unsigned i = 0; i < eh_builtin_rule_count; i++)
		eh_ruleset_load_text(rules, eh_builtin_rules[i].name, eh_builtin_rules[i].yaml,
				     strlen(eh_builtin_rules[i].yaml));
	eh_ruleset_load_text(rules, "fuzz.yml", extra_rules, sizeof extra_rules - 1);
	if (eh_ruleset_error_count(rules) != 0)
		abort(); /* the harness's own rules must compile */
	prefilter = eh_prefilter_build(rules);
	with_prefilter = (struct chunkscan_shared){ .rules = rules, .prefilter = prefilter, .diag = true };
	without_prefilter = (struct chunkscan_shared){ .rules = rules, .prefilter = NULL, .diag = true };
	w_pre = worker_new(&with_prefilter);
	w_all = worker_new(&without_prefilter);
}

static void fuzz_chunk_scan(struct worker *w, struct job *job, const uint8_t *data, size_t size)
{
	memset(job->chunk, 0, EH_CHUNK_SIZE);
	memcpy(job->chunk, data, size < EH_CHUNK_SIZE ? size : EH_CHUNK_SIZE);
	eh_chunk_inspect(job->chunk, EH_CHUNK_SIZE, &job->info);
	if (job->info.signature_restored)
		memcpy(job->chunk, "ElfChnk", 8);
	bool records = job->info.state == EH_CHUNK_OK ||
		       (job->info.state == EH_CHUNK_BAD_MAGIC && job->info.holds_records);
	if (!records)
		return;
	job->carve = job->info.state == EH_CHUNK_BAD_MAGIC;
	job->is_chunk = true;
	job->file = "fuzz.evtx";
	worker_scan(w, job);
	job_reset(job);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct job job;
	static struct eh_record_place places[EH_CHUNK_SIZE / 28];
	static struct eh_fieldmap *fm;
	static struct eh_event ev;
	if (rules == NULL) {
		fuzz_chunk_init();
		job.chunk = malloc(EH_CHUNK_SIZE);
		buf_init(&job.messages);
		fm = eh_fieldmap_new();
		eh_event_init(&ev);
	}
	fuzz_chunk_scan(w_pre, &job, data, size);
	fuzz_chunk_scan(w_all, &job, data, size);

	/* the renderer on every record the walk finds, repaired as the scan
	 * repairs them */
	memset(job.chunk, 0, EH_CHUNK_SIZE);
	memcpy(job.chunk, data, size < EH_CHUNK_SIZE ? size : EH_CHUNK_SIZE);
	struct eh_framing_repair rep[16];
	eh_chunk_repair_framing(job.chunk, rep, 16);
	size_t n = eh_chunk_records(job.chunk, places, sizeof places / sizeof places[0]);
	struct buf xml;
	buf_init(&xml);
	for (size_t i = 0; i < n; i++) {
		char *cause = NULL;
		if (eh_binxml_render(job.chunk, places[i].offset, places[i].size, &xml, &cause) == 0 &&
		    eh_fieldmap_parse(fm, xml.data, xml.len, &ev, &cause) == 0)
			continue;
		free(cause);
	}
	buf_free(&xml);
	return 0;
}
