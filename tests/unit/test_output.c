/* Escaping for the terminal, spreadsheets, JSON and diagnostic lines. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/output.h"
#include "evtxhunt/report.h"

static char *esc(void (*fn)(struct buf *, const char *, size_t), const char *s, size_t len)
{
	static struct buf b;
	buf_free(&b);
	fn(&b, s, len);
	return b.data ? b.data : "";
}
#define TERM(s) esc(eh_escape_terminal, s, sizeof(s) - 1)
#define CSV(s) esc(eh_escape_csv, s, sizeof(s) - 1)
#define JSON(s) esc(eh_escape_json, s, sizeof(s) - 1)

Test(terminal, controls_become_visible)
{
	cr_assert_str_eq(TERM("a\x1b]0;pwned\x07z"), "a\\x1B]0;pwned\\x07z");
	cr_assert_str_eq(TERM("line\r\nnext\ttab"), "line\\r\\nnext\\ttab");
	cr_assert_str_eq(TERM("nul\0x"), "nul\\x00x");
	cr_assert_str_eq(TERM("del\x7f"), "del\\x7F");
}

Test(terminal, c1_bidi_and_invalid_utf8)
{
	cr_assert_str_eq(TERM("csi\xc2\x9b" "31m"), "csi\\u009B31m");
	cr_assert_str_eq(TERM("abc\xe2\x80\xae" "exe"), "abc\\u202Eexe");
	cr_assert_str_eq(TERM("bad\xff\xc3"), "bad\\xFF\\xC3");
	cr_assert_str_eq(TERM("\xed\xa0\x80"), "\\xED\\xA0\\x80", "an encoded surrogate is not UTF-8");
}

Test(terminal, text_and_paths_pass_through)
{
	cr_assert_str_eq(TERM("C:\\Users\\J\xc3\xbcrgen\\\xf0\x9f\x98\x80"), "C:\\Users\\J\xc3\xbcrgen\\\xf0\x9f\x98\x80");
}

Test(csv, quoting_per_rfc4180)
{
	cr_assert_str_eq(CSV("plain"), "plain");
	cr_assert_str_eq(CSV("a,b"), "\"a,b\"");
	cr_assert_str_eq(CSV("say \"hi\""), "\"say \"\"hi\"\"\"");
	cr_assert_str_eq(CSV(""), "");
}

Test(csv, formulas_are_neutralized)
{
	cr_assert_str_eq(CSV("=1+1"), "'=1+1");
	cr_assert_str_eq(CSV("+cmd"), "'+cmd");
	cr_assert_str_eq(CSV("-2+3"), "'-2+3");
	cr_assert_str_eq(CSV("@SUM(A1)"), "'@SUM(A1)");
	cr_assert_str_eq(CSV("\t=1"), "'\\t=1");
	cr_assert_str_eq(CSV("a=1"), "a=1", "only a leading trigger matters");
}

Test(csv, cells_are_terminal_safe)
{
	cr_assert_str_eq(CSV("x\x1b[2J"), "x\\x1B[2J");
	cr_assert_str_eq(CSV("two\nlines"), "two\\nlines");
}

Test(json, escapes_and_utf8)
{
	cr_assert_str_eq(JSON("a\"b\\c"), "\"a\\\"b\\\\c\"");
	cr_assert_str_eq(JSON("\x1b\x07\n"), "\"\\u001b\\u0007\\n\"");
	cr_assert_str_eq(JSON("\xff"), "\"\\ufffd\"", "invalid UTF-8 becomes U+FFFD");
	cr_assert_str_eq(JSON("\xe2\x80\xae"), "\"\\u202e\"");
	cr_assert_str_eq(JSON("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
}

Test(format, names)
{
	cr_assert_eq(eh_format_from_name("table"), EH_FORMAT_TABLE);
	cr_assert_eq(eh_format_from_name("csv"), EH_FORMAT_CSV);
	cr_assert_eq(eh_format_from_name("jsonl"), EH_FORMAT_JSONL);
	cr_assert_eq(eh_format_from_name("xml"), -1);
}

/* "File names in messages are escaped too": every diagnostic line is
 * made by eh_report_line, so checking it checks them all. */
Test(report, message_lines_escape_path_and_reason)
{
	struct buf b;
	buf_init(&b);
	eh_report_line(&b, "error", "logs/a\x1b[31m\tb.evtx", "cannot open: bad\nthing");
	cr_assert_str_eq(b.data, "evtxhunt: error: logs/a\\x1B[31m\\tb.evtx: cannot open: bad\\nthing\n");
	buf_reset(&b);
	eh_report_line(&b, NULL, "state\r.db", "not an evtxhunt state file");
	cr_assert_str_eq(b.data, "evtxhunt: state\\r.db: not an evtxhunt state file\n");
	buf_free(&b);
	char *p = eh_report_path("out\x1b]0;x\a.csv");
	cr_assert_str_eq(p, "out\\x1B]0;x\\x07.csv");
	free(p);
}
