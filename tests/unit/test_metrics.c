/* Log metrics and integrity findings from events fed as a scan feeds
 * them, and the SHA-256 behind the report's digests. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/metrics.h"
#include "evtxhunt/sha256.h"

#define SEC INT64_C(10000000)
#define T0 (INT64_C(133000000000000000)) /* 2022-06-13 */

/* Feeds one event: provider, event id, record id, time, recovered. */
static void feed(struct eh_metrics *m, const char *file, const char *provider, uint32_t eid, uint64_t rid, int64_t t,
		 bool recovered, const char *user)
{
	struct eh_event ev;
	eh_event_init(&ev);
	if (user)
		eh_event_add_field(&ev, "SubjectUserName", 15, user, strlen(user));
	eh_event_finish(&ev);
	ev.provider = provider;
	ev.channel = "Security";
	ev.computer = "DC1";
	ev.event_id = eid;
	ev.record_id = rid;
	ev.time = t;
	ev.recovered = recovered;
	eh_metrics_event(&ev, file, m);
	eh_event_release(&ev);
}

static size_t count_kind(const struct eh_metrics *m, enum eh_finding_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nfindings; i++)
		n += m->findings[i].kind == k;
	return n;
}

static const struct eh_finding *first_of(const struct eh_metrics *m, enum eh_finding_kind k)
{
	for (size_t i = 0; i < m->nfindings; i++)
		if (m->findings[i].kind == k)
			return &m->findings[i];
	return NULL;
}

Test(metrics, a_clean_log_has_no_findings)
{
	struct eh_metrics m;
	eh_metrics_init(&m);
	for (uint64_t i = 1; i <= 100; i++)
		feed(&m, "a.evtx", "Microsoft-Windows-Security-Auditing", 4624, i, T0 + (int64_t)i * SEC, false, NULL);
	eh_metrics_finish(&m);
	cr_assert_eq(m.nfindings, 0);
	cr_assert_eq(m.nlogs, 1);
	cr_assert_eq(m.logs[0].records, 100);
	cr_assert_eq(m.logs[0].first, T0 + SEC);
	cr_assert_eq(m.logs[0].last, T0 + 100 * SEC);
	cr_assert_eq(m.logs[0].nids, 1);
	cr_assert_eq(m.logs[0].ids[0].n, 100);
	cr_assert_eq(m.ncomputers, 1);
	cr_assert_eq(m.computers[0].nspans, 1, "one stretch of coverage");
	eh_metrics_release(&m);
}

Test(metrics, a_gap_is_reported_once_with_its_place)
{
	struct eh_metrics m;
	eh_metrics_init(&m);
	for (uint64_t i = 1; i <= 10; i++)
		feed(&m, "a.evtx", "x", 4624, i, T0 + (int64_t)i * SEC, false, NULL);
	for (uint64_t i = 20; i <= 30; i++)
		feed(&m, "a.evtx", "x", 4624, i, T0 + (int64_t)i * SEC, false, NULL);
	eh_metrics_finish(&m);
	cr_assert_eq(m.nfindings, 1);
	const struct eh_finding *f = first_of(&m, EH_FINDING_RECORD_GAP);
	cr_assert_not_null(f);
	cr_assert_eq(f->record, 10);
	cr_assert_eq(f->record2, 20);
	cr_assert_str_eq(f->file, "a.evtx");
	cr_assert(strstr(f->what, "records 11 to 19 (9) are missing") != NULL, "%s", f->what);
	eh_metrics_release(&m);
}

Test(metrics, chunks_out_of_order_are_no_gap)
{
	/* a log that wrapped: its file order is not its record order */
	struct eh_metrics m;
	eh_metrics_init(&m);
	for (uint64_t i = 50; i <= 60; i++)
		feed(&m, "a.evtx", "x", 1, i, T0 + (int64_t)i * SEC, false, NULL);
	for (uint64_t i = 30; i <= 49; i++)
		feed(&m, "a.evtx", "x", 1, i, T0 + (int64_t)i * SEC, false, NULL);
	eh_metrics_finish(&m);
	cr_assert_eq(m.nfindings, 0);
	eh_metrics_release(&m);
}

Test(metrics, time_backwards_past_the_threshold)
{
	struct eh_metrics m;
	eh_metrics_init(&m);
	feed(&m, "a.evtx", "x", 1, 1, T0 + 1000 * SEC, false, NULL);
	feed(&m, "a.evtx", "x", 1, 2, T0 + 990 * SEC, false, NULL); /* 10 s back: under */
	feed(&m, "a.evtx", "x", 1, 3, T0 + 500 * SEC, false, NULL); /* 490 s back */
	feed(&m, "a.evtx", "x", 1, 4, T0 + 501 * SEC, false, NULL);
	eh_metrics_finish(&m);
	cr_assert_eq(count_kind(&m, EH_FINDING_TIME_BACKWARDS), 1);
	const struct eh_finding *f = first_of(&m, EH_FINDING_TIME_BACKWARDS);
	cr_assert_eq(f->record, 3);
	cr_assert_eq(f->record2, 2);
	cr_assert(strstr(f->what, "time goes back 490 s") != NULL, "%s", f->what);
	eh_metrics_release(&m);
}

Test(metrics, cleared_and_service_events)
{
	struct eh_metrics m;
	eh_metrics_init(&m);
	feed(&m, "s.evtx", "Microsoft-Windows-Eventlog", 1102, 1, T0, false, "mallory");
	feed(&m, "s.evtx", "Microsoft-Windows-Eventlog", 1100, 2, T0 + SEC, false, NULL);
	feed(&m, "s.evtx", "EventLog", 6005, 3, T0 + 2 * SEC, false, NULL);
	feed(&m, "s.evtx", "EventLog", 6006, 4, T0 + 3 * SEC, false, NULL);
	feed(&m, "s.evtx", "Some-Other-Provider", 1102, 5, T0 + 4 * SEC, false, NULL);
	eh_metrics_finish(&m);
	cr_assert_eq(count_kind(&m, EH_FINDING_CLEARED), 1, "1102 of another provider is not a clearing");
	cr_assert_eq(count_kind(&m, EH_FINDING_SERVICE_STOP), 2);
	cr_assert_eq(count_kind(&m, EH_FINDING_SERVICE_START), 1);
	cr_assert(strstr(first_of(&m, EH_FINDING_CLEARED)->what, "by mallory") != NULL);
	cr_assert_eq(m.nfindings, 4);
	eh_metrics_release(&m);
}

Test(metrics, recovered_records_without_a_live_copy)
{
	struct eh_metrics m;
	eh_metrics_init(&m);
	for (uint64_t i = 1; i <= 10; i++)
		feed(&m, "a.evtx", "x", 1, i, T0 + (int64_t)i * SEC, false, NULL);
	feed(&m, "a.evtx", "x", 1, 5, T0 + 5 * SEC, true, NULL); /* has its live copy */
	feed(&m, "a.evtx", "x", 1, 12, T0 + 12 * SEC, true, NULL);
	feed(&m, "a.evtx", "x", 1, 13, T0 + 13 * SEC, true, NULL);
	feed(&m, "a.evtx", "x", 1, 13, T0 + 13 * SEC, true, NULL); /* carved twice */
	for (uint64_t i = 14; i <= 20; i++)
		feed(&m, "a.evtx", "x", 1, i, T0 + (int64_t)i * SEC, false, NULL);
	eh_metrics_finish(&m);
	cr_assert_eq(count_kind(&m, EH_FINDING_RECOVERED_ONLY), 1, "one run of ids, one finding");
	const struct eh_finding *f = first_of(&m, EH_FINDING_RECOVERED_ONLY);
	cr_assert_eq(f->record, 12);
	cr_assert_eq(f->record2, 13);
	cr_assert_eq(count_kind(&m, EH_FINDING_RECORD_GAP), 1, "the live records still miss 11 to 13");
	cr_assert_eq(m.logs[0].recovered, 4);
	eh_metrics_release(&m);
}

Test(metrics, no_gaps_when_filters_left_records_out)
{
	struct eh_metrics m;
	eh_metrics_init(&m);
	m.partial = true;
	feed(&m, "a.evtx", "x", 1, 1, T0, false, NULL);
	feed(&m, "a.evtx", "x", 1, 9, T0 + SEC, false, NULL);
	feed(&m, "a.evtx", "x", 1, 5, T0 + SEC, true, NULL); /* its live copy may have been left out */
	eh_metrics_finish(&m);
	cr_assert_eq(m.nfindings, 0);
	eh_metrics_release(&m);
}

Test(metrics, coverage_stretches_split_at_an_hour)
{
	struct eh_metrics m;
	eh_metrics_init(&m);
	feed(&m, "a.evtx", "x", 1, 1, T0, false, NULL);
	feed(&m, "a.evtx", "x", 1, 2, T0 + 600 * SEC, false, NULL);
	feed(&m, "a.evtx", "x", 1, 3, T0 + 2 * 3600 * SEC, false, NULL);
	eh_metrics_finish(&m);
	cr_assert_eq(m.computers[0].nspans, 2);
	cr_assert_eq(m.computers[0].spans[0].last, T0 + 600 * SEC);
	eh_metrics_release(&m);
}

/* The reader's damage has no record id: a file's damage comes first, in
 * the order it was met (its place is in its text), and a log that is all
 * damage is a log of the metrics. */
Test(metrics, damage_in_the_order_met)
{
	struct eh_metrics m;
	eh_metrics_init(&m);
	for (uint64_t i = 1; i <= 5; i++)
		feed(&m, "b.evtx", "x", 4624, i, T0 + (int64_t)i * SEC, false, NULL);
	eh_metrics_damage("b.evtx", "chunk 9: late", &m);
	eh_metrics_damage("b.evtx", "chunk 2: early", &m);
	feed(&m, "b.evtx", "x", 4624, 9, T0 + 9 * SEC, false, NULL);
	eh_metrics_damage("a.evtx", "file header: no ElfFile signature", &m);
	eh_metrics_finish(&m);
	cr_assert_eq(m.nlogs, 2);
	cr_assert_eq(m.nfindings, 4);
	cr_assert_str_eq(m.findings[0].file, "a.evtx");
	cr_assert_eq(m.findings[0].kind, EH_FINDING_DAMAGE);
	cr_assert_str_eq(m.findings[1].what, "chunk 9: late");
	cr_assert_str_eq(m.findings[2].what, "chunk 2: early");
	cr_assert_eq(m.findings[3].kind, EH_FINDING_RECORD_GAP);
	cr_assert_not(eh_finding_has_record(EH_FINDING_DAMAGE));
	cr_assert(eh_finding_has_record(EH_FINDING_RECORD_GAP));
	eh_metrics_release(&m);
}

static const char *hex_of(const char *s, size_t n)
{
	static char out[65];
	struct eh_sha256 c;
	uint8_t d[32];
	eh_sha256_init(&c);
	/* fed in uneven pieces, to cross block boundaries */
	for (size_t i = 0; i < n;) {
		size_t k = n - i < 7 ? n - i : 7;
		eh_sha256_update(&c, s + i, k);
		i += k;
	}
	eh_sha256_final(&c, d);
	eh_sha256_hex(d, out);
	return out;
}

Test(sha256, fips_180_vectors)
{
	cr_assert_str_eq(hex_of("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cr_assert_str_eq(hex_of("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	cr_assert_str_eq(hex_of(two, strlen(two)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *a = malloc(1000000);
	memset(a, 'a', 1000000);
	cr_assert_str_eq(hex_of(a, 1000000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

Test(sha256, base64_for_csp)
{
	char b[45];
	eh_sha256_base64("abc", 3, b);
	cr_assert_str_eq(b, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}
