/* Sigma matcher: compiled rules against a normalized event. Allocates
 * nothing; comparisons fold ASCII case unless the value is |cased. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/sigma_internal.h"
#include "evtxhunt/util.h"

static inline unsigned char _fold(unsigned char c, bool cased)
{
	return cased ? c : ascii_lower(c);
}

/* Compares S with the (already folded) literal P of length N. */
static bool _same(const char *s, const char *p, size_t n, bool cased)
{
	for (size_t i = 0; i < n; i++)
		if (_fold((unsigned char)s[i], cased) != (unsigned char)p[i])
			return false;
	return true;
}

static bool _contains(const char *s, size_t len, const char *p, size_t n, bool cased)
{
	if (n == 0)
		return true;
	if (n > len)
		return false;
	unsigned char first = (unsigned char)p[0];
	for (size_t i = 0; i + n <= len; i++)
		if (_fold((unsigned char)s[i], cased) == first && _same(s + i + 1, p + 1, n - 1, cased))
			return true;
	return false;
}

/* Length of the UTF-8 character at S (1 for a stray byte). */
static size_t _utf8_len(const char *s, size_t left)
{
	unsigned char c = (unsigned char)s[0];
	size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (n > left)
		return 1;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

/* Glob match with backtracking to the last star only: linear in practice,
 * never exponential. '?' takes one UTF-8 character. */
static bool _glob(const uint16_t *g, size_t gn, const char *s, size_t len, bool cased)
{
	size_t gi = 0, si = 0, star_g = (size_t)-1, star_s = 0;
	while (si < len) {
		if (gi < gn && g[gi] == GLOB_STAR) {
			star_g = gi++;
			star_s = si;
		} else if (gi < gn && g[gi] == GLOB_ONE) {
			gi++;
			si += _utf8_len(s + si, len - si);
		} else if (gi < gn && g[gi] == _fold((unsigned char)s[si], cased)) {
			gi++;
			si++;
		} else if (star_g != (size_t)-1) {
			gi = star_g + 1;
			si = ++star_s;
		} else {
			return false;
		}
	}
	while (gi < gn && g[gi] == GLOB_STAR)
		gi++;
	return gi == gn;
}

/* One match-data block per thread, made once: a single pair is enough to
 * tell a match from none, whatever the pattern's groups. */
static _Thread_local pcre2_match_data *thread_match_data;

void eh_match_thread_done(void)
{
	pcre2_match_data_free(thread_match_data);
	thread_match_data = NULL;
}

static bool _re(const pcre2_code *re, const char *s, size_t len)
{
	if (thread_match_data == NULL)
		thread_match_data = pcre2_match_data_create(1, NULL);
	return pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, thread_match_data, NULL) >= 0;
}

static bool _cidr(const struct sigma_value *v, const char *s, size_t len)
{
	char text[64];
	uint8_t addr[16];
	if (len == 0 || len >= sizeof text)
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(v->family, text, addr) != 1)
		return false;
	unsigned full = v->prefix / 8, rest = v->prefix % 8;
	if (memcmp(addr, v->net, full) != 0)
		return false;
	return rest == 0 || ((addr[full] ^ v->net[full]) & (0xff << (8 - rest))) == 0;
}

static bool _compare(const struct sigma_value *v, const char *s, size_t len)
{
	char text[64], *end;
	if (len == 0 || len >= sizeof text)
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	double d = strtod(text, &end);
	if (end == text || *end)
		return false;
	switch (v->compare) {
	case CMP_GT:
		return d > v->number;
	case CMP_GTE:
		return d >= v->number;
	case CMP_LT:
		return d < v->number;
	case CMP_LTE:
		return d <= v->number;
	}
	return false;
}

/* Whether A and B (N bytes each) are equal, folding both unless cased. */
static bool _same_both(const char *a, const char *b, size_t n, bool cased)
{
	for (size_t i = 0; i < n; i++)
		if (_fold((unsigned char)a[i], cased) != _fold((unsigned char)b[i], cased))
			return false;
	return true;
}

/* Field S compared with the field the value names, from the same event. */
static bool _fieldref(const struct sigma_value *v, const char *s, size_t len, const struct eh_event *ev)
{
	size_t rlen;
	const char *r = ev ? eh_event_get(ev, v->ref, &rlen) : NULL;
	if (r == NULL)
		return false;
	switch (v->position) {
	case POS_EQ:
		return len == rlen && _same_both(s, r, len, v->cased);
	case POS_STARTSWITH:
		return rlen <= len && _same_both(s, r, rlen, v->cased);
	case POS_ENDSWITH:
		return rlen <= len && _same_both(s + len - rlen, r, rlen, v->cased);
	case POS_CONTAINS:
		for (size_t i = 0; i + rlen <= len; i++)
			if (_same_both(s + i, r, rlen, v->cased))
				return true;
		return false;
	}
	return false;
}

bool sigma_value_match(const struct sigma_value *v, const char *s, size_t len, const struct eh_event *ev)
{
	switch (v->kind) {
	case SV_EQ:
		return len == v->len && _same(s, v->lit, len, v->cased);
	case SV_CONTAINS:
		return _contains(s, len, v->lit, v->len, v->cased);
	case SV_STARTSWITH:
		return len >= v->len && _same(s, v->lit, v->len, v->cased);
	case SV_ENDSWITH:
		return len >= v->len && _same(s + len - v->len, v->lit, v->len, v->cased);
	case SV_GLOB:
		return _glob(v->glob, v->glen, s, len, v->cased);
	case SV_NULL:
		return len == 0;
	case SV_EXISTS:
		return v->exists;
	case SV_RE:
		return _re(v->re, s, len);
	case SV_CIDR:
		return _cidr(v, s, len);
	case SV_FIELDREF:
		return _fieldref(v, s, len, ev);
	case SV_COMPARE:
		return _compare(v, s, len);
	}
	return false;
}

/* One value against the event: a field's value, or (keywords) any field. */
static bool _value_holds(const struct sigma_test *t, const struct sigma_value *v, const struct eh_event *ev)
{
	if (t->field == NULL) {
		for (size_t i = 0; i < ev->nfields; i++)
			if (sigma_value_match(v, ev->fields[i].value, ev->fields[i].len, ev))
				return true;
		return false;
	}
	size_t len;
	const char *s = eh_event_get(ev, t->field, &len);
	if (s == NULL) /* absent: only 'null' and 'exists: false' hold */
		return v->kind == SV_NULL || (v->kind == SV_EXISTS && !v->exists);
	return sigma_value_match(v, s, len, ev);
}

static bool _test_holds(const struct sigma_test *t, const struct eh_event *ev)
{
	for (size_t i = 0; i < t->nvalues; i++) {
		bool ok = _value_holds(t, &t->values[i], ev);
		if (t->all && !ok)
			return false;
		if (!t->all && ok)
			return true;
	}
	return t->all;
}

static bool _selection_holds(const struct sigma_selection *sel, const struct eh_event *ev)
{
	for (size_t i = 0; i < sel->nmaps; i++) {
		const struct sigma_map *m = &sel->maps[i];
		size_t j = 0;
		while (j < m->ntests && _test_holds(&m->tests[j], ev))
			j++;
		if (j == m->ntests)
			return true;
	}
	return false;
}

static bool _eval(const struct sigma_rule_body *b, const struct sigma_cond *c, const struct eh_event *ev)
{
	switch (c->op) {
	case C_AND:
		return _eval(b, c->a, ev) && _eval(b, c->b, ev);
	case C_OR:
		return _eval(b, c->a, ev) || _eval(b, c->b, ev);
	case C_NOT:
		return !_eval(b, c->a, ev);
	case C_SEL:
		return _selection_holds(&b->sels[c->sels[0]], ev);
	case C_ONE_OF:
		for (size_t i = 0; i < c->nsels; i++)
			if (_selection_holds(&b->sels[c->sels[i]], ev))
				return true;
		return false;
	case C_ALL_OF:
		for (size_t i = 0; i < c->nsels; i++)
			if (!_selection_holds(&b->sels[c->sels[i]], ev))
				return false;
		return true;
	}
	return false;
}

bool sigma_rule_match(const struct eh_rule *rule, const struct eh_event *ev)
{
	return _eval(rule->body, rule->body->cond, ev);
}
