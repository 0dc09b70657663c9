/* The HTML report (see html.h). Two passes over the timeline: the first
 * counts (levels, rules, computers, tactics, the picture's buckets), the
 * second streams the hits as JSON into the file; field names and values
 * are written once each, in a string table after the hits. */
#define _GNU_SOURCE /* fopencookie */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "evtxhunt/builtin.h"
#include "evtxhunt/rulepack.h"
#include "evtxhunt/html.h"
#include "evtxhunt/keyfields.h"
#include "evtxhunt/logsource.h"
#include "evtxhunt/output.h"
#include "evtxhunt/sha256.h"
#include "evtxhunt/walk.h"
#include "evtxhunt/yamltree.h"

/* The page's own script and style; the Content-Security-Policy allows
 * these two by their SHA-256 and nothing else. */
static const char report_js[] =
	"(function () {\n"
	"'use strict';\n"
	"var t0 = performance.now();\n"
	"function $(id) { return document.getElementById(id); }\n"
	"function J(id) { return JSON.parse($(id).textContent); }\n"
	"var M = J('eh-meta'), H = J('eh-hits'), S = J('eh-strings');\n"
	"var LV = ['informational', 'low', 'medium', 'high', 'critical'];\n"
	"var PAGE = 200;\n"
	"/* controls, escapes and bidirectional marks made visible, as on a terminal */\n"
	"var BAD = /[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ufeff]/g;\n"
	"function hex(c, n) { var h = c.charCodeAt(0).toString(16).toUpperCase(); while (h.length < n) h = '0' + h; return h; }\n"
	"function vis(s) {\n"
	"\treturn String(s).replace(BAD, function (c) {\n"
	"\t\treturn c === '\\n' ? '\\\\n' : c === '\\r' ? '\\\\r' : c === '\\t' ? '\\\\t' :\n"
	"\t\t\tc.charCodeAt(0) < 0x80 ? '\\\\x' + hex(c, 2) : '\\\\u' + hex(c, 4);\n"
	"\t});\n"
	"}\n"
	"function el(tag, cls, text) {\n"
	"\tvar e = document.createElement(tag);\n"
	"\tif (cls) e.className = cls;\n"
	"\tif (text !== undefined && text !== null) e.textContent = vis(text);\n"
	"\treturn e;\n"
	"}\n"
	"/* a hit: [time, computer, rule, file, record id, event id, recovered, channel, key fields, fields, provider] */\n"
	"function rule(h) { return M.rules[h[2]]; }\n"
	"function level(h) { return rule(h).level || ''; }\n"
	"function rank(h) { return LV.indexOf(level(h)); }\n"
	"function details(h) {\n"
	"\tvar f = h[9], k = h[8], out = [];\n"
	"\tfor (var i = 0; i < k.length; i++) out.push(S[f[2 * k[i]]] + ': ' + S[f[2 * k[i] + 1]]);\n"
	"\treturn out.join(' \\u00a6 ');\n"
	"}\n"
	"var hay = null;\n"
	"function text(i) {\n"
	"\tif (hay === null) hay = new Array(H.length);\n"
	"\tif (hay[i] === undefined) {\n"
	"\t\tvar h = H[i], f = h[9], parts = [h[0], M.computers[h[1]], rule(h).title, M.files[h[3]], h[4], h[5]];\n"
	"\t\tfor (var j = 0; j < f.length; j++) parts.push(S[f[j]]);\n"
	"\t\thay[i] = parts.join('\\n').toLowerCase();\n"
	"\t}\n"
	"\treturn hay[i];\n"
	"}\n"
	"var state = { level: '', rule: '', computer: '', q: '', sort: 'time', desc: false, open: -1 };\n"
	"(function () {\n"
	"\tvar kv = location.hash.replace(/^#/, '').split('&');\n"
	"\tfor (var i = 0; i < kv.length; i++) {\n"
	"\t\tvar p = kv[i].indexOf('=');\n"
	"\t\tif (p < 0) continue;\n"
	"\t\tvar k = decodeURIComponent(kv[i].slice(0, p)), v = decodeURIComponent(kv[i].slice(p + 1).replace(/\\+/g, ' '));\n"
	"\t\tif (k === 'level' || k === 'rule' || k === 'computer' || k === 'q' || k === 'sort') state[k] = v;\n"
	"\t\telse if (k === 'desc') state.desc = v === '1';\n"
	"\t\telse if (k === 'open') state.open = parseInt(v, 10);\n"
	"\t}\n"
	"})();\n"
	"function options(sel, values, label) {\n"
	"\tsel.appendChild(el('option', null, label)).value = '';\n"
	"\tfor (var i = 0; i < values.length; i++) sel.appendChild(el('option', null, values[i])).value = values[i];\n"
	"}\n"
	"var fl = $('f-level'), fr = $('f-rule'), fc = $('f-computer'), fq = $('f-q');\n"
	"var present = [];\n"
	"for (var i = LV.length - 1; i >= 0; i--) present.push(LV[i]);\n"
	"options(fl, present, 'every level');\n"
	"options(fr, M.rules.map(function (r) { return r.title; }).sort(), 'every rule');\n"
	"options(fc, M.computers.slice().sort(), 'every computer');\n"
	"fl.value = state.level; fr.value = state.rule; fc.value = state.computer; fq.value = state.q;\n"
	"var shown = [], rendered = 0, body = $('hits-body');\n"
	"function keyOf(h, i) {\n"
	"\tswitch (state.sort) {\n"
	"\tcase 'computer': return M.computers[h[1]];\n"
	"\tcase 'level': return rank(h);\n"
	"\tcase 'rule': return rule(h).title;\n"
	"\tdefault: return i; /* the hits come in time order */\n"
	"\t}\n"
	"}\n"
	"function apply() {\n"
	"\tstate.level = fl.value; state.rule = fr.value; state.computer = fc.value; state.q = fq.value;\n"
	"\tvar q = state.q.toLowerCase();\n"
	"\tshown = [];\n"
	"\tfor (var i = 0; i < H.length; i++) {\n"
	"\t\tvar h = H[i];\n"
	"\t\tif (state.level && level(h) !== state.level) continue;\n"
	"\t\tif (state.rule && rule(h).title !== state.rule && rule(h).id !== state.rule) continue;\n"
	"\t\tif (state.computer && M.computers[h[1]] !== state.computer) continue;\n"
	"\t\tif (q && text(i).indexOf(q) < 0) continue;\n"
	"\t\tshown.push(i);\n"
	"\t}\n"
	"\tvar dir = state.desc ? -1 : 1;\n"
	"\tshown.sort(function (a, b) {\n"
	"\t\tvar x = keyOf(H[a], a), y = keyOf(H[b], b);\n"
	"\t\treturn x < y ? -dir : x > y ? dir : a - b;\n"
	"\t});\n"
	"\twhile (body.firstChild) body.removeChild(body.firstChild);\n"
	"\trendered = 0;\n"
	"\tmore();\n"
	"}\n"
	"function row(i) {\n"
	"\tvar h = H[i], tr = el('tr', 'hit lv-' + (rank(h) + 1));\n"
	"\ttr.appendChild(el('td', 't', h[0]));\n"
	"\ttr.appendChild(el('td', null, M.computers[h[1]]));\n"
	"\ttr.appendChild(el('td', 'lvl', level(h)));\n"
	"\ttr.appendChild(el('td', null, rule(h).title));\n"
	"\ttr.appendChild(el('td', 'kf', details(h)));\n"
	"\ttr.addEventListener('click', function () { toggle(tr, i); });\n"
	"\treturn tr;\n"
	"}\n"
	"function pair(dl, k, v) { dl.appendChild(el('dt', null, k)); dl.appendChild(el('dd', null, v)); }\n"
	"function toggle(tr, i) {\n"
	"\tvar next = tr.nextSibling;\n"
	"\tif (next && next.className === 'open') { body.removeChild(next); return; }\n"
	"\tvar h = H[i], r = rule(h), d = el('tr', 'open'), td = el('td'), dl = el('dl');\n"
	"\ttd.colSpan = 5;\n"
	"\tpair(dl, 'file', M.files[h[3]]);\n"
	"\tpair(dl, 'record id', h[4] + (h[6] ? ' (recovered from slack)' : ''));\n"
	"\tpair(dl, 'event id', h[5]);\n"
	"\tpair(dl, 'channel', S[h[7]]);\n"
	"\tpair(dl, 'provider', S[h[10]]);\n"
	"\tvar f = h[9];\n"
	"\tfor (var j = 0; j < f.length; j += 2) pair(dl, S[f[j]], S[f[j + 1]]);\n"
	"\ttd.appendChild(el('h4', null, 'Event'));\n"
	"\ttd.appendChild(dl);\n"
	"\tvar rl = el('dl');\n"
	"\tpair(rl, 'title', r.title);\n"
	"\tpair(rl, 'id', r.id);\n"
	"\tpair(rl, 'level', r.level);\n"
	"\tpair(rl, 'status', r.status);\n"
	"\tpair(rl, 'description', r.description);\n"
	"\tpair(rl, 'tags', r.tags.join(', '));\n"
	"\tpair(rl, 'false positives', r.falsepositives.join('\\n'));\n"
	"\tpair(rl, 'references', r.references.join('\\n'));\n"
	"\tpair(rl, 'file', r.file);\n"
	"\ttd.appendChild(el('h4', null, 'Rule'));\n"
	"\ttd.appendChild(rl);\n"
	"\td.appendChild(td);\n"
	"\tbody.insertBefore(d, next);\n"
	"}\n"
	"function more() {\n"
	"\tvar end = Math.min(shown.length, rendered + PAGE), frag = document.createDocumentFragment();\n"
	"\tfor (; rendered < end; rendered++) frag.appendChild(row(shown[rendered]));\n"
	"\tbody.appendChild(frag);\n"
	"\t$('hits-count').textContent = 'showing ' + rendered + ' of ' + shown.length + ' hits (' + H.length + ' in all)';\n"
	"\t$('hits-more').hidden = rendered >= shown.length;\n"
	"}\n"
	"fl.addEventListener('change', apply);\n"
	"fr.addEventListener('change', apply);\n"
	"fc.addEventListener('change', apply);\n"
	"var timer = 0;\n"
	"fq.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 200); });\n"
	"$('hits-more').addEventListener('click', more);\n"
	"var heads = document.querySelectorAll('#hits th[data-sort]');\n"
	"for (var k = 0; k < heads.length; k++)\n"
	"\theads[k].addEventListener('click', function () {\n"
	"\t\tvar s = this.getAttribute('data-sort');\n"
	"\t\tstate.desc = state.sort === s ? !state.desc : false;\n"
	"\t\tstate.sort = s;\n"
	"\t\tapply();\n"
	"\t});\n"
	"apply();\n"
	"if (state.open >= 0 && state.open < rendered) toggle(body.children[state.open], shown[state.open]);\n"
	"document.documentElement.setAttribute('data-ready-ms', String(Math.round(performance.now() - t0)));\n"
	"})();\n";

static const char report_css[] =
	"body { font: 14px/1.4 system-ui, sans-serif; margin: 1em 2em; color: #222; background: #fff; }\n"
	"h1 { font-size: 1.5em; margin: 0 0 .3em; } h2 { font-size: 1.2em; margin: 1.4em 0 .4em; border-bottom: 1px solid #ccc; }\n"
	"h4 { margin: .6em 0 .2em; }\n"
	"table { border-collapse: collapse; } td, th { padding: 2px 8px; text-align: left; vertical-align: top; border-bottom: 1px solid #eee; }\n"
	"th { background: #f3f3f3; } td.n { text-align: right; font-variant-numeric: tabular-nums; }\n"
	".cols { display: flex; flex-wrap: wrap; gap: 2em; } .cols > div { min-width: 16em; }\n"
	"td.mono, td.t { white-space: nowrap; }\n"
	"code, .t, .kf, dd, .mono { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }\n"
	"#hits th[data-sort] { cursor: pointer; text-decoration: underline dotted; }\n"
	"#hits tr.hit { cursor: pointer; } #hits tr.hit:hover { background: #f6f8ff; }\n"
	"#hits .kf { max-width: 50em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }\n"
	"#hits tr.open > td { background: #fafafa; }\n"
	"dl { display: grid; grid-template-columns: max-content 1fr; gap: 1px 1em; margin: 0; } dt { font-weight: 600; } dd { margin: 0; white-space: pre-wrap; }\n"
	".lv-5 .lvl, .c5 { color: #fff; background: #7b1fa2; } .lv-4 .lvl, .c4 { color: #fff; background: #d32f2f; }\n"
	".lv-3 .lvl, .c3 { background: #f9a825; } .lv-2 .lvl, .c2 { background: #9ccc65; } .lv-1 .lvl, .c1, .lv-0 .lvl, .c0 { background: #b0bec5; }\n"
	".key span { padding: 0 .5em; margin-right: .5em; }\n"
	".controls { margin: .5em 0; display: flex; gap: .5em; flex-wrap: wrap; } .controls input { width: 20em; }\n"
	".finding td:first-child { font-weight: 600; } .none { color: #777; } pre { white-space: pre-wrap; font-size: 12px; }\n"
	"summary { cursor: pointer; margin-bottom: .4em; }\n"
	"svg text { font: 11px system-ui, sans-serif; fill: #333; }\n";

static const char *const level_names[] = { "informational", "low", "medium", "high", "critical" };
#define NLEVELS 6 /* the five, and none or unknown at index 0 */
/* fills of the levels, index 0 none: the same colours as the style's */
static const char *const level_fill[NLEVELS] = { "#b0bec5", "#b0bec5", "#9ccc65", "#f9a825", "#d32f2f", "#7b1fa2" };

/* ATT&CK tactics as Sigma tags name them, in the matrix's order. */
static const char *const tactics[] = {
	"reconnaissance", "resource-development", "initial-access", "execution", "persistence",
	"privilege-escalation", "defense-evasion", "stealth", "defense-impairment", "credential-access", "discovery",
	"lateral-movement", "collection", "command-and-control", "exfiltration", "impact",
};
#define NTACTICS (sizeof tactics / sizeof tactics[0])

/* The picture: buckets over the time of the hits (and the logs' coverage),
 * and at most this many lanes (the rest share the last). */
enum { BUCKETS = 120, MAX_LANES = 24, PLOT_X = 170, PLOT_W = 900, LANE_H = 54, BAR_H = 44 };

/* ---- a string table: each distinct string once, by index ---------------- */

struct strtab {
	char **s;
	size_t *len;
	size_t n, cap;
	size_t *slots; /* open addressing, index + 1; 0: free */
	size_t capslots;
};

static void strtab_release(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->len);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static size_t strtab_add(struct strtab *t, const char *s, size_t len)
{
	if (2 * (t->n + 1) > t->capslots) {
		size_t cap = t->capslots ? 2 * t->capslots : 256;
		free(t->slots);
		t->slots = xcalloc(cap, sizeof *t->slots);
		t->capslots = cap;
		for (size_t i = 0; i < t->n; i++) {
			size_t k = eh_hash64(t->s[i], t->len[i], 0) & (cap - 1);
			while (t->slots[k])
				k = (k + 1) & (cap - 1);
			t->slots[k] = i + 1;
		}
	}
	size_t k = eh_hash64(s, len, 0) & (t->capslots - 1);
	for (; t->slots[k]; k = (k + 1) & (t->capslots - 1)) {
		size_t i = t->slots[k] - 1;
		if (t->len[i] == len && memcmp(t->s[i], s, len) == 0)
			return i;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->s = xreallocarray(t->s, t->cap, sizeof *t->s);
		t->len = xreallocarray(t->len, t->cap, sizeof *t->len);
	}
	t->s[t->n] = xmalloc(len + 1);
	memcpy(t->s[t->n], s, len);
	t->s[t->n][len] = '\0';
	t->len[t->n] = len;
	t->slots[k] = ++t->n;
	return t->n - 1;
}

/* ---- escaping ----------------------------------------------------------- */

/* Text for markup: controls and bidirectional marks made visible as on a
 * terminal, then & < > " ' as character references. */
static void html_text(struct buf *b, const char *s, size_t len)
{
	struct buf t;
	buf_init(&t);
	eh_escape_terminal(&t, s, len);
	for (size_t i = 0; i < t.len; i++) {
		switch (t.data[i]) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default: buf_addc(b, t.data[i]);
		}
	}
	buf_free(&t);
}

static void html_s(struct buf *b, const char *s)
{
	html_text(b, s ? s : "", s ? strlen(s) : 0);
}

/* A JSON string that cannot end the script element it is in, nor begin a
 * comment or be read as markup: < > & and the JavaScript line separators
 * U+2028 and U+2029 become \u escapes. */
static void json_html(struct buf *b, const char *s, size_t len)
{
	size_t start = b->len, extra = 0;
	eh_escape_json(b, s, len);
	unsigned char *d = (unsigned char *)b->data;
	for (size_t i = start; i < b->len; i++)
		if (d[i] == '<' || d[i] == '>' || d[i] == '&')
			extra += 5; /* one byte becomes six */
		else if (d[i] == 0xe2 && i + 2 < b->len && d[i + 1] == 0x80 && (d[i + 2] == 0xa8 || d[i + 2] == 0xa9))
			extra += 3; /* three bytes become six */
	if (extra == 0)
		return;
	buf_reserve(b, extra);
	d = (unsigned char *)b->data;
	/* widened in place, from the end */
	size_t r = b->len, w = b->len + extra;
	while (r > start) {
		unsigned char c = d[--r];
		const char *esc = c == '<' ? "\\u003c" : c == '>' ? "\\u003e" : c == '&' ? "\\u0026" : NULL;
		if (esc == NULL && (c == 0xa8 || c == 0xa9) && r >= start + 2 && d[r - 1] == 0x80 && d[r - 2] == 0xe2) {
			esc = c == 0xa8 ? "\\u2028" : "\\u2029";
			r -= 2;
		}
		if (esc) {
			w -= 6;
			memcpy(d + w, esc, 6);
		} else {
			d[--w] = c;
		}
	}
	b->len += extra;
	b->data[b->len] = '\0';
}

static void json_s(struct buf *b, const char *s)
{
	if (s)
		json_html(b, s, strlen(s));
	else
		buf_adds(b, "null");
}

/* ---- inputs --------------------------------------------------------------- */

struct inputs {
	struct eh_html_input *in;
	size_t n;
	unsigned shard, shards;
};

static void add_input(struct inputs *x, const char *path, const struct stat *st)
{
	if (x->shards > 1 && eh_hash64(path, strlen(path), 0) % x->shards != x->shard)
		return;
	x->in = xreallocarray(x->in, x->n + 1, sizeof *x->in);
	struct eh_html_input *e = &x->in[x->n++];
	memset(e, 0, sizeof *e);
	e->path = xstrdup(path);
	e->size = st ? (uint64_t)st->st_size : 0;
	uint8_t d[32];
	if (st && !S_ISREG(st->st_mode))
		e->error = xstrdup("not a regular file");
	else if (eh_sha256_file(path, d) != 0)
		e->error = xstrdup(strerror(errno));
	else
		eh_sha256_hex(d, e->sha256);
}

static void input_entry(const struct eh_walk_entry *e, void *user)
{
	size_t n = strlen(e->name);
	if (e->what == EH_WALK_ENTRY && S_ISREG(e->st->st_mode) && n > 5 && strcasecmp(e->name + n - 5, ".evtx") == 0)
		add_input(user, e->path, e->st);
}

struct eh_html_input *eh_html_inputs(char *const *paths, size_t npaths, unsigned shard, unsigned shards, size_t *n)
{
	/* as the scan walks (scan.c) */
	static const struct eh_walk_options walk = { .max_depth = 127, .detect_loops = true };
	struct inputs x = { NULL, 0, shard, shards };
	for (size_t i = 0; i < npaths; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			add_input(&x, paths[i], NULL);
			x.in[x.n - 1].error = xstrdup(strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			eh_walk(paths[i], &walk, input_entry, &x);
		} else {
			add_input(&x, paths[i], &st);
		}
	}
	*n = x.n;
	return x.in;
}

void eh_html_inputs_free(struct eh_html_input *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(in[i].path);
		free(in[i].error);
	}
	free(in);
}

/* ---- the tee for the warnings ------------------------------------------------ */

struct tee {
	FILE *to;
	struct buf *keep;
};

#define TEE_KEEP (256 * 1024)

static ssize_t tee_write(void *cookie, const char *data, size_t len)
{
	struct tee *t = cookie;
	if (t->keep->len < TEE_KEEP)
		buf_add(t->keep, data, len < TEE_KEEP - t->keep->len ? len : TEE_KEEP - t->keep->len);
	return fwrite(data, 1, len, t->to) == len ? (ssize_t)len : -1;
}

static int tee_close(void *cookie)
{
	struct tee *t = cookie;
	fflush(t->to);
	free(t);
	return 0;
}

FILE *eh_html_tee(FILE *to, struct buf *keep)
{
	struct tee *t = xmalloc(sizeof *t);
	t->to = to;
	t->keep = keep;
	FILE *f = fopencookie(t, "w", (cookie_io_functions_t){ .write = tee_write, .close = tee_close });
	if (f == NULL) {
		free(t);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/* ---- the first pass: counting ----------------------------------------------- */

struct rule_slot {
	const struct eh_rule *rule;
	uint64_t hits;
};

struct count {
	struct rule_slot *rules; /* in order met */
	size_t nrules;
	size_t *rule_slots, caprule_slots; /* pointer hash, index + 1 */
	struct strtab computers, files;
	uint64_t *computer_hits; /* [computer * NLEVELS + level] */
	size_t capcomputers;
	uint64_t levels[NLEVELS];
	uint64_t tactic_hits[NTACTICS];
	uint64_t total;
	int64_t *time; /* per hit, in order */
	uint32_t *computer;
	uint8_t *level;
	size_t cap;
	int64_t first, last;
};

static int level_of(const struct eh_rule *r)
{
	return eh_level_rank(r->level) + 1;
}

static size_t rule_index(struct count *c, const struct eh_rule *r)
{
	if (2 * (c->nrules + 1) > c->caprule_slots) {
		size_t cap = c->caprule_slots ? 2 * c->caprule_slots : 64;
		free(c->rule_slots);
		c->rule_slots = xcalloc(cap, sizeof *c->rule_slots);
		c->caprule_slots = cap;
		for (size_t i = 0; i < c->nrules; i++) {
			size_t k = eh_hash64(&c->rules[i].rule, sizeof c->rules[i].rule, 0) & (cap - 1);
			while (c->rule_slots[k])
				k = (k + 1) & (cap - 1);
			c->rule_slots[k] = i + 1;
		}
	}
	size_t k = eh_hash64(&r, sizeof r, 0) & (c->caprule_slots - 1);
	for (; c->rule_slots[k]; k = (k + 1) & (c->caprule_slots - 1))
		if (c->rules[c->rule_slots[k] - 1].rule == r)
			return c->rule_slots[k] - 1;
	c->rules = xreallocarray(c->rules, c->nrules + 1, sizeof *c->rules);
	c->rules[c->nrules] = (struct rule_slot){ r, 0 };
	c->rule_slots[k] = ++c->nrules;
	return c->nrules - 1;
}

/* The tactic a tag names ("attack.defense-evasion", or with '_' as older
 * rules write it), or -1. */
static int tactic_of(const char *tag)
{
	char name[32];
	size_t n = strlen(tag);
	if (strncmp(tag, "attack.", 7) != 0 || n - 7 >= sizeof name)
		return -1;
	for (size_t i = 7; i <= n; i++)
		name[i - 7] = tag[i] == '_' ? '-' : tag[i];
	for (size_t i = 0; i < NTACTICS; i++)
		if (strcmp(name, tactics[i]) == 0)
			return (int)i;
	return -1;
}

static void count_hit(const struct eh_hit *h, void *user)
{
	struct count *c = user;
	const struct eh_event *ev = h->event;
	size_t ri = rule_index(c, h->rule); /* before c->rules is read: it may move */
	c->rules[ri].hits++;
	const char *computer = ev->computer ? ev->computer : "";
	size_t ci = strtab_add(&c->computers, computer, strlen(computer));
	strtab_add(&c->files, h->file, strlen(h->file));
	if (ci >= c->capcomputers) {
		size_t cap = c->capcomputers ? 2 * c->capcomputers : 16;
		c->computer_hits = xrealloc(c->computer_hits, cap * NLEVELS * sizeof *c->computer_hits);
		memset(c->computer_hits + c->capcomputers * NLEVELS, 0, (cap - c->capcomputers) * NLEVELS * sizeof *c->computer_hits);
		c->capcomputers = cap;
	}
	int lv = level_of(h->rule);
	c->computer_hits[ci * NLEVELS + (size_t)lv]++;
	c->levels[lv]++;
	for (size_t i = 0; i < h->rule->ntags; i++) {
		int t = tactic_of(h->rule->tags[i]);
		if (t >= 0)
			c->tactic_hits[t]++;
	}
	if (c->total == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		c->time = xreallocarray(c->time, c->cap, sizeof *c->time);
		c->computer = xreallocarray(c->computer, c->cap, sizeof *c->computer);
		c->level = xreallocarray(c->level, c->cap, sizeof *c->level);
	}
	c->time[c->total] = ev->time;
	c->computer[c->total] = (uint32_t)ci;
	c->level[c->total] = (uint8_t)lv;
	c->total++;
	if (ev->time >= 0) {
		if (c->first < 0 || ev->time < c->first)
			c->first = ev->time;
		if (ev->time > c->last)
			c->last = ev->time;
	}
}

static void count_release(struct count *c)
{
	free(c->rules);
	free(c->rule_slots);
	strtab_release(&c->computers);
	strtab_release(&c->files);
	free(c->computer_hits);
	free(c->time);
	free(c->computer);
	free(c->level);
}

/* ---- the page ------------------------------------------------------------------ */

static void put(FILE *out, struct buf *b)
{
	fwrite(b->data ? b->data : "", 1, b->len, out);
	buf_reset(b);
}

static void time_text(struct buf *b, int64_t t)
{
	char s[48];
	if (t < 0) {
		buf_adds(b, "-");
		return;
	}
	eh_time_format(t, s);
	buf_adds(b, s);
}

static void row2(struct buf *b, const char *k, const char *v)
{
	buf_adds(b, "<tr><th>");
	html_s(b, k);
	buf_adds(b, "</th><td>");
	html_s(b, v);
	buf_adds(b, "</td></tr>\n");
}

static void section_run(struct buf *b, const struct eh_html_run *run)
{
	buf_adds(b, "<h2>The run</h2>\n<table class=\"run\">\n");
	char when[48] = "-", *s;
	if (run->started >= 0)
		eh_time_format(run->started, when);
	row2(b, "evtxhunt", run->version ? run->version : "");
	row2(b, "started (UTC)", when);
	s = xasprintf("%.2f s", run->seconds);
	row2(b, "took", s);
	free(s);
	if (run->rules) {
		struct buf r;
		buf_init(&r);
		if (run->nrule_paths == 0)
			buf_adds(&r, "the built-in rules");
		for (size_t i = 0; i < run->nrule_paths; i++)
			buf_addf(&r, "%s%s", i ? ", " : "", run->rule_paths[i]);
		buf_addf(&r, ": %zu loaded, %zu rejected, %zu cannot fire", eh_ruleset_count(run->rules),
			 eh_ruleset_error_count(run->rules), eh_ruleset_unmapped(run->rules));
		row2(b, "rules", r.data);
		buf_free(&r);
	} else {
		row2(b, "rules", "as in the merged runs (--merge)");
	}
	buf_adds(b, "</table>\n");
	if (run->ninputs) {
		buf_adds(b, "<h3>Inputs</h3>\n<table class=\"inputs\"><tr><th>file</th><th>bytes</th><th>SHA-256</th></tr>\n");
		for (size_t i = 0; i < run->ninputs; i++) {
			const struct eh_html_input *in = &run->inputs[i];
			buf_adds(b, "<tr><td class=\"mono\">");
			html_s(b, in->path);
			buf_addf(b, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"mono\">", in->size);
			if (in->error) {
				buf_adds(b, "not read: ");
				html_s(b, in->error);
			} else {
				buf_adds(b, in->sha256);
			}
			buf_adds(b, "</td></tr>\n");
		}
		buf_adds(b, "</table>\n");
	}
}

static const struct {
	const char *label;
	size_t offset;
} counters[] = {
#define C(label, x) { label, offsetof(struct eh_stats, x) }
	C("files", files), C("files failed", files_failed), C("files of other shards", files_other_shards),
	C("bytes", bytes), C("chunks", chunks), C("chunks skipped", chunks_skipped),
	C("chunks with bad checksums", chunks_checksum_bad), C("chunks cut short", chunks_truncated),
	C("record headers repaired", record_headers_repaired), C("records", records),
	C("records unreadable", records_unreadable), C("records rendered by evtxhunt", records_rendered_by_evtxhunt),
	C("records recovered from slack", records_recovered), C("recovered duplicates of live records", recovered_duplicates),
	C("carving candidates not parsable", recovered_unparsable), C("records not parsed (prefilter)", records_prefiltered),
	C("records outside the filters", records_filtered), C("events matched", events_matched), C("hits", hits),
	C("regex tests stopped at the limit", regex_limit_hits), C("warnings", warnings), C("errors", errors),
#undef C
};

static void section_counters(struct buf *b, const struct eh_html_run *run)
{
	if (run->stats == NULL)
		return;
	buf_adds(b, "<h2>Counters</h2>\n<table class=\"counters\">\n");
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
		buf_addf(b, "<tr><th>%s</th><td class=\"n\">%" PRIu64 "</td></tr>\n", counters[i].label,
			 *(const uint64_t *)((const char *)run->stats + counters[i].offset));
	buf_adds(b, "</table>\n");
	if (run->diagnostics && *run->diagnostics) {
		buf_adds(b, "<h3>Skipped, unreadable, warnings</h3>\n<pre class=\"diag\">");
		for (const char *p = run->diagnostics, *nl; *p; p = *nl ? nl + 1 : nl) {
			nl = strchr(p, '\n');
			if (nl == NULL)
				nl = p + strlen(p);
			html_text(b, p, (size_t)(nl - p)); /* each line escaped, the line ends kept */
			buf_addc(b, '\n');
		}
		buf_adds(b, "</pre>\n");
	}
}

static void section_rules(struct buf *b, const struct eh_html_run *run)
{
	const struct eh_ruleset *rs = run->rules;
	if (rs == NULL || (eh_ruleset_error_count(rs) == 0 && eh_ruleset_unmapped(rs) == 0))
		return;
	buf_adds(b, "<h2>Rules that cannot fire</h2>\n<table class=\"unusable\">\n");
	for (size_t i = 0; i < eh_ruleset_error_count(rs); i++) {
		const struct eh_rule_error *e = eh_ruleset_error(rs, i);
		char *where = xasprintf("%s:%d:%d", e->file, e->line, e->column);
		row2(b, where, e->reason);
		free(where);
	}
	char why[512];
	for (size_t i = 0; i < eh_ruleset_count(rs); i++) {
		const struct eh_rule *r = eh_ruleset_rule(rs, i);
		const char *reason = eh_logsource_unmapped_reason(r->category, r->product, r->service, why, sizeof why);
		if (reason)
			row2(b, r->file, reason);
	}
	buf_adds(b, "</table>\n");
}

static int64_t clampi(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* A lane's label: the computer's name, its first characters and an
 * ellipsis when it would not fit left of the plot. */
static void lane_label(struct buf *b, const char *name)
{
	enum { KEEP = 22 };
	size_t len = strlen(name), chars = 0, i = 0;
	if (len == 0) {
		buf_adds(b, "(none)");
		return;
	}
	for (; i < len; i++)
		if (((unsigned char)name[i] & 0xc0) != 0x80 && chars++ == KEEP)
			break;
	html_text(b, name, i);
	if (i < len)
		buf_adds(b, "\xe2\x80\xa6");
}

/* The picture: a lane per computer (the first MAX_LANES - 1 by hits, the
 * rest in the last), each host's log coverage behind as pale stretches,
 * the hits per bucket stacked by level, scaled to the lane's fullest. */
static void section_picture(struct buf *b, const struct eh_html_run *run, const struct count *c)
{
	buf_adds(b, "<h2>Timeline</h2>\n");
	if (c->total == 0 || c->first < 0) {
		buf_adds(b, "<p class=\"none\">No hits.</p>\n");
		return;
	}
	int64_t t0 = c->first, t1 = c->last;
	const struct eh_metrics *m = run->metrics;
	size_t nc = c->computers.n;
	/* lanes: computers by hits, most first */
	size_t *order = xcalloc(nc, sizeof *order);
	uint64_t *tot = xcalloc(nc, sizeof *tot);
	for (size_t i = 0; i < nc; i++) {
		order[i] = i;
		for (int l = 0; l < NLEVELS; l++)
			tot[i] += c->computer_hits[i * NLEVELS + (size_t)l];
	}
	for (size_t i = 1; i < nc; i++) /* insertion sort: stable, and lanes are few */
		for (size_t j = i; j > 0 && tot[order[j]] > tot[order[j - 1]]; j--) {
			size_t x = order[j];
			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	size_t nl = nc < MAX_LANES ? nc : MAX_LANES;
	size_t *lane_of = xcalloc(nc, sizeof *lane_of);
	for (size_t i = 0; i < nc; i++)
		lane_of[order[i]] = i < nl ? i : nl - 1;
	const struct eh_metrics_computer **cov = xcalloc(nl, sizeof *cov);
	for (size_t i = 0; m && i < nl; i++) {
		if (nc > MAX_LANES && i == nl - 1)
			break;
		for (size_t k = 0; k < m->ncomputers; k++)
			if (strcmp(m->computers[k].name, c->computers.s[order[i]]) == 0) {
				cov[i] = &m->computers[k];
				if (cov[i]->first >= 0 && cov[i]->first < t0)
					t0 = cov[i]->first;
				if (cov[i]->last > t1)
					t1 = cov[i]->last;
			}
	}
	if (t1 <= t0)
		t1 = t0 + 10000000; /* one second */
	double span = (double)(t1 - t0);
	uint64_t *cell = xcalloc(nl * BUCKETS * NLEVELS, sizeof *cell);
	for (size_t i = 0; i < c->total; i++) {
		if (c->time[i] < 0)
			continue;
		size_t k = (size_t)clampi((int64_t)((double)(c->time[i] - t0) / span * BUCKETS), 0, BUCKETS - 1);
		cell[(lane_of[c->computer[i]] * BUCKETS + k) * NLEVELS + c->level[i]]++;
	}
	int height = (int)nl * LANE_H + 40;
	buf_addf(b, "<svg id=\"picture\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
		 PLOT_X + PLOT_W + 10, height, PLOT_X + PLOT_W + 10, height);
	double bw = (double)PLOT_W / BUCKETS;
	for (size_t l = 0; l < nl; l++) {
		int y = (int)l * LANE_H;
		buf_addf(b, "<g class=\"lane\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", PLOT_X, y,
			 PLOT_W, BAR_H, "#fbfbfb");
		if (cov[l])
			for (size_t s = 0; s < cov[l]->nspans; s++) {
				double x0 = (double)(cov[l]->spans[s].first - t0) / span * PLOT_W;
				double x1 = (double)(cov[l]->spans[s].last - t0) / span * PLOT_W;
				buf_addf(b, "<rect class=\"cov\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#c6dbf3\"/>\n",
					 PLOT_X + x0, y, x1 - x0 < 1 ? 1 : x1 - x0, BAR_H);
			}
		uint64_t max = 1;
		for (size_t k = 0; k < BUCKETS; k++) {
			uint64_t s = 0;
			for (int v = 0; v < NLEVELS; v++)
				s += cell[(l * BUCKETS + k) * NLEVELS + (size_t)v];
			if (s > max)
				max = s;
		}
		for (size_t k = 0; k < BUCKETS; k++) {
			double yb = y + BAR_H, x = PLOT_X + (double)k * bw;
			for (int v = 0; v < NLEVELS; v++) {
				uint64_t n = cell[(l * BUCKETS + k) * NLEVELS + (size_t)v];
				if (n == 0)
					continue;
				double h = (double)n / (double)max * (BAR_H - 2);
				if (h < 1)
					h = 1;
				yb -= h;
				buf_addf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
					 x, yb, bw > 1.5 ? bw - 0.5 : bw, h, level_fill[v]);
				buf_addf(b, "%" PRIu64 " %s, from ", n, v ? level_names[v - 1] : "no level");
				time_text(b, t0 + (int64_t)(span * (double)k / BUCKETS));
				buf_adds(b, "</title></rect>\n");
			}
		}
		buf_addf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", PLOT_X - 6, y + BAR_H / 2);
		if (nc > MAX_LANES && l == nl - 1)
			buf_addf(b, "%zu more computers", nc - (nl - 1));
		else
			lane_label(b, c->computers.s[order[l]]);
		buf_addf(b, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">max %" PRIu64 "</text></g>\n", PLOT_X - 6,
			 y + BAR_H / 2 + 13, max);
	}
	int ya = (int)nl * LANE_H + 14;
	for (int i = 0; i <= 4; i++) {
		int x = PLOT_X + PLOT_W * i / 4;
		buf_addf(b, "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\" stroke=\"#ccc\"/><text x=\"%d\" y=\"%d\" text-anchor=\"%s\">", x,
			 x, ya - 12, x, ya, i == 0 ? "start" : i == 4 ? "end" : "middle");
		char when[48];
		eh_time_format(t0 + (int64_t)(span * i / 4), when);
		when[10] = ' ';
		when[19] = '\0'; /* to the second: the labels must not overlap */
		buf_adds(b, when);
		buf_adds(b, "</text>\n");
	}
	buf_addf(b, "<text x=\"%d\" y=\"%d\">bucket: %.0f s; pale: the host's logs hold events (--metrics)</text>\n", PLOT_X,
		 ya + 18, span / BUCKETS / 1e7);
	buf_adds(b, "</svg>\n<p class=\"key\">");
	for (int v = NLEVELS - 1; v >= 1; v--)
		buf_addf(b, "<span class=\"c%d\">%s</span>", v, level_names[v - 1]);
	buf_adds(b, "</p>\n");
	free(cell);
	free(cov);
	free(lane_of);
	free(tot);
	free(order);
}

static int by_hits(const void *a, const void *b)
{
	const struct rule_slot *x = a, *y = b;
	if (x->hits != y->hits)
		return x->hits > y->hits ? -1 : 1;
	return strcmp(x->rule->title, y->rule->title);
}

static void section_counts(struct buf *b, const struct count *c)
{
	buf_adds(b, "<h2>Hits</h2>\n<div class=\"cols\">\n<div><h3>per level</h3><table>\n");
	for (int v = NLEVELS - 1; v >= 0; v--)
		if (c->levels[v])
			buf_addf(b, "<tr><td class=\"c%d\">%s</td><td class=\"n\">%" PRIu64 "</td></tr>\n", v,
				 v ? level_names[v - 1] : "none", c->levels[v]);
	buf_adds(b, "</table></div>\n<div><h3>per ATT&amp;CK tactic</h3><table>\n");
	bool any = false;
	for (size_t t = 0; t < NTACTICS; t++)
		if (c->tactic_hits[t]) {
			buf_addf(b, "<tr><td>%s</td><td class=\"n\">%" PRIu64 "</td></tr>\n", tactics[t], c->tactic_hits[t]);
			any = true;
		}
	if (!any)
		buf_adds(b, "<tr><td class=\"none\">no tactic tags</td></tr>\n");
	buf_adds(b, "</table></div>\n<div><h3>per computer</h3><table>\n");
	for (size_t i = 0; i < c->computers.n; i++) {
		uint64_t n = 0;
		for (int v = 0; v < NLEVELS; v++)
			n += c->computer_hits[i * NLEVELS + (size_t)v];
		buf_adds(b, "<tr><td>");
		html_s(b, *c->computers.s[i] ? c->computers.s[i] : "(none)");
		buf_addf(b, "</td><td class=\"n\">%" PRIu64 "</td></tr>\n", n);
	}
	buf_adds(b, "</table></div>\n</div>\n<h3>per rule</h3><table class=\"per-rule\">\n");
	struct rule_slot *r = xcalloc(c->nrules ? c->nrules : 1, sizeof *r);
	if (c->nrules) {
		memcpy(r, c->rules, c->nrules * sizeof *r);
		qsort(r, c->nrules, sizeof *r, by_hits);
	}
	for (size_t i = 0; i < c->nrules; i++) {
		buf_addf(b, "<tr><td class=\"c%d\">", level_of(r[i].rule));
		html_s(b, r[i].rule->level ? r[i].rule->level : "-");
		buf_adds(b, "</td><td>");
		html_s(b, r[i].rule->title);
		buf_addf(b, "</td><td class=\"n\">%" PRIu64 "</td></tr>\n", r[i].hits);
	}
	free(r);
	buf_adds(b, "</table>\n");
}

static void section_findings(struct buf *b, const struct eh_metrics *m)
{
	if (m == NULL)
		return;
	buf_adds(b, "<h2>Integrity findings</h2>\n");
	if (m->nfindings == 0)
		buf_adds(b, "<p class=\"none\">None.</p>\n");
	else {
		size_t per[EH_FINDING_KINDS] = { 0 };
		for (size_t i = 0; i < m->nfindings; i++)
			per[m->findings[i].kind]++;
		buf_addf(b, "<p>%zu findings:", m->nfindings);
		for (int k = 0, first = 1; k < EH_FINDING_KINDS; k++)
			if (per[k]) {
				buf_addf(b, "%s %zu %s", first ? "" : ",", per[k], eh_finding_kind_name((enum eh_finding_kind)k));
				first = 0;
			}
		/* a long list stays folded, so that the picture is not far below */
		buf_addf(b, ".</p>\n<details%s><summary>each finding, by file and record</summary>\n"
			    "<table id=\"findings\"><tr><th>finding</th><th>file</th><th>record</th><th>time</th><th>what</th></tr>\n",
			 m->nfindings <= 20 ? " open" : "");
	}
	for (size_t i = 0; i < m->nfindings; i++) {
		const struct eh_finding *f = &m->findings[i];
		buf_addf(b, "<tr class=\"finding\"><td>%s</td><td class=\"mono\">", eh_finding_kind_name(f->kind));
		html_s(b, f->file);
		if (eh_finding_has_record(f->kind)) {
			buf_addf(b, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"mono\">", f->record);
			time_text(b, f->time);
		} else {
			buf_adds(b, "</td><td class=\"n\">-</td><td class=\"mono\">-");
		}
		buf_adds(b, "</td><td>");
		html_s(b, f->what);
		buf_adds(b, "</td></tr>\n");
	}
	if (m->nfindings)
		buf_adds(b, "</table>\n</details>\n");
	if (m->partial)
		buf_adds(b, "<p>--from, --to, --computer or --state left records out: record-id gaps and recovered records "
			    "without a live copy were not looked for.</p>\n");
}

static void section_metrics(struct buf *b, const struct eh_metrics *m)
{
	if (m == NULL)
		return;
	buf_adds(b, "<h2>Log metrics</h2>\n<table id=\"logs\"><tr><th>log</th><th>channels</th><th>records</th><th>recovered</th>"
		    "<th>first</th><th>last</th><th>computers</th><th>events per id (top 10)</th></tr>\n");
	for (size_t i = 0; i < m->nlogs; i++) {
		const struct eh_metrics_log *l = &m->logs[i];
		buf_adds(b, "<tr><td class=\"mono\">");
		html_s(b, l->file);
		buf_adds(b, "</td><td>");
		for (size_t j = 0; j < l->nchannels; j++) {
			if (j)
				buf_adds(b, ", ");
			html_s(b, l->channels[j]);
		}
		buf_addf(b, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td class=\"mono\">", l->records,
			 l->recovered);
		time_text(b, l->first);
		buf_adds(b, "</td><td class=\"mono\">");
		time_text(b, l->last);
		buf_adds(b, "</td><td>");
		for (size_t j = 0; j < l->ncomputers; j++) {
			if (j)
				buf_adds(b, ", ");
			html_s(b, l->computers[j].name);
		}
		buf_adds(b, "</td><td class=\"mono\">");
		uint64_t total = 0;
		for (size_t j = 0; j < l->nids; j++) {
			total += l->ids[j].n;
			if (j < 10)
				buf_addf(b, "%s%" PRIu32 ": %" PRIu64, j ? ", " : "", l->ids[j].event_id, l->ids[j].n);
		}
		if (l->nids > 10)
			buf_addf(b, ", and %zu more ids", l->nids - 10);
		buf_addf(b, " (%" PRIu64 " in all)</td></tr>\n", total);
	}
	buf_adds(b, "</table>\n<h2>Computers</h2>\n<table id=\"hosts\"><tr><th>computer</th><th>records</th><th>first</th>"
		    "<th>last</th><th>stretches</th><th>logs</th></tr>\n");
	for (size_t i = 0; i < m->ncomputers; i++) {
		const struct eh_metrics_computer *c = &m->computers[i];
		buf_adds(b, "<tr><td>");
		html_s(b, *c->name ? c->name : "(none)");
		buf_addf(b, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"mono\">", c->records);
		time_text(b, c->first);
		buf_adds(b, "</td><td class=\"mono\">");
		time_text(b, c->last);
		buf_addf(b, "</td><td class=\"n\">%zu</td><td class=\"mono\">", c->nspans);
		for (size_t j = 0; j < c->nlogs; j++) {
			if (j)
				buf_adds(b, ", ");
			html_s(b, m->logs[c->logs[j]].file);
		}
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</table>\n");
}

/* The text of the YAML file RULE came from: a built-in rule's, or the file
 * read again (at most 16 MiB); NULL when it cannot be read (a --merge of
 * another machine's run). *OWNED says whether the caller frees it. */
static char *rule_text(const struct eh_rule *r, size_t *len, bool *owned)
{
	*owned = false;
	if (r->file == NULL)
		return NULL;
	for (unsigned i = 0; i < eh_builtin_rule_count; i++)
		if (strcmp(eh_builtin_rules[i].name, r->file) == 0) {
			*len = strlen(eh_builtin_rules[i].yaml);
			return (char *)eh_builtin_rules[i].yaml;
		}
	const char *packed = eh_rulepack_builtin_yaml(r->file); /* the compiled-in pack's */
	if (packed) {
		*len = strlen(packed);
		return (char *)packed;
	}
	FILE *f = fopen(r->file, "rb");
	if (f == NULL)
		return NULL;
	struct buf b;
	buf_init(&b);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < 16 * 1024 * 1024)
		buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	*owned = true;
	return b.data ? buf_steal(&b) : NULL;
}

/* "references" and "falsepositives" of RULE (a list of strings or one
 * string each), from its YAML document (found by id, else by title), as
 * JSON members. Not kept by the loader: read here for the rules that hit. */
static void rule_notes(struct buf *b, const struct eh_rule *r)
{
	static const char *const keys[] = { "references", "falsepositives" };
	size_t len = 0;
	bool owned;
	char *text = rule_text(r, &len, &owned), *cause = NULL;
	struct ydoc_list docs = { NULL, 0 };
	int line, column;
	const struct ynode *doc = NULL;
	bool parsed = text && ytree_parse(text, len, &docs, &line, &column, &cause) == 0;
	if (parsed) {
		for (size_t i = 0; i < docs.n && doc == NULL; i++) {
			const struct ynode *id = ytree_get(docs.docs[i], "id"), *title = ytree_get(docs.docs[i], "title");
			if ((r->id && id && id->type == Y_SCALAR && strcmp(id->text, r->id) == 0) ||
			    (!r->id && title && title->type == Y_SCALAR && r->title && strcmp(title->text, r->title) == 0))
				doc = docs.docs[i];
		}
	}
	for (size_t k = 0; k < 2; k++) {
		buf_addf(b, ",\"%s\":[", keys[k]);
		const struct ynode *v = doc ? ytree_get(doc, keys[k]) : NULL;
		if (v && v->type == Y_SCALAR && !ytree_is_null(v)) {
			json_html(b, v->text, v->len);
		} else if (v && v->type == Y_SEQ) {
			for (size_t i = 0, first = 1; i < v->n; i++)
				if (v->items[i]->type == Y_SCALAR) {
					if (!first)
						buf_addc(b, ',');
					json_html(b, v->items[i]->text, v->items[i]->len);
					first = 0;
				}
		}
		buf_addc(b, ']');
	}
	free(cause);
	if (parsed)
		ytree_free_docs(&docs);
	if (owned)
		free(text);
}

static void meta_json(struct buf *b, const struct count *c)
{
	buf_adds(b, "{\"rules\":[");
	for (size_t i = 0; i < c->nrules; i++) {
		const struct eh_rule *r = c->rules[i].rule;
		buf_adds(b, i ? ",{\"title\":" : "{\"title\":");
		json_s(b, r->title);
		buf_adds(b, ",\"id\":");
		json_s(b, r->id);
		buf_adds(b, ",\"level\":");
		json_s(b, r->level);
		buf_adds(b, ",\"status\":");
		json_s(b, r->status);
		buf_adds(b, ",\"description\":");
		json_s(b, r->description);
		buf_adds(b, ",\"file\":");
		json_s(b, r->file);
		rule_notes(b, r);
		buf_adds(b, ",\"tags\":[");
		for (size_t j = 0; j < r->ntags; j++) {
			if (j)
				buf_addc(b, ',');
			json_s(b, r->tags[j]);
		}
		buf_adds(b, "]}");
	}
	buf_adds(b, "],\"computers\":[");
	for (size_t i = 0; i < c->computers.n; i++) {
		if (i)
			buf_addc(b, ',');
		json_html(b, c->computers.s[i], c->computers.len[i]);
	}
	buf_adds(b, "],\"files\":[");
	for (size_t i = 0; i < c->files.n; i++) {
		if (i)
			buf_addc(b, ',');
		json_html(b, c->files.s[i], c->files.len[i]);
	}
	buf_adds(b, "]}");
}

/* ---- the second pass: the hits as JSON --------------------------------------- */

struct stream {
	FILE *out;
	struct buf b;
	struct count *c;
	struct strtab strings; /* field names, values, channels */
	size_t n;
};

static void stream_hit(const struct eh_hit *h, void *user)
{
	struct stream *s = user;
	const struct eh_event *ev = h->event;
	char when[48];
	struct eh_keyfields kf;
	eh_time_format(ev->time, when);
	eh_keyfields_of(h->rule, ev, &kf);
	const char *chan = ev->channel ? ev->channel : "";
	/* [time, computer, rule, file, record id, event id, recovered, channel,
	 *  key fields (indexes into fields), fields (name, value, ...), provider] */
	buf_addf(&s->b, "%s[\"%s\",%zu,%zu,%zu,%" PRIu64 ",%" PRIu32 ",%d,%zu,[", s->n++ ? ",\n" : "", when,
		 strtab_add(&s->c->computers, ev->computer ? ev->computer : "", ev->computer ? strlen(ev->computer) : 0),
		 rule_index(s->c, h->rule),
		 strtab_add(&s->c->files, h->file, strlen(h->file)), ev->record_id, ev->event_id, ev->recovered ? 1 : 0,
		 strtab_add(&s->strings, chan, strlen(chan)));
	for (size_t i = 0; i < kf.n; i++)
		buf_addf(&s->b, "%s%zu", i ? "," : "", kf.field[i]);
	buf_adds(&s->b, "],[");
	for (size_t i = 0; i < ev->nfields; i++) {
		const struct eh_field *f = &ev->fields[i];
		buf_addf(&s->b, "%s%zu,%zu", i ? "," : "", strtab_add(&s->strings, f->name, strlen(f->name)),
			 strtab_add(&s->strings, f->value, f->len));
	}
	/* the System fields a hit keeps through a spill to disk: the same
	 * report whether the timeline spilled or not */
	const char *prov = ev->provider ? ev->provider : "";
	buf_addf(&s->b, "],%zu]", strtab_add(&s->strings, prov, strlen(prov)));
	if (s->b.len > 65536)
		put(s->out, &s->b);
}

int eh_html_write(FILE *out, const struct eh_html_run *run, struct eh_timeline *tl)
{
	static const struct eh_html_run none = { .started = -1 };
	if (run == NULL)
		run = &none;
	struct count c;
	memset(&c, 0, sizeof c);
	c.first = c.last = -1;
	struct stream s = { out, { NULL, 0, 0 }, &c, { 0 }, 0 };
	int rc = eh_timeline_each(tl, count_hit, &c);
	if (rc != 0)
		goto out;

	char js[45], css[45];
	eh_sha256_base64(report_js, sizeof report_js - 1, js);
	eh_sha256_base64(report_css, sizeof report_css - 1, css);
	struct buf *b = &s.b;
	buf_addf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'sha256-%s'; "
		    "style-src 'sha256-%s'; img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'\">\n"
		    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>evtxhunt report</title>\n<style>",
		 js, css);
	buf_adds(b, report_css);
	buf_adds(b, "</style>\n</head>\n<body>\n<h1>evtxhunt report</h1>\n");
	buf_addf(b, "<p>%" PRIu64 " hits", c.total);
	if (c.first >= 0) {
		buf_adds(b, " from ");
		time_text(b, c.first);
		buf_adds(b, " to ");
		time_text(b, c.last);
	}
	buf_addf(b, " on %zu computers", c.computers.n);
	if (run->metrics)
		buf_addf(b, "; %zu integrity findings", run->metrics->nfindings);
	buf_adds(b, ".</p>\n");
	section_findings(b, run->metrics);
	section_picture(b, run, &c);
	section_counts(b, &c);
	put(out, b);
	buf_adds(b, "<h2 id=\"table\">Every hit</h2>\n<div class=\"controls\"><select id=\"f-level\"></select>"
		    "<select id=\"f-rule\"></select><select id=\"f-computer\"></select>"
		    "<input id=\"f-q\" type=\"search\" placeholder=\"text in any field\"></div>\n"
		    "<p id=\"hits-count\">The table needs JavaScript.</p>\n"
		    "<table id=\"hits\"><thead><tr><th data-sort=\"time\">time (UTC)</th><th data-sort=\"computer\">computer</th>"
		    "<th data-sort=\"level\">level</th><th data-sort=\"rule\">rule</th><th>key fields</th></tr></thead>"
		    "<tbody id=\"hits-body\"></tbody></table>\n<p><button id=\"hits-more\" type=\"button\">more</button></p>\n"
		    "<script type=\"application/json\" id=\"eh-meta\">");
	meta_json(b, &c);
	buf_adds(b, "</script>\n<script type=\"application/json\" id=\"eh-hits\">[");
	size_t nrules = c.nrules, ncomputers = c.computers.n, nfiles = c.files.n;
	rc = eh_timeline_each(tl, stream_hit, &s);
	if (rc != 0)
		goto out;
	/* the second pass met what the first did */
	if (c.nrules != nrules || c.computers.n != ncomputers || c.files.n != nfiles)
		abort();
	buf_adds(b, "]</script>\n<script type=\"application/json\" id=\"eh-strings\">[");
	for (size_t i = 0; i < s.strings.n; i++) {
		if (i)
			buf_addc(b, ',');
		json_html(b, s.strings.s[i], s.strings.len[i]);
		if (b->len > 65536)
			put(out, b);
	}
	buf_adds(b, "]</script>\n");
	section_metrics(b, run->metrics);
	section_run(b, run);
	section_counters(b, run);
	section_rules(b, run);
	buf_adds(b, "<script>");
	buf_adds(b, report_js);
	buf_adds(b, "</script>\n</body>\n</html>\n");
	put(out, b);
out:
	buf_free(&s.b);
	strtab_release(&s.strings);
	count_release(&c);
	return rc;
}
