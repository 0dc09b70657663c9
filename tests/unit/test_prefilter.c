/* Prefilter: the literals each rule yields, and the chunk scan. Every
 * test runs once per engine: portable always, Hyperscan when built in. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/builtin.h"
#include "evtxhunt/chunk.h"
#include "evtxhunt/prefilter.h"
#include "evtxhunt/utf.h"

#define HEAD "title: t\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n"

/* Defines test NAME of SUITE for each engine; the body sees ENGINE. */
#define ENGINE_TEST(suite, name)                                                      \
	static void name(enum eh_pf_engine engine);                                   \
	Test(suite, name##_portable)                                                  \
	{                                                                             \
		name(EH_PF_PORTABLE);                                                 \
	}                                                                             \
	Test(suite, name##_hyperscan)                                                 \
	{                                                                             \
		if (!eh_prefilter_have_hyperscan())                                   \
			cr_skip_test("built without Hyperscan");                      \
		name(EH_PF_HYPERSCAN);                                                \
	}                                                                             \
	static void name(enum eh_pf_engine engine)

/* Built with ENGINE, which must be the one in use. */
static struct eh_prefilter *build(const struct eh_ruleset *rs, enum eh_pf_engine engine)
{
	struct eh_prefilter *pf = eh_prefilter_build_with(rs, engine);
	cr_assert_str_eq(eh_prefilter_engine(pf), engine == EH_PF_HYPERSCAN ? "hyperscan" : "portable");
	return pf;
}

static struct eh_ruleset *load(const char *yaml)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	eh_ruleset_load_text(rs, "t.yml", yaml, strlen(yaml));
	cr_assert_eq(eh_ruleset_error_count(rs), 0);
	return rs;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The literals of the first rule of RS as a set: sorted and joined with
 * '|' (their order is the prefilter's business), a NUL in them shown as
 * \0; "ANY" when it has none (always a candidate), "" when it can never
 * fire. */
static const char *literal_set(const struct eh_ruleset *rs, enum eh_pf_engine engine)
{
	static char out[1024];
	struct eh_prefilter *pf = build(rs, engine);
	bool always;
	size_t n;
	const struct eh_prefilter_literal *l = eh_prefilter_rule_literals(pf, 0, &n, &always);
	out[0] = '\0';
	if (always)
		strcpy(out, "ANY");
	char shown[64][80];
	const char *sorted[64];
	for (size_t i = 0; i < n && i < 64; i++) {
		size_t k = 0;
		for (size_t j = 0; j < l[i].len && k + 3 < sizeof shown[i]; j++)
			if (l[i].text[j] == '\0')
				shown[i][k++] = '\\', shown[i][k++] = '0';
			else
				shown[i][k++] = l[i].text[j];
		shown[i][k] = '\0';
		sorted[i] = shown[i];
	}
	n = n < 64 ? n : 64;
	qsort(sorted, n, sizeof *sorted, cmp);
	for (size_t i = 0; i < n; i++) {
		if (out[0])
			strcat(out, "|");
		strcat(out, sorted[i]);
	}
	eh_prefilter_free(pf);
	return out;
}

/* The literal set of the only rule of DETECTION. */
static const char *literals(enum eh_pf_engine engine, const char *detection)
{
	char yaml[2048];
	snprintf(yaml, sizeof yaml, HEAD "%s", detection);
	struct eh_ruleset *rs = load(yaml);
	const char *out = literal_set(rs, engine);
	eh_ruleset_free(rs);
	return out;
}

ENGINE_TEST(literals, the_seed_rule)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	eh_ruleset_load_text(rs, "seed", eh_builtin_rules[0].yaml, strlen(eh_builtin_rules[0].yaml));
	/* selection_image is more selective than ' /s ', ' /e '; on 4688 the
	 * OriginalFileName branch can never hold, so it does not widen them */
	cr_assert_str_eq(literal_set(rs, engine), "\\regsvr32.exe|regsvr32.exe");
	eh_ruleset_free(rs);
}

ENGINE_TEST(literals, and_keeps_the_most_selective_or_unites_not_gives_nothing)
{
	cr_assert_str_eq(literals(engine, "  a:\n    Image|endswith: '\\\\x.exe'\n  b:\n    CommandLine|contains: ' -q '\n"
				  "  condition: a and b\n"),
			 "\\x.exe");
	cr_assert_str_eq(literals(engine, "  a:\n    Image|endswith: '\\\\x.exe'\n  b:\n    CommandLine|contains: ' -q '\n"
				  "  condition: a or b\n"),
			 " -q |\\x.exe");
	cr_assert_str_eq(literals(engine, "  a:\n    Image|endswith: '\\\\x.exe'\n  condition: not a\n"), "ANY");
}

ENGINE_TEST(literals, only_text_fields_and_literal_modifiers)
{
	cr_assert_str_eq(literals(engine, "  a:\n    ProcessId: 4242\n  condition: a\n"), "ANY", "binary in the record");
	cr_assert_str_eq(literals(engine, "  a:\n    CommandLine|re: 'x+'\n  condition: a\n"), "ANY");
	cr_assert_str_eq(literals(engine, "  a:\n    Image: 'C:\\\\*\\\\evil*.exe'\n  condition: a\n"), "\\evil",
			 "the longest run between wildcards");
	cr_assert_str_eq(literals(engine, "  a:\n    CommandLine|windash|contains: ' -e '\n  condition: a\n"),
			 " -e | /e | \xe2\x80\x93" "e | \xe2\x80\x94" "e | \xe2\x80\x95" "e ");
}

/* A chunk holding one record with LEN bytes of TEXT (UTF-8, BMP; NULs
 * too) as UTF-16LE, SHIFT bytes into it (strings in binary XML need not
 * be aligned). */
static void chunk_with_bytes(uint8_t *c, const char *text, size_t len, size_t shift)
{
	uint16_t units[1024];
	size_t n = 0;
	const unsigned char *end = (const unsigned char *)text + len;
	for (const unsigned char *p = (const unsigned char *)text; p < end && n < 1024; n++) {
		if (p[0] < 0x80)
			units[n] = *p++;
		else if (p[0] < 0xe0)
			units[n] = (uint16_t)((p[0] & 0x1f) << 6 | (p[1] & 0x3f)), p += 2;
		else
			units[n] = (uint16_t)((p[0] & 0x0f) << 12 | (p[1] & 0x3f) << 6 | (p[2] & 0x3f)), p += 3;
	}
	memset(c, 0, EH_CHUNK_SIZE);
	memcpy(c, "ElfChnk", 8);
	uint32_t pos = EH_CHUNK_HEADER_SIZE, size = 24 + (uint32_t)shift + 2 * (uint32_t)n + 4;
	size = (size + 7) & ~7u;
	put_le32(c + pos, 0x00002a2a);
	put_le32(c + pos + 4, size);
	for (size_t i = 0; i < n; i++) {
		c[pos + 24 + shift + 2 * i] = (uint8_t)units[i];
		c[pos + 24 + shift + 2 * i + 1] = (uint8_t)(units[i] >> 8);
	}
	put_le32(c + pos + size - 4, size);
	put_le32(c + 48, pos + size);
}

static void chunk_with_at(uint8_t *c, const char *text, size_t shift)
{
	chunk_with_bytes(c, text, strlen(text), shift);
}

static void chunk_with(uint8_t *c, const char *text)
{
	chunk_with_at(c, text, 0);
}

/* Whether the only rule of DETECTION is a candidate for the one record of
 * a chunk holding TEXT (and the chunk is kept for it). */
static bool kept(enum eh_pf_engine engine, const char *detection, const char *text)
{
	char yaml[2048];
	snprintf(yaml, sizeof yaml, HEAD "%s", detection);
	struct eh_ruleset *rs = load(yaml);
	struct eh_prefilter *pf = build(rs, engine);
	struct eh_prefilter_scan *sc = eh_prefilter_scan_new(pf);
	static uint8_t c[EH_CHUNK_SIZE];
	bool record = false;
	for (size_t shift = 0; shift < 2; shift++) {
		chunk_with_at(c, text, shift);
		bool chunk = eh_prefilter_scan_chunk(sc, c, EH_CHUNK_SIZE);
		const uint64_t *in = eh_prefilter_record_rules(sc, EH_CHUNK_HEADER_SIZE, EH_CHUNK_HEADER_SIZE + 4096);
		bool here = in && (in[0] & 1);
		cr_assert_eq(chunk, here, "the chunk is kept if and only if its record is");
		cr_assert(shift == 0 || here == record, "at an odd offset as at an even one");
		record = here;
	}
	eh_prefilter_scan_free(sc);
	eh_prefilter_free(pf);
	eh_ruleset_free(rs);
	return record;
}

/* The UTF-16LE bytes of these letters include 0x41-0x5A (U+0441 is 41 04):
 * folding the chunk's bytes but not the literal's lost them. */
ENGINE_TEST(scan, finds_literals_whose_utf16_bytes_look_like_ascii_capitals)
{
	cr_assert(kept(engine, "  a:\n    CommandLine|contains: '\u0441\u0435\u0440\u0432\u0438\u0441'\n  condition: a\n",
		       "sc start \u0441\u0435\u0440\u0432\u0438\u0441 now"),
		  "Cyrillic \u0441\u0435\u0440\u0432\u0438\u0441 (U+0441 is 41 04)");
	cr_assert(kept(engine, "  a:\n    CommandLine|contains: '\u0141\u00f3d\u017a'\n  condition: a\n",
		       "copy \u0141\u00f3d\u017a.txt"),
		  "\u0141 (41 01)");
}

/* base64 text is matched cased: its capitals stay capitals in the literal. */
ENGINE_TEST(scan, finds_cased_literals_with_capitals)
{
	cr_assert(kept(engine, "  a:\n    CommandLine|base64|contains: 'IEX'\n  condition: a\n",
		       "powershell -enc SUVY"));
	cr_assert(kept(engine, "  a:\n    CommandLine|cased|contains: 'PowerShell'\n  condition: a\n",
		       "x PowerShell y"));
	cr_assert_not(kept(engine, "  a:\n    CommandLine|cased|contains: 'PowerShell'\n  condition: a\n",
			   "x notepad y"));
}

ENGINE_TEST(scan, finds_literals_caselessly_in_utf16_and_narrows_to_records)
{
	struct eh_ruleset *rs = eh_ruleset_new();
	eh_ruleset_load_text(rs, "seed", eh_builtin_rules[0].yaml, strlen(eh_builtin_rules[0].yaml));
	struct eh_prefilter *pf = build(rs, engine);
	struct eh_prefilter_scan *sc = eh_prefilter_scan_new(pf);
	static uint8_t c[EH_CHUNK_SIZE];
	chunk_with(c, "C:\\Windows\\System32\\notepad.exe");
	cr_assert_not(eh_prefilter_scan_chunk(sc, c, EH_CHUNK_SIZE), "no literal: not parsed");
	chunk_with(c, "rundll32.exe /s /e x.dll");
	cr_assert_not(eh_prefilter_scan_chunk(sc, c, EH_CHUNK_SIZE), "the flags alone cannot make a hit: not parsed");
	chunk_with(c, "x C:\\WINDOWS\\SYSTEM32\\REGSVR32.EXE /s y");
	cr_assert(eh_prefilter_scan_chunk(sc, c, EH_CHUNK_SIZE));
	const uint64_t *in = eh_prefilter_record_rules(sc, EH_CHUNK_HEADER_SIZE, EH_CHUNK_HEADER_SIZE + 200);
	cr_assert_not_null(in);
	cr_assert(in[0] & 1, "the seed rule is a candidate for that record");
	cr_assert_null(eh_prefilter_record_rules(sc, 4096, 8192), "a record elsewhere holds no literal");
	eh_prefilter_scan_free(sc);
	eh_prefilter_free(pf);
	eh_ruleset_free(rs);
}

#define CONTAINS(x) "  a:\n    CommandLine|contains: '" x "'\n  condition: a\n"

/* Whatever the matcher folds alike, the prefilter finds: letters of
 * Latin-1, Latin Extended-A, Greek and Cyrillic in any case. */
ENGINE_TEST(scan, folds_case_beyond_ascii_as_the_matcher)
{
	/* ПРИВЕТ against привет and ПрИвЕт, and the other way round */
	cr_assert(kept(engine, CONTAINS("\u041f\u0420\u0418\u0412\u0415\u0422"), "echo \u043f\u0440\u0438\u0432\u0435\u0442"));
	cr_assert(kept(engine, CONTAINS("\u041f\u0420\u0418\u0412\u0415\u0422"), "echo \u041f\u0440\u0418\u0432\u0415\u0442"));
	cr_assert(kept(engine, CONTAINS("\u043f\u0440\u0438\u0432\u0435\u0442"), "echo \u041f\u0420\u0418\u0412\u0415\u0422"));
	cr_assert_not(kept(engine, CONTAINS("\u043f\u0440\u0438\u0432\u0435\u0442"), "echo \u043f\u0440\u0438\u0432\u0435"));
	cr_assert(kept(engine, CONTAINS("\u00c9t\u00c9"), "x \u00e9T\u00e9 y"), "\u00c9 is \u00e9");
	cr_assert(kept(engine, CONTAINS("\u0141\u00f3d\u017a"), "\u0142\u00d3D\u0179"), "\u0141 is \u0142");
	cr_assert(kept(engine, CONTAINS("\u0178"), "\u00ff"), "\u0178 is \u00ff (another high byte)");
	/* \u03a3, \u03c3 and final \u03c2 all fold to \u03c3 */
	cr_assert(kept(engine, CONTAINS("\u03c3\u03bf\u03c6\u03bf\u03c2"), "\u03a3\u039f\u03a6\u039f\u03a3"));
	cr_assert(kept(engine, CONTAINS("\u03a3\u039f\u03a6\u039f\u03a3"), "\u03c3\u03bf\u03c6\u03bf\u03c2"));
	cr_assert(kept(engine, CONTAINS("\u03c2"), "\u03c3"));
	cr_assert(kept(engine, CONTAINS("\u00b5s"), "\u039cS"), "micro sign is mu");
	/* outside the folded blocks a letter is only itself, bytes 0x41-0x5A
	 * included (U+0541 is 41 05, U+2041 41 20) */
	cr_assert(kept(engine, CONTAINS("\u0541\u2041"), "x\u0541\u2041y"));
	/* a non-letter is only itself */
	cr_assert_not(kept(engine, CONTAINS("\u00d7"), "x \u00f7"));
	cr_assert(kept(engine, CONTAINS("3\u00d74"), "3\u00d74"));
}

/* UTF-8 of CP into OUT (at most 3 bytes here: the BMP). */
static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80)
		return out[0] = (char)cp, 1;
	if (cp < 0x800)
		return out[0] = (char)(0xc0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3f)), 2;
	return out[0] = (char)(0xe0 | cp >> 12), out[1] = (char)(0x80 | (cp >> 6 & 0x3f)),
	       out[2] = (char)(0x80 | (cp & 0x3f)), 3;
}

/* Sound for every letter that folds: a rule holding the letter keeps a
 * record holding its folded form, and a rule holding the folded form a
 * record holding the letter, as the matcher would match them. */
ENGINE_TEST(scan, every_folding_letter_both_ways)
{
	for (int way = 0; way < 2; way++) {
		uint32_t cps[1024];
		size_t n = 0;
		struct buf yaml;
		buf_init(&yaml);
		for (uint32_t cp = 0x41; cp < 0x530 && n < 1024; cp++) {
			if (eh_fold(cp) == cp)
				continue;
			char c[4];
			size_t len = put_utf8(c, way ? eh_fold(cp) : cp);
			buf_addf(&yaml, "%s" HEAD "  a:\n    CommandLine|contains: 'q%.*sq'\n  condition: a\n",
				 n ? "---\n" : "", (int)len, c);
			cps[n++] = cp;
		}
		struct eh_ruleset *rs = eh_ruleset_new();
		eh_ruleset_load_text(rs, "all.yml", yaml.data, yaml.len);
		cr_assert_eq(eh_ruleset_error_count(rs), 0);
		cr_assert_eq(eh_ruleset_count(rs), n);
		struct eh_prefilter *pf = build(rs, engine);
		struct eh_prefilter_scan *sc = eh_prefilter_scan_new(pf);
		static uint8_t chunk[EH_CHUNK_SIZE];
		for (size_t i = 0; i < n; i++) {
			char text[8] = "Q";
			size_t len = put_utf8(text + 1, way ? cps[i] : eh_fold(cps[i]));
			memcpy(text + 1 + len, "Q", 2);
			chunk_with_at(chunk, text, i % 2);
			bool kept_chunk = eh_prefilter_scan_chunk(sc, chunk, EH_CHUNK_SIZE);
			const uint64_t *in =
				eh_prefilter_record_rules(sc, EH_CHUNK_HEADER_SIZE, EH_CHUNK_HEADER_SIZE + 4096);
			cr_assert(kept_chunk && in && (in[i / 64] >> (i % 64) & 1), "U+%04X, %s", (unsigned)cps[i],
				  way ? "the rule folded" : "the record folded");
		}
		eh_prefilter_scan_free(sc);
		eh_prefilter_free(pf);
		eh_ruleset_free(rs);
		buf_free(&yaml);
	}
}

/* A rule value may hold a NUL ("\0" in YAML): literals are bytes with a
 * length, never C strings. Cut at the NUL, "\0" beside another literal
 * became an empty literal that crashed Hyperscan at start-up. */
ENGINE_TEST(literals, a_nul_is_part_of_the_literal)
{
	cr_assert_str_eq(literals(engine, "  a:\n    Image|endswith: '\\\\x.exe'\n  b:\n    CommandLine|contains: \"\\0\"\n"
				  "  condition: 1 of a*\n"),
			 "\\x.exe");
	cr_assert_str_eq(literals(engine, "  a:\n    Image|endswith: '\\\\x.exe'\n  b:\n    CommandLine|contains: \"\\0\"\n"
				  "  condition: a or b\n"),
			 "\\0|\\x.exe");
	cr_assert_str_eq(literals(engine, "  a:\n    CommandLine|contains: \"x\\0yz\"\n  condition: a\n"), "x\\0yz");
}

/* Duplicates go, and only duplicates: two values alike up to a NUL are
 * two literals (strlen made them one, "a"). */
ENGINE_TEST(literals, dedupe_keeps_literals_that_differ_after_a_nul)
{
	cr_assert_str_eq(literals(engine, "  a:\n    CommandLine|contains:\n      - \"a\\0b\"\n      - \"a\\0c\"\n"
				  "      - \"a\\0b\"\n      - 'A'\n  condition: a\n"),
			 "a|a\\0b|a\\0c");
}

/* Many values, many duplicates: each distinct literal once, over rules. */
ENGINE_TEST(literals, dedupe_of_a_long_list)
{
	struct buf yaml;
	buf_init(&yaml);
	for (int rule = 0; rule < 2; rule++) {
		buf_addf(&yaml, "%s" HEAD "  a:\n    CommandLine|contains:\n", rule ? "---\n" : "");
		for (int i = 0; i < 30000; i++)
			buf_addf(&yaml, "      - 'ioc%d'\n", i % 20000);
		buf_adds(&yaml, "  condition: a\n");
	}
	struct eh_ruleset *rs = load(yaml.data);
	struct eh_prefilter *pf = build(rs, engine);
	cr_assert_eq(eh_prefilter_literals(pf), 20000);
	bool always;
	size_t n;
	eh_prefilter_rule_literals(pf, 1, &n, &always);
	cr_assert_eq(n, 20000);
	eh_prefilter_free(pf);
	eh_ruleset_free(rs);
	buf_free(&yaml);
}

/* A record holding the NUL-bearing value is kept, one without it not. */
ENGINE_TEST(scan, finds_a_literal_with_a_nul)
{
	struct eh_ruleset *rs = load(HEAD "  a:\n    CommandLine|contains: \"a\\0b\"\n  condition: a\n");
	struct eh_prefilter *pf = build(rs, engine);
	struct eh_prefilter_scan *sc = eh_prefilter_scan_new(pf);
	static uint8_t c[EH_CHUNK_SIZE];
	chunk_with_bytes(c, "xxA\0By", 7, 0);
	cr_assert(eh_prefilter_scan_chunk(sc, c, EH_CHUNK_SIZE), "a, NUL, b: kept");
	chunk_with_bytes(c, "xxab y", 6, 0);
	cr_assert_not(eh_prefilter_scan_chunk(sc, c, EH_CHUNK_SIZE), "a, b without the NUL: not kept");
	eh_prefilter_scan_free(sc);
	eh_prefilter_free(pf);
	eh_ruleset_free(rs);
}

/* The prefilter looks for a value's first 64 bytes: as necessary as the
 * value, and the pattern stays short. */
ENGINE_TEST(literals, long_values_give_their_first_64_bytes)
{
	char det[512];
	snprintf(det, sizeof det, "  a:\n    CommandLine|contains: '%0100d'\n  condition: a\n", 7);
	char want[65];
	snprintf(want, sizeof want, "%064d", 0);
	cr_assert_str_eq(literals(engine, det), want);
}

/* Past 50,000 distinct literals every literal is cut to the longest
 * length that keeps them within it (Hyperscan took 5 s for 200,000):
 * still sound, every value's record kept. */
ENGINE_TEST(literals, past_50000_literals_they_are_cut_and_still_found)
{
	struct buf yaml;
	buf_init(&yaml);
	buf_adds(&yaml, HEAD "  a:\n    CommandLine|contains:\n");
	for (int i = 0; i < 60000; i++)
		buf_addf(&yaml, "      - 'ioc%06d'\n", i);
	buf_adds(&yaml, "  condition: a\n");
	struct eh_ruleset *rs = load(yaml.data);
	struct eh_prefilter *pf = build(rs, engine);
	cr_assert_eq(eh_prefilter_literals(pf), 6000, "ioc00000 to ioc05999: cut to 8 bytes");
	struct eh_prefilter_scan *sc = eh_prefilter_scan_new(pf);
	static uint8_t c[EH_CHUNK_SIZE];
	chunk_with(c, "x IOC059999 y");
	cr_assert(eh_prefilter_scan_chunk(sc, c, EH_CHUNK_SIZE), "the last value's record kept");
	chunk_with(c, "x ioc1 y");
	cr_assert_not(eh_prefilter_scan_chunk(sc, c, EH_CHUNK_SIZE), "a record without any value's start: not kept");
	eh_prefilter_scan_free(sc);
	eh_prefilter_free(pf);
	eh_ruleset_free(rs);
	buf_free(&yaml);
}

/* PowerShell's script blocks and module events: their text fields give
 * literals (a block is long: evaluating every ps_script rule on it cost
 * more than the chunk's scan); their integers do not. */
ENGINE_TEST(literals, powershell_text_fields)
{
	struct eh_ruleset *rs = load("title: t\nlogsource:\n  category: ps_script\n  product: windows\ndetection:\n"
				     "  a:\n    ScriptBlockText|contains: 'Invoke-Mimikatz'\n  condition: a\n");
	cr_assert_str_eq(literal_set(rs, engine), "invoke-mimikatz");
	eh_ruleset_free(rs);
	rs = load("title: t\nlogsource:\n  category: ps_script\n  product: windows\ndetection:\n"
		  "  a:\n    MessageNumber: 1\n  condition: a\n");
	cr_assert_str_eq(literal_set(rs, engine), "ANY", "an integer in the record");
	eh_ruleset_free(rs);
	rs = load("title: t\nlogsource:\n  category: ps_module\n  product: windows\ndetection:\n"
		  "  a:\n    Payload|contains: 'Get-Process'\n  condition: a\n");
	cr_assert_str_eq(literal_set(rs, engine), "get-process");
	eh_ruleset_free(rs);
}
