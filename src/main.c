/* evtxhunt: hunt Sigma rules in Windows event logs (.evtx), offline.
 * The command line only: options, rule loading, output file, exit status. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libevtx.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evtxhunt/builtin.h"
#include "evtxhunt/correlation.h"
#include "evtxhunt/filter.h"
#include "evtxhunt/html.h"
#include "evtxhunt/jsonl.h"
#include "evtxhunt/logsource.h"
#include "evtxhunt/merge.h"
#include "evtxhunt/metrics.h"
#include "evtxhunt/outfile.h"
#include "evtxhunt/output.h"
#include "evtxhunt/report.h"
#include "evtxhunt/rulepack.h"
#include "evtxhunt/ruleselect.h"
#include "evtxhunt/scan.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/state.h"
#include "evtxhunt/supervise.h"
#include "evtxhunt/timeline.h"
#include "evtxhunt/util.h"

/* Exit status, as virus scanners use it in sweeps. */
enum exit_status { EXIT_NO_HITS = 0, EXIT_HITS = 1, EXIT_ERROR = 2 };

/* Isolation: records quarantined in one run at most; a run that needs more
 * is given up as an error (a log made of such records, or a bug of ours). */
enum { MAX_RESTARTS = 16 };

enum long_only {
	OPT_CHECK_RULES = 256, OPT_FORCE, OPT_NO_PREFILTER, OPT_NO_DECODE, OPT_STATS_JSON, OPT_WIDE, OPT_MIN_LEVEL, OPT_STATUS,
	OPT_FROM, OPT_TO, OPT_COMPUTER, OPT_SHARD, OPT_MERGE, OPT_STATE, OPT_STATE_REPORT,
	OPT_LIST_LOGSOURCES, OPT_NO_ISOLATION, OPT_RECORD_TIMEOUT, OPT_MEMORY_LIMIT,
};
enum { OPT_PLACEHOLDERS = 512 }; /* apart, so the options above can grow */
enum { OPT_HTML = 600, OPT_METRICS }; /* the report (issue 15) */
enum { OPT_EXCLUDE_RULE = 700, OPT_EXCLUDE_RULES, OPT_TAG }; /* rule selection (issue 16) */
enum { OPT_RULES_PACK = 720, OPT_LIST_RULES_PACKS }; /* rule packs (issue 16) */

static const struct option long_options[] = {
	{ "rules", required_argument, NULL, 'r' },
	{ "placeholders", required_argument, NULL, OPT_PLACEHOLDERS },
	{ "check-rules", no_argument, NULL, OPT_CHECK_RULES },
	{ "list-logsources", no_argument, NULL, OPT_LIST_LOGSOURCES },
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "threads", required_argument, NULL, 'j' },
	{ "no-prefilter", no_argument, NULL, OPT_NO_PREFILTER },
	{ "no-decode", no_argument, NULL, OPT_NO_DECODE },
	{ "stats-json", required_argument, NULL, OPT_STATS_JSON },
	{ "wide", no_argument, NULL, OPT_WIDE },
	{ "min-level", required_argument, NULL, OPT_MIN_LEVEL },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "computer", required_argument, NULL, OPT_COMPUTER },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "state-report", required_argument, NULL, OPT_STATE_REPORT },
	{ "no-isolation", no_argument, NULL, OPT_NO_ISOLATION },
	{ "record-timeout", required_argument, NULL, OPT_RECORD_TIMEOUT },
	{ "memory-limit", required_argument, NULL, OPT_MEMORY_LIMIT },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "metrics", no_argument, NULL, OPT_METRICS },
	{ "exclude-rule", required_argument, NULL, OPT_EXCLUDE_RULE },
	{ "exclude-rules", required_argument, NULL, OPT_EXCLUDE_RULES },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "rules-pack", required_argument, NULL, OPT_RULES_PACK },
	{ "list-rules-packs", no_argument, NULL, OPT_LIST_RULES_PACKS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void main_usage(FILE *out)
{
	fputs("Usage: evtxhunt [OPTIONS] PATH...\n"
	      "Hunt Sigma rules in Windows event logs (.evtx) and print a timeline of the hits.\n"
	      "PATH is an .evtx file (read whatever its name) or a directory, walked for *.evtx.\n"
	      "\n"
	      "  -r, --rules PATH       Sigma rule file or directory (repeatable); default: the\n"
	      "                         built-in rule set; @NAME: the rule pack NAME\n"
	      "      --rules-pack NAME  the rule pack NAME (repeatable), as -r @NAME; looked for\n"
	      "                         in $EVTXHUNT_RULES_PACKS, packs/ beside the binary, then\n"
	      "                         " EH_PKGDATADIR "/rules\n"
	      "      --list-rules-packs  the packs found: name, rules, directory, provenance\n"
	      "      --placeholders FILE  values of the rules' %name% placeholders for the\n"
	      "                         'expand' modifier: a YAML map of name to list\n"
	      "      --check-rules      load the rules, list those that cannot be used, scan nothing\n"
	      "      --list-logsources  print the log sources rules can name, as a Markdown table\n"
	      "      --min-level LEVEL  only rules of at least LEVEL (informational, low, medium,\n"
	      "                         high, critical)\n"
	      "      --status LIST      only rules whose status is in LIST (e.g. stable,test)\n"
	      "      --exclude-rule ID  leave out the rule whose id or title is ID (repeatable)\n"
	      "      --exclude-rules FILE  the same for each line of FILE (# comments allowed)\n"
	      "      --tag TAG          only rules with one of the TAGs (repeatable; any case),\n"
	      "                         e.g. attack.t1218\n"
	      "      --from TIME        only events from TIME on: ISO-8601 UTC (2024-03-01,\n"
	      "                         2024-03-01T10:00:00Z) or relative (90s, 30m, 24h, 7d, 2w)\n"
	      "      --to TIME          only events up to TIME (a bare date: its whole day)\n"
	      "      --computer NAME    only events of computer NAME (repeatable; any case)\n"
	      "  -f, --format FORMAT    table (default), csv, jsonl or html (a self-contained report)\n"
	      "  -o, --output FILE      write the timeline to FILE, complete or not at all; an\n"
	      "                         existing FILE is kept unless --force\n"
	      "      --force            replace an existing output file\n"
	      "      --html FILE        also write the HTML report to FILE, beside any -f format\n"
	      "      --metrics          log metrics and integrity findings (cleared logs, record-id\n"
	      "                         gaps, time going backwards ...) in the summary and the\n"
	      "                         report; reads every record, on one thread\n"
	      "      --wide             table: do not cut long values at 80 columns\n"
	      "  -j, --threads N        worker threads (default: one per core); the output is the\n"
	      "                         same for any N\n"
	      "      --no-prefilter     parse every record, also those holding none of the rules'\n"
	      "                         literals (slower; reports damage everywhere)\n"
	      "      --no-decode        read every record with libevtx and libxml2, none straight\n"
	      "                         from its binary XML (slower; the same hits)\n"
	      "      --stats-json FILE  write the run's counters to FILE as one JSON object\n"
	      "      --state FILE       remember in FILE (SQLite) what was scanned and reported:\n"
	      "                         a rerun scans only new or changed chunks and reports only\n"
	      "                         new hits\n"
	      "      --state-report FILE  what the state FILE knows: runs, logs, hits per rule\n"
	      "      --shard K/N        read only the logs of shard K of N (1 <= K <= N), split by\n"
	      "                         path: N runs given the same PATHs share them out\n"
	      "      --merge FILE...    read JSON Lines of earlier runs (the shards' -f jsonl\n"
	      "                         outputs) and write them as one timeline, in any format;\n"
	      "                         with -r, the rules' correlations run over them\n"
	      "      --record-timeout SECONDS  a record libevtx works on longer is counted\n"
	      "                         unreadable and the hunt run again without it (default 5;\n"
	      "                         0: no limit)\n"
	      "      --memory-limit MB  the same for a record libevtx is on when the hunt's memory\n"
	      "                         passes MB (default 2048; 0: no limit)\n"
	      "      --no-isolation     hunt in this process: no restart after a record that\n"
	      "                         crashes libevtx (for debuggers)\n"
	      "  -q, --quiet            no summary on stderr\n"
	      "  -h, --help             this help\n"
	      "  -V, --version          version and library versions\n"
	      "\n"
	      "Exit status: 0 no hits, 1 hits found, 2 an error (usage, a rule that cannot be\n"
	      "loaded, an input that cannot be opened or read); with 2, the other inputs are\n"
	      "still scanned and their hits printed.\n"
	      "\n"
	      "Built-in rules are from SigmaHQ (https://github.com/SigmaHQ/sigma), under the\n"
	      "Detection Rule License 1.1 (https://github.com/SigmaHQ/Detection-Rule-License).\n",
	      out);
}

/* What the environment tunes, read here only (the library reads none). */
struct env {
	size_t spill_limit;        /* EVTXHUNT_SPILL_LIMIT: bytes of hits before spilling; 0: default */
	const char *tmpdir;        /* TMPDIR: where spill files go; NULL: /tmp */
	uint64_t checkpoint_every; /* EVTXHUNT_STATE_CHECKPOINT: chunks between commits (tests) */
};

static void read_env(struct env *env)
{
	const char *v = getenv("EVTXHUNT_SPILL_LIMIT");
	env->spill_limit = 0;
	if (v && *v) {
		env->spill_limit = (size_t)strtoull(v, NULL, 10);
		if (env->spill_limit == 0) /* 0 asks the timeline for its default; no hit is 1 byte */
			env->spill_limit = 1;
	}
	env->tmpdir = getenv("TMPDIR");
	v = getenv("EVTXHUNT_STATE_CHECKPOINT");
	env->checkpoint_every = v ? strtoull(v, NULL, 10) : 0;
}

static void timeline_init(struct eh_timeline *tl, const struct env *env)
{
	eh_timeline_init(tl, env->spill_limit);
	eh_timeline_set_spill_dir(tl, env->tmpdir);
}

/* The rules of -r (directories, files, packs) and the compiled-in pack
 * when named; the built-in rule set when none is given. */
/* Loads N rules (THREADS parse them: -j) from the compiled-in texts. */
static void load_builtin(struct eh_ruleset *rs, const struct eh_builtin_rule *rules, unsigned n)
{
	const char **names = xcalloc(n + 1, sizeof *names), **texts = xcalloc(n + 1, sizeof *texts);
	for (unsigned i = 0; i < n; i++) {
		names[i] = rules[i].name;
		texts[i] = rules[i].yaml;
	}
	eh_ruleset_load_texts(rs, names, texts, n);
	free(names);
	free(texts);
}

static struct eh_ruleset *load_rules(char **paths, size_t n, bool builtin_pack, int threads)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	eh_ruleset_set_threads(rs, threads);
	if (n == 0 && !builtin_pack)
		load_builtin(rs, eh_builtin_rules, eh_builtin_rule_count);
	if (builtin_pack)
		load_builtin(rs, eh_builtin_pack_rules, eh_builtin_pack_rule_count);
	for (size_t i = 0; i < n; i++)
		eh_ruleset_load_path(rs, paths[i]);
	return rs;
}

/* "file:line:column: reason" for each rule that cannot be used, then the
 * YAML files that are not rules at all. */
static void print_rule_errors(FILE *out, const struct eh_ruleset *rs)
{
	for (size_t i = 0; i < eh_ruleset_not_rules(rs); i++) {
		char *file = eh_report_path(eh_ruleset_not_rule_file(rs, i));
		fprintf(out, "%s: not a Sigma rule (no title and detection); skipped\n", file);
		free(file);
	}
	for (size_t i = 0; i < eh_ruleset_error_count(rs); i++) {
		const struct eh_rule_error *e = eh_ruleset_error(rs, i);
		struct buf b;
		buf_init(&b);
		eh_escape_terminal(&b, e->file, strlen(e->file));
		buf_addf(&b, ":%d:%d: ", e->line, e->column);
		eh_escape_terminal(&b, e->reason, strlen(e->reason));
		fprintf(out, "%s\n", b.data);
		buf_free(&b);
	}
}

/* What was set aside of a loaded rule set, and why (the summary and
 * --stats-json count it). */
struct aside {
	size_t excluded, untagged, filtered;
};

struct opts;
/* --exclude-rule(s) and --tag, then --min-level and --status; says on
 * STDERR what was set aside unless QUIET. */
static void select_rules(const struct opts *o, struct eh_ruleset *rules, struct aside *a);
/* Everything the command line says, parsed once; each mode reads what
 * it needs. */
struct opts {
	char **rule_paths;
	size_t nrule_paths;
	char **pack_dirs; /* the rule_paths found for packs, owned */
	size_t npack_dirs;
	bool builtin_pack; /* -r @NAME named the compiled-in pack */
	bool check_rules, merge, force, quiet;
	const char *state_report; /* --state-report FILE */
	int min_level;
	const char *statuses;
	struct eh_rule_select *select; /* --exclude-rule(s), --tag */
	const char *output, *stats_json, *state_path;
	const char *html_path; /* --html FILE */
	bool metrics;          /* --metrics */
	struct eh_output_options out;
	struct eh_scan_options scan;
	struct eh_filter filter;
	struct env env;
	bool no_isolation;
	double record_timeout; /* seconds */
	uint64_t memory_limit; /* bytes */
	struct eh_isolated iso; /* what the supervising parent gave the hunt's process */
	char **paths; /* the operands: logs, or JSON Lines files with --merge */
	int npaths;
};

static void select_rules(const struct opts *o, struct eh_ruleset *rules, struct aside *a)
{
	struct eh_select_counts c;
	eh_select_apply(o->select, rules, stderr, &c);
	a->excluded = c.excluded;
	a->untagged = c.untagged;
	a->filtered = eh_ruleset_filter(rules, o->min_level, o->statuses);
	if (o->quiet)
		return;
	if (a->excluded)
		fprintf(stderr, "evtxhunt: %zu rules set aside by --exclude-rule or --exclude-rules\n", a->excluded);
	if (a->untagged)
		fprintf(stderr, "evtxhunt: %zu rules set aside by --tag (none of the tags)\n", a->untagged);
	if (a->filtered)
		fprintf(stderr, "evtxhunt: %zu rules set aside by --min-level or --status\n", a->filtered);
}

/* Rule pack NAME (given with OPT) as one more rule path, found now: a
 * kit's pack that is missing stops the run before anything is read. */
static int add_pack(struct opts *o, const char *name, const char *opt)
{
	char *cause;
	char *dir = eh_rulepack_find(name, &cause);
	if (dir == NULL && cause == NULL) {
		o->builtin_pack = true;
		return 0;
	}
	if (dir == NULL) {
		fprintf(stderr, "evtxhunt: %s%s: %s\n", opt, name, cause);
		free(cause);
		return -1;
	}
	o->pack_dirs = xreallocarray(o->pack_dirs, o->npack_dirs + 1, sizeof *o->pack_dirs);
	o->pack_dirs[o->npack_dirs++] = dir;
	o->rule_paths = xreallocarray(o->rule_paths, o->nrule_paths + 1, sizeof *o->rule_paths);
	o->rule_paths[o->nrule_paths++] = dir;
	return 0;
}

/* Parses ARGV into O. Returns -1 to go on with a mode, or the exit
 * status to leave with now (--help, --version, a usage error). */
static int main_parse(int argc, char **argv, struct opts *o)
{
	int64_t now = eh_filetime_now();
	char *cause = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "r:f:o:j:qhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (optarg[0] == '@') { /* ./@x for a directory of that name */
				if (add_pack(o, optarg + 1, "-r @") != 0)
					return EXIT_ERROR;
				break;
			}
			o->rule_paths = xreallocarray(o->rule_paths, o->nrule_paths + 1, sizeof *o->rule_paths);
			o->rule_paths[o->nrule_paths++] = optarg;
			break;
		case OPT_RULES_PACK:
			if (add_pack(o, optarg, "--rules-pack ") != 0)
				return EXIT_ERROR;
			break;
		case OPT_LIST_RULES_PACKS:
			if (eh_rulepack_list(stdout) == 0)
				fprintf(stderr, "evtxhunt: no rule packs found (see --help, --rules-pack)\n");
			return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_NO_HITS : EXIT_ERROR;
		case OPT_PLACEHOLDERS:
			/* now: rules are compiled against them when loaded */
			if (eh_placeholders_load(optarg, &cause) != 0) {
				fprintf(stderr, "evtxhunt: --placeholders: %s\n", cause);
				free(cause);
				return EXIT_ERROR;
			}
			break;
		case OPT_CHECK_RULES:
			o->check_rules = true;
			break;
		case OPT_LIST_LOGSOURCES: /* the table itself, so the docs are its output */
			eh_logsource_list(stdout);
			return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_NO_HITS : EXIT_ERROR;
		case 'f': {
			int f = eh_format_from_name(optarg);
			if (f < 0) {
				fprintf(stderr, "evtxhunt: unknown format '%s' (" EH_FORMAT_NAMES ")\n", optarg);
				return EXIT_ERROR;
			}
			o->out.format = (enum eh_format)f;
			break;
		}
		case 'o':
			o->output = optarg;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || n < 1 || n > 1024) {
				fprintf(stderr, "evtxhunt: --threads takes a number from 1 to 1024\n");
				return EXIT_ERROR;
			}
			o->scan.threads = (int)n;
			break;
		}
		case OPT_NO_PREFILTER:
			o->scan.no_prefilter = true;
			break;
		case OPT_NO_DECODE:
			o->scan.no_decode = true;
			break;
		case OPT_STATS_JSON:
			o->stats_json = optarg;
			break;
		case OPT_WIDE:
			o->out.wide = true;
			break;
		case OPT_MIN_LEVEL:
			o->min_level = eh_level_rank(optarg);
			if (o->min_level < 0) {
				fprintf(stderr, "evtxhunt: unknown level '%s' (informational, low, medium, high, critical)\n",
					optarg);
				return EXIT_ERROR;
			}
			break;
		case OPT_STATUS:
			o->statuses = optarg;
			break;
		case OPT_EXCLUDE_RULE:
			eh_select_exclude(o->select, optarg, "--exclude-rule");
			break;
		case OPT_EXCLUDE_RULES:
			/* now: a kit's list that cannot be read is a usage error, not an empty list */
			if (eh_select_exclude_file(o->select, optarg, &cause) != 0) {
				fprintf(stderr, "evtxhunt: --exclude-rules %s\n", cause);
				free(cause);
				return EXIT_ERROR;
			}
			break;
		case OPT_TAG:
			eh_select_tag(o->select, optarg);
			break;
		case OPT_FROM:
		case OPT_TO:
			if (eh_filter_parse_time(optarg, now, c == OPT_TO, c == OPT_FROM ? &o->filter.from : &o->filter.to,
						 &cause) != 0) {
				fprintf(stderr, "evtxhunt: --%s: %s\n", c == OPT_FROM ? "from" : "to", cause);
				free(cause);
				return EXIT_ERROR;
			}
			break;
		case OPT_COMPUTER:
			eh_filter_add_computer(&o->filter, optarg);
			break;
		case OPT_SHARD: {
			unsigned k, n;
			char extra;
			if (sscanf(optarg, "%u/%u%c", &k, &n, &extra) != 2 || n < 1 || k < 1 || k > n || n > 1000000) {
				fprintf(stderr, "evtxhunt: --shard takes K/N with 1 <= K <= N (e.g. 3/8)\n");
				return EXIT_ERROR;
			}
			o->scan.shard = k - 1;
			o->scan.shards = n;
			break;
		}
		case OPT_MERGE:
			o->merge = true;
			break;
		case OPT_STATE:
			o->state_path = optarg;
			break;
		case OPT_STATE_REPORT:
			/* a mode of its own, taken at once: what follows is not read */
			o->state_report = optarg;
			return -1;
		case OPT_NO_ISOLATION:
			o->no_isolation = true;
			break;
		case OPT_RECORD_TIMEOUT: {
			char *end;
			double t = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(t >= 0) || t > 86400) {
				fprintf(stderr, "evtxhunt: --record-timeout takes seconds from 0 (no limit) to 86400\n");
				return EXIT_ERROR;
			}
			o->record_timeout = t;
			break;
		}
		case OPT_MEMORY_LIMIT: {
			char *end;
			unsigned long long mb = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *optarg == '-' || *end != '\0' || mb > (UINT64_C(1) << 30)) {
				fprintf(stderr, "evtxhunt: --memory-limit takes megabytes (0: no limit)\n");
				return EXIT_ERROR;
			}
			o->memory_limit = (uint64_t)mb * 1024 * 1024;
			break;
		}
		case OPT_HTML:
			o->html_path = optarg;
			break;
		case OPT_METRICS:
			o->metrics = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			main_usage(stdout);
			return EXIT_NO_HITS;
		case 'V':
			printf("evtxhunt %s (libevtx %s, libxml2 %s)\n", PACKAGE_VERSION, libevtx_get_version(),
			       LIBXML_DOTTED_VERSION);
			if (eh_builtin_pack_name) /* its rules' licence goes where the binary goes */
				printf("built-in rule pack %s (%u rules, -r @%s); its LICENSE:\n%s", eh_builtin_pack_name,
				       eh_builtin_pack_rule_count, eh_builtin_pack_name, eh_builtin_pack_license);
			return EXIT_NO_HITS;
		default:
			main_usage(stderr);
			return EXIT_ERROR;
		}
	}
	o->paths = argv + optind;
	o->npaths = argc - optind;
	return -1;
}

/* ---- --state-report ------------------------------------------------------------ */

static int cmd_state_report(struct opts *o)
{
	return eh_state_report(o->state_report, stdout, stderr) == 0 ? EXIT_NO_HITS : EXIT_ERROR;
}

/* ---- --check-rules ------------------------------------------------------------- */

/* Each loaded rule that no event can ever reach, and why: never silent. */
static void print_unmapped_rules(FILE *out, const struct eh_ruleset *rs)
{
	char why[512];
	for (size_t i = 0; i < eh_ruleset_count(rs); i++) {
		const struct eh_rule *r = eh_ruleset_rule(rs, i);
		const char *reason = eh_logsource_unmapped_reason(r->category, r->product, r->service, why, sizeof why);
		if (reason == NULL)
			continue;
		char *file = eh_report_path(r->file);
		struct buf b;
		buf_init(&b);
		eh_escape_terminal(&b, reason, strlen(reason));
		fprintf(out, "%s: %s\n", file, b.data);
		buf_free(&b);
		free(file);
	}
}

static int cmd_check_rules(struct opts *o)
{
	struct eh_ruleset *rules = load_rules(o->rule_paths, o->nrule_paths, o->builtin_pack, o->scan.threads);
	struct aside a;
	struct opts quiet = *o; /* the counts go on stdout here, with the rest */
	quiet.quiet = true;
	select_rules(&quiet, rules, &a);
	size_t correlations = eh_correlations_resolve(rules); /* correlation (issue 14) */
	print_rule_errors(stdout, rules);
	print_unmapped_rules(stdout, rules);
	printf("%zu loaded, %zu rejected\n", eh_ruleset_count(rules), eh_ruleset_error_count(rules));
	if (eh_correlations_count(rules))
		printf("%zu correlation rules can be used\n", correlations);
	if (a.excluded)
		printf("%zu rules set aside by --exclude-rule or --exclude-rules\n", a.excluded);
	if (a.untagged)
		printf("%zu rules set aside by --tag (none of the tags)\n", a.untagged);
	if (a.filtered)
		printf("%zu rules set aside by --min-level or --status\n", a.filtered);
	if (eh_ruleset_unmapped(rules))
		printf("%zu of the loaded rules cannot fire: their log source is not in the event logs evtxhunt reads\n",
		       eh_ruleset_unmapped(rules));
	if (eh_ruleset_not_rules(rules))
		printf("%zu YAML documents are not Sigma rules and were skipped\n", eh_ruleset_not_rules(rules));
	int status = eh_ruleset_error_count(rules) ? EXIT_ERROR : EXIT_NO_HITS;
	eh_ruleset_free(rules);
	return status;
}

/* ---- writing the report, for hunt and merge -------------------------------------- */

/* Writes TL to OUT (the -o file, committed) or standard output. Returns
 * whether the report is out; says why not on stderr. */
static bool main_deliver(struct eh_outfile *out, const struct eh_output_options *opt, struct eh_timeline *tl,
		     bool say_stdout_error)
{
	if (eh_output_timeline(out ? eh_outfile_stream(out) : stdout, opt, tl) != 0) {
		fprintf(stderr, "evtxhunt: cannot read spilled hits back: %s; no report written\n", strerror(errno));
		if (out)
			eh_outfile_abandon(out);
		return false;
	}
	if (out ? eh_outfile_commit(out) != 0 : fflush(stdout) != 0 || ferror(stdout)) {
		if (!out && say_stdout_error)
			fprintf(stderr, "evtxhunt: cannot write the report: %s\n", strerror(errno));
		return false;
	}
	return true;
}

/* --html FILE: the report beside the -f output, complete or absent. */
static bool main_html_file(const struct opts *o, const struct eh_html_run *run, struct eh_timeline *tl)
{
	struct eh_outfile *f = eh_outfile_open(o->html_path, o->force);
	if (f == NULL)
		return false;
	if (eh_html_write(eh_outfile_stream(f), run, tl) != 0) {
		fprintf(stderr, "evtxhunt: cannot read spilled hits back: %s; no HTML report written\n", strerror(errno));
		eh_outfile_abandon(f);
		return false;
	}
	return eh_outfile_commit(f) == 0;
}

/* ---- --merge ------------------------------------------------------------------- */

/* JSON Lines of earlier runs into one timeline. */
static int cmd_merge(struct opts *o)
{
	if (o->npaths == 0) {
		fprintf(stderr, "evtxhunt: --merge: no FILE given\n");
		return EXIT_ERROR;
	}
	int status = EXIT_NO_HITS;
	struct eh_outfile *out = NULL;
	if (o->output && (out = eh_outfile_open(o->output, o->force)) == NULL)
		return EXIT_ERROR;
	struct eh_timeline tl, correlated;
	timeline_init(&tl, &o->env);
	timeline_init(&correlated, &o->env);
	struct eh_timeline *shown = &tl;
	/* ---- correlation (issue 14): -r RULES correlates the shards' matches */
	struct eh_ruleset *rules = NULL;
	if (o->nrule_paths) {
		rules = load_rules(o->rule_paths, o->nrule_paths, o->builtin_pack, o->scan.threads);
		struct aside aside;
		struct opts quiet = *o;
		quiet.quiet = true;
		select_rules(&quiet, rules, &aside);
		eh_correlations_resolve(rules);
		if (eh_ruleset_error_count(rules) || eh_ruleset_not_rules(rules))
			print_rule_errors(stderr, rules);
		if (eh_ruleset_error_count(rules))
			status = EXIT_ERROR;
	}
	/* ---- */
	struct eh_merger *m = eh_merger_new();
	long total = 0;
	for (int i = 0; i < o->npaths; i++) {
		long added = eh_merge_file(m, o->paths[i], &tl, stderr);
		if (added < 0)
			status = EXIT_ERROR;
		else
			total += added;
	}
	if (eh_merger_bad_lines(m))
		status = EXIT_ERROR;
	struct eh_html_run html = { .version = PACKAGE_VERSION, .started = eh_filetime_now() };
	o->out.html = &html;
	bool delivered = true;
	if (rules && eh_correlations_usable(rules)) {
		shown = &correlated;
		if (eh_correlate_merged(rules, &tl, &correlated) != 0) {
			fprintf(stderr, "evtxhunt: cannot read spilled hits back: %s; no report written\n", strerror(errno));
			if (out)
				eh_outfile_abandon(out);
			delivered = false;
		}
	}
	if (!delivered || !main_deliver(out, &o->out, shown, false) ||
	    (o->html_path && !main_html_file(o, &html, shown)))
		status = EXIT_ERROR;
	if (!o->quiet) {
		fprintf(stderr, "evtxhunt: merged %ld hits from %d files (%zu lines unreadable)\n", total, o->npaths,
			eh_merger_bad_lines(m));
		for (size_t i = 0; i < eh_merger_rules(m); i++) {
			const struct eh_rule *rule = eh_merger_rule(m, i);
			eh_report_count(stderr, eh_timeline_rule_hits(&tl, rule), rule->title);
		}
	}
	if (rules && eh_correlations_usable(rules))
		eh_correlations_summary(stderr, rules, o->quiet);
	if (status != EXIT_ERROR && (shown == &tl ? total > 0 : shown->total > 0))
		status = EXIT_HITS;
	eh_timeline_release(&tl);
	eh_timeline_release(&correlated);
	eh_merger_free(m);
	eh_ruleset_free(rules);
	return status;
}

/* ---- the hunt ------------------------------------------------------------------ */

/* The counters as JSON, complete or absent like the report; with
 * --metrics (M) the metrics and findings too, as its "metrics" member. */
static int write_stats(const char *path, const struct eh_run *run, const struct eh_metrics *m)
{
	struct eh_outfile *f = eh_outfile_open(path, true);
	if (f == NULL)
		return -1;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (mem == NULL) {
		eh_outfile_abandon(f);
		return -1;
	}
	eh_report_stats_json(mem, run);
	fclose(mem);
	struct buf b = { NULL, 0, 0 };
	if (m && len > 2) { /* "{...}\n": the metrics go before the closing brace */
		buf_add(&b, text, len - 2);
		buf_adds(&b, ",\"metrics\":");
		eh_metrics_json(&b, m, 10);
		buf_adds(&b, "}\n");
	} else {
		buf_add(&b, text, len);
	}
	fwrite(b.data, 1, b.len, eh_outfile_stream(f));
	free(text);
	buf_free(&b);
	return eh_outfile_commit(f);
}

struct carry {
	struct eh_merger *merger;
	struct eh_timeline *tl;
	size_t added;
};

static void main_carry(const char *line, size_t len, void *user)
{
	struct carry *c = user;
	const char *err;
	size_t column;
	if (eh_merge_line(c->merger, line, len, c->tl, &err, &column))
		c->added++;
	else
		fprintf(stderr, "evtxhunt: --state: a pending hit cannot be read back (%s at column %zu); skipped\n", err,
			column);
}

/* ---- correlation with --state (issue 14) ---- */

/* Earlier runs' hits of the referred rules (read back from the state), and
 * this run's kept for the next: a burst that spans two runs is found. */
struct context {
	struct eh_merger *merger;
	struct eh_timeline *tl;
	struct eh_state *state;
	const struct eh_ruleset *rules;
	struct buf line;
};

static void main_context_line(const char *line, size_t len, void *user)
{
	struct context *c = user;
	const char *err;
	size_t column;
	if (!eh_merge_line(c->merger, line, len, c->tl, &err, &column))
		fprintf(stderr, "evtxhunt: --state: an earlier run's hit cannot be read back for correlation (%s at column %zu); skipped\n",
			err, column);
}

static void main_context_keep(const struct eh_hit *hit, void *user)
{
	struct context *c = user;
	if (!eh_correlations_refer(c->rules, hit->rule))
		return;
	buf_reset(&c->line);
	eh_jsonl_write_hit(&c->line, hit);
	eh_state_context_add(c->state, hit->event->computer, hit->event->time, c->line.data, c->line.len);
}

static int main_correlate_state(struct eh_ruleset *rules, struct eh_state *state, struct eh_merger *merger,
				struct eh_timeline *tl, struct eh_timeline *out, const struct env *env)
{
	struct eh_timeline context;
	timeline_init(&context, env);
	struct context c = { merger, &context, state, rules, { NULL, 0, 0 } };
	eh_state_context(state, main_context_line, &c);
	int rc = eh_correlate_context(rules, tl, &context, out);
	if (rc == 0)
		rc = eh_timeline_each(tl, main_context_keep, &c);
	if (rc == 0)
		eh_state_context_prune(state, eh_correlations_horizon(rules));
	buf_free(&c.line);
	eh_timeline_release(&context);
	return rc;
}

/* Scans the PATHs into a timeline, writes the report, then tells the
 * state (if any) what was reported. */
static int cmd_hunt(struct opts *o)
{
	struct eh_ruleset *rules = load_rules(o->rule_paths, o->nrule_paths, o->builtin_pack, o->scan.threads);
	struct aside aside;
	select_rules(o, rules, &aside);
	bool correlate = eh_correlations_resolve(rules) > 0; /* correlation (issue 14) */
	/* a shard sees part of the logs: it writes every match, --merge -r correlates */
	if (correlate && o->scan.shards) {
		correlate = false;
		if (!o->quiet)
			fprintf(stderr, "evtxhunt: --shard: correlation rules are not evaluated here but by --merge with "
					"the same -r over the shards' JSON Lines; every rule's hits are written\n");
	}
	struct eh_outfile *out = NULL;
	struct eh_timeline tl, correlated; /* every rule's hits; what the report shows */
	struct eh_timeline *shown = &tl;
	struct carry carry = { NULL, &tl, 0 };
	struct eh_scanner *scanner = NULL;
	char *cause = NULL;
	int status = EXIT_NO_HITS;
	struct eh_metrics metrics;
	bool html = o->html_path || o->out.format == EH_FORMAT_HTML;
	struct buf diagnostics = { NULL, 0, 0 };
	FILE *tee = NULL;
	struct eh_html_input *inputs = NULL;
	size_t ninputs = 0;
	int64_t started = eh_filetime_now();
	eh_metrics_init(&metrics);
	timeline_init(&tl, &o->env);
	timeline_init(&correlated, &o->env);

	if (o->npaths == 0) {
		fprintf(stderr, "evtxhunt: no PATH given\n");
		main_usage(stderr);
		status = EXIT_ERROR;
		goto out;
	}
	if (eh_ruleset_error_count(rules) || eh_ruleset_not_rules(rules))
		print_rule_errors(stderr, rules);
	if (eh_ruleset_error_count(rules))
		status = EXIT_ERROR;
	/* before the report is opened: a refused run leaves no file behind */
	if (o->filter.from > o->filter.to) {
		fprintf(stderr, "evtxhunt: --from is after --to: nothing could match\n");
		status = EXIT_ERROR;
		goto out;
	}
	if (o->output && (out = eh_outfile_open(o->output, o->force)) == NULL) {
		status = EXIT_ERROR;
		goto out;
	}

	double start = eh_monotonic();
	struct eh_scan_options *scan = &o->scan;
	scan->filter = &o->filter;
	if (o->metrics) { /* every event: one thread, no prefilter */
		scan->every_event = eh_metrics_event;
		scan->user = &metrics;
		scan->on_damage = eh_metrics_damage;
		scan->damage_user = &metrics;
		metrics.partial = eh_filter_active(&o->filter) || o->state_path;
	}
	if (html && (tee = eh_html_tee(stderr, &diagnostics)) != NULL)
		scan->diag = tee; /* the report lists the warnings too */
	if (o->state_path && (scan->state = eh_state_open(o->state_path, rules, o->env.checkpoint_every, &cause)) == NULL) {
		char *shown = eh_report_path(o->state_path);
		fprintf(stderr, "evtxhunt: --state %s: %s\n", shown, cause);
		free(shown);
		free(cause);
		if (out)
			eh_outfile_abandon(out);
		status = EXIT_ERROR;
		goto out;
	}
	scan->progress = !o->quiet && isatty(STDERR_FILENO);
	FILE *terminal = NULL; /* isolated: stderr is held by the parent, the progress line is not */
	if (!o->quiet && o->iso.terminal_fd >= 0 && (terminal = fdopen(o->iso.terminal_fd, "w")) != NULL) {
		setvbuf(terminal, NULL, _IONBF, 0);
		scan->progress = true;
		scan->progress_out = terminal;
	}
	scan->watch = o->iso.watch;
	scan->quarantine = o->iso.quarantine;
	if (scan->state && eh_filter_active(&o->filter))
		eh_state_partial(scan->state);
	/* hits an interrupted run found but never reported go in this report */
	carry.merger = eh_merger_new();
	if (scan->state && eh_state_pending(scan->state, main_carry, &carry) && !o->quiet)
		fprintf(stderr, "evtxhunt: --state: %zu hits found by an interrupted run, not reported then, are in this report\n",
			carry.added);
	scanner = eh_scanner_new(rules, scan, &tl);
	for (int i = 0; i < o->npaths; i++)
		eh_scan_plan(scanner, o->paths[i]);
	for (int i = 0; i < o->npaths; i++)
		eh_scan_path(scanner, o->paths[i]);
	eh_scanner_finish(scanner);
	const struct eh_stats *st = eh_scanner_stats(scanner);
	if (o->metrics)
		eh_metrics_finish(&metrics);
	if (tee)
		fflush(tee);
	if (html)
		inputs = eh_html_inputs(o->paths, (size_t)o->npaths, scan->shard, scan->shards, &ninputs);
	struct eh_html_run report = {
		.version = PACKAGE_VERSION, .started = started, .seconds = eh_monotonic() - start, .rules = rules,
		.rule_paths = o->rule_paths, .nrule_paths = o->nrule_paths, .stats = st,
		.metrics = o->metrics ? &metrics : NULL, .inputs = inputs, .ninputs = ninputs,
		.diagnostics = diagnostics.data,
	};
	o->out.html = &report;
	/* ---- correlation (issue 14): over the whole timeline, in time order */
	bool delivered = true;
	if (correlate) {
		shown = &correlated;
		/* hits carried from an interrupted run have rules rebuilt from JSON: known by id */
		int rc = scan->state ? main_correlate_state(rules, scan->state, carry.merger, &tl, &correlated, &o->env)
			 : (carry.added ? eh_correlate_merged : eh_correlate)(rules, &tl, &correlated);
		if (rc != 0) {
			fprintf(stderr, "evtxhunt: cannot read spilled hits back: %s; no report written\n", strerror(errno));
			if (out)
				eh_outfile_abandon(out);
			delivered = false;
		}
	}
	/* ---- */
	delivered = delivered && main_deliver(out, &o->out, shown, true);
	if (delivered && o->html_path && !main_html_file(o, &report, shown))
		delivered = false;
	if (!delivered)
		status = EXIT_ERROR;

	/* the state learns the run only once its report is out: a report that
	 * failed is reported again by the next run */
	if (scan->state) {
		if (!delivered)
			fprintf(stderr, "evtxhunt: --state: not updated, the report was not written\n");
		else if (eh_state_commit(scan->state, st->hits, &cause) != 0) {
			fprintf(stderr, "evtxhunt: --state: %s; the next run reports these hits again\n", cause);
			free(cause);
			status = EXIT_ERROR;
		}
		eh_state_close(scan->state);
	}
	struct eh_run run = { st, rules, &tl, eh_monotonic() - start, aside.excluded, aside.untagged, aside.filtered };
	if (!o->quiet)
		eh_report_summary(stderr, &run);
	if (correlate)
		eh_correlations_summary(stderr, rules, o->quiet);
	if (!o->quiet && o->metrics)
		eh_metrics_summary(stderr, &metrics, 10);
	if (o->stats_json && write_stats(o->stats_json, &run, o->metrics ? &metrics : NULL) != 0)
		status = EXIT_ERROR;
	if (st->errors || st->files_failed)
		status = EXIT_ERROR;
	else if (status != EXIT_ERROR && (correlate ? shown->total != 0 : st->hits || carry.added))
		status = EXIT_HITS; /* correlating: what the report shows (held-back hits are not) */
out:
	eh_scanner_free(scanner);
	if (o->scan.progress_out)
		fclose(o->scan.progress_out);
	if (tee)
		fclose(tee);
	buf_free(&diagnostics);
	eh_html_inputs_free(inputs, ninputs);
	eh_metrics_release(&metrics);
	eh_timeline_release(&tl);
	eh_timeline_release(&correlated);
	eh_merger_free(carry.merger);
	eh_ruleset_free(rules);
	return status;
}

/* The hunt in a child process the parent supervises: a record that makes
 * libevtx crash, hang or run away costs that record, not the run. */
static int cmd_hunt_isolated(struct opts *o)
{
	if (o->no_isolation)
		return cmd_hunt(o);
	struct eh_supervise_options so = {
		.record_timeout = o->record_timeout,
		.memory_limit = o->memory_limit,
		.max_restarts = MAX_RESTARTS,
		.threads = o->scan.threads,
		.tmpdir = o->env.tmpdir,
	};
	int status = eh_supervise(&so, &o->iso);
	return status >= 0 ? status : cmd_hunt(o);
}

/* ---- dispatch ------------------------------------------------------------------ */

/* The modes, as tmux's cmd_table: found by name. */
static const struct mode {
	const char *name;
	int (*run)(struct opts *o);
} mode_table[] = {
	{ "hunt", cmd_hunt_isolated },
	{ "check-rules", cmd_check_rules },
	{ "merge", cmd_merge },
	{ "state-report", cmd_state_report },
};

/* The mode the options ask for: --state-report before --merge before
 * --check-rules; the hunt when none is given. */
static const struct mode *main_mode(const struct opts *o)
{
	const char *name = o->state_report ? "state-report"
			   : o->merge	   ? "merge"
			   : o->check_rules  ? "check-rules"
					     : "hunt";
	for (size_t i = 0; i < sizeof mode_table / sizeof mode_table[0]; i++)
		if (strcmp(mode_table[i].name, name) == 0)
			return &mode_table[i];
	abort(); /* every name above has its row */
}

int main(int argc, char **argv)
{
	struct opts o = {
		.min_level = -1,
		.out = { EH_FORMAT_TABLE, false, 80 },
		.scan = { .diag = stderr },
		.record_timeout = 5,
		.memory_limit = UINT64_C(2048) * 1024 * 1024,
		.iso = { .terminal_fd = -1 },
	};
	eh_filter_init(&o.filter);
	o.select = eh_select_new();
	read_env(&o.env);
	int status = main_parse(argc, argv, &o);
	if (status >= 0)
		goto out;
	status = main_mode(&o)->run(&o);
out:
	free(o.rule_paths);
	for (size_t i = 0; i < o.npack_dirs; i++)
		free(o.pack_dirs[i]);
	free(o.pack_dirs);
	eh_select_free(o.select);
	eh_filter_release(&o.filter);
	eh_placeholders_clear();
	xmlCleanupParser();
	return status;
}
