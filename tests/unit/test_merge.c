/* merge.c: evtxhunt's JSON Lines read back into the timeline they came
 * from, hostile values included. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evtxhunt/merge.h"
#include "evtxhunt/output.h"

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/evtxhunt-merge-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static const char line[] =
	"{\"timestamp\":\"2024-03-01T10:00:00.5000000Z\",\"datetime\":\"x\",\"message\":\"ignored\","
	"\"file\":\"logs/a.evtx\",\"record_id\":42,\"computer\":\"WS\\u001b]0;x\\u0007\",\"channel\":\"C\","
	"\"provider\":\"P\",\"event_id\":1,\"rule_id\":\"r1\",\"rule_title\":\"T\",\"level\":\"high\","
	"\"tags\":[\"attack.t1218\"],\"recovered\":true,\"fields\":{\"CommandLine\":\"a\\u0000b \\ud83d\\ude00 \\\"q\\\"\","
	"\"Image\":\"C:\\\\x.exe\"}}\n";

static void collect(const struct eh_hit *h, void *user)
{
	*(const struct eh_hit **)user = h;
}

Test(merge, a_line_round_trips)
{
	char *path = write_tmp(line);
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	struct eh_merger *m = eh_merger_new();
	FILE *diag = fopen("/dev/null", "w");
	cr_assert_eq(eh_merge_file(m, path, &tl, diag), 1);
	const struct eh_hit *h = NULL;
	eh_timeline_each(&tl, collect, &h);
	cr_assert_not_null(h);
	cr_assert_eq(h->event->record_id, 42);
	cr_assert_eq(h->event->event_id, 1);
	cr_assert(h->event->recovered);
	cr_assert_str_eq(h->event->computer, "WS\x1b]0;x\x07");
	cr_assert_str_eq(h->rule->title, "T");
	cr_assert_str_eq(h->rule->tags[0], "attack.t1218");
	size_t len;
	const char *cmd = eh_event_get(h->event, "CommandLine", &len);
	cr_assert_eq(len, 12, "NUL kept inside, the surrogate pair decoded to 4 bytes");
	cr_assert_eq(memcmp(cmd, "a\0b \xf0\x9f\x98\x80 \"q\"", 12), 0);
	/* written again, the line is what it was (minus the derived keys) */
	FILE *out = tmpfile();
	struct eh_output_options opt = { EH_FORMAT_JSONL, false, 80 };
	cr_assert_eq(eh_output_timeline(out, &opt, &tl), 0);
	rewind(out);
	char again[2048];
	cr_assert_not_null(fgets(again, sizeof again, out));
	cr_assert(strstr(again, "\"computer\":\"WS\\u001b]0;x\\u0007\"") != NULL, "%s", again);
	cr_assert(strstr(again, "\"CommandLine\":\"a\\u0000b \xf0\x9f\x98\x80 \\\"q\\\"\"") != NULL, "%s", again);
	fclose(out);
	fclose(diag);
	eh_timeline_release(&tl);
	eh_merger_free(m);
	unlink(path);
	free(path);
}

Test(merge, bad_lines_are_counted_and_skipped)
{
	char *text;
	cr_assert(asprintf(&text, "%s{\"timestamp\":\"2024-03-01T10:00:00Z\"}\n{oops\n\"a string\"\n%s", line, line) > 0);
	char *path = write_tmp(text);
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	struct eh_merger *m = eh_merger_new();
	FILE *diag = tmpfile();
	cr_assert_eq(eh_merge_file(m, path, &tl, diag), 2);
	cr_assert_eq(eh_merger_bad_lines(m), 3);
	cr_assert_eq(eh_merger_rules(m), 1, "the same rule twice is one rule");
	rewind(diag);
	char msg[512];
	cr_assert_not_null(fgets(msg, sizeof msg, diag));
	cr_assert(strstr(msg, ": line 2, column ") != NULL, "%s", msg);
	fclose(diag);
	eh_timeline_release(&tl);
	eh_merger_free(m);
	unlink(path);
	free(path);
	free(text);
}
