/* Structure-aware mutation of a chunk for fuzz_chunk (issue 17), included
 * by fuzz_chunk.c in the fuzzing build only (EH_STRUCTURE_MUTATOR).
 *
 * Byte flips rarely make binary XML that libfwevt recurses or expands on:
 * a value that substitutes itself, an instance whose definition is an
 * enclosing one, a string array repeated by nested elements. This finds
 * the records of the chunk, in them the template instances (definition,
 * values) and substitution tokens, changes one of those the way a crafted
 * log would, then sets every record's size copy, the chunk header's
 * record fields and both checksums right, so that libevtx (and evtxhunt's
 * checks) take the chunk as sound and the change reaches the parser.
 * A third of the time libFuzzer's own byte mutation runs instead (its
 * result gets its checksums fixed half of the time). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "evtxhunt/evtx_format.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define M_MAX_RECORDS 256
#define M_MAX_ITEMS 512

struct m_value {
	uint32_t desc; /* offset of its descriptor: u16 size, u8 type */
	uint32_t data; /* offset of its bytes */
};

struct m_instance {
	uint32_t at;         /* the 0x0c token */
	uint32_t definition; /* chunk offset of the definition */
	bool inline_def;
	uint32_t values;     /* the value count */
	uint32_t nvalues;
	struct m_value value[16];
};

struct m_chunk {
	uint8_t *c;
	size_t size;
	uint32_t rec[M_MAX_RECORDS], nrec; /* record offsets, chain order */
	struct m_instance inst[M_MAX_ITEMS / 4];
	size_t ninst;
	uint32_t subst[M_MAX_ITEMS]; /* 0x0d / 0x0e tokens */
	size_t nsubst;
	uint64_t rng;
};

static uint32_t m_rand(struct m_chunk *m, uint32_t n)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return n ? (uint32_t)(m->rng % n) : 0;
}

static uint32_t m_le32(const struct m_chunk *m, size_t at)
{
	return at + 4 <= m->size ? le32(m->c + at) : 0;
}

static uint16_t m_le16(const struct m_chunk *m, size_t at)
{
	return at + 2 <= m->size ? (uint16_t)(m->c[at] | m->c[at + 1] << 8) : 0;
}

static void m_put16(struct m_chunk *m, size_t at, uint16_t v)
{
	if (at + 2 <= m->size) {
		m->c[at] = (uint8_t)v;
		m->c[at + 1] = (uint8_t)(v >> 8);
	}
}

static void m_put32(struct m_chunk *m, size_t at, uint32_t v)
{
	if (at + 4 <= m->size)
		put_le32(m->c + at, v);
}

static bool m_value_type_ok(unsigned t)
{
	return t <= 0x15 || t == 0x21 || (t >= 0x81 && t <= 0x95);
}

/* The chain of live records from the first, as far as it holds and, when
 * the free space offset is sane, up to it (records behind are slack). */
static void m_find_records(struct m_chunk *m)
{
	uint32_t pos = EH_CHUNK_HEADER_SIZE, free_space = m->size >= EH_CHUNK_HEADER_SIZE ? eh_chunk_free_space(m->c) : 0;
	size_t end = free_space > EH_CHUNK_HEADER_SIZE && free_space <= m->size ? free_space : m->size;
	m->nrec = 0;
	while (m->nrec < M_MAX_RECORDS && pos + EH_RECORD_MIN_SIZE <= end &&
	       m_le32(m, pos) == EH_RECORD_MAGIC) {
		uint32_t sz = m_le32(m, pos + 4);
		if (sz < EH_RECORD_MIN_SIZE || pos + sz > end)
			break;
		m->rec[m->nrec++] = pos;
		pos += sz;
	}
}

/* Template instances and substitution tokens, by their look: a wrong
 * guess only makes a mutation that libevtx rejects. */
static void m_scan_record(struct m_chunk *m, uint32_t rec)
{
	uint32_t end = rec + m_le32(m, rec + 4) - EH_RECORD_COPY_SIZE;
	for (uint32_t p = rec + EH_REC_BINXML; p + 4 <= end; p++) {
		uint8_t t = m->c[p];
		if ((t == EH_TOK_NORMAL_SUBSTITUTION || t == EH_TOK_OPTIONAL_SUBSTITUTION) && m_le16(m, p + 1) < 64 &&
		    m_value_type_ok(m->c[p + 3])) {
			if (m->nsubst < M_MAX_ITEMS)
				m->subst[m->nsubst++] = p;
			continue;
		}
		if (t != EH_TOK_TEMPLATE_INSTANCE || m->c[p + 1] != 0x01 || p + EH_TI_SIZE + 4 > end ||
		    m->ninst >= sizeof m->inst / sizeof m->inst[0])
			continue;
		struct m_instance *in = &m->inst[m->ninst];
		in->at = p;
		in->definition = m_le32(m, p + EH_TI_DEFINITION);
		if (in->definition + EH_TD_HEADER_SIZE > m->size || in->definition < EH_CHUNK_HEADER_SIZE)
			continue;
		in->inline_def = in->definition == p + EH_TI_SIZE;
		in->values = in->inline_def ? in->definition + EH_TD_HEADER_SIZE +
						      m_le32(m, in->definition + EH_TD_DATA_SIZE)
					    : p + EH_TI_SIZE;
		uint32_t n = m_le32(m, in->values);
		if (in->values + 4 > end || n > 64 || in->values + 4 + 4 * n > end)
			continue;
		uint32_t data = in->values + 4 + 4 * n;
		in->nvalues = 0;
		for (uint32_t i = 0; i < n && in->nvalues < 16; i++) {
			in->value[in->nvalues++] = (struct m_value){ in->values + 4 + 4 * i, data };
			data += m_le16(m, in->values + 4 + 4 * i);
		}
		m->ninst++;
	}
}

/* Every record's trailing size copy, the header's last record and free
 * space, then the data and header checksums. */
static void m_fix(struct m_chunk *m)
{
	if (m->size < EH_CHUNK_HEADER_SIZE)
		return;
	m_find_records(m);
	uint32_t free_space = eh_chunk_free_space(m->c);
	if (m->nrec) {
		uint32_t last = m->rec[m->nrec - 1];
		for (uint32_t i = 0; i < m->nrec; i++) {
			uint32_t sz = m_le32(m, m->rec[i] + 4);
			m_put32(m, m->rec[i] + sz - 4, sz);
		}
		free_space = last + m_le32(m, last + 4);
		m_put32(m, EH_CH_LAST_RECORD_OFFSET, last);
		uint64_t id = eh_record_id(m->c, last);
		memcpy(m->c + EH_CH_LAST_RECORD_ID, &id, 8);
		memcpy(m->c + 16, &id, 8); /* last record number */
	}
	if (free_space > m->size)
		free_space = (uint32_t)m->size;
	if (free_space < EH_CHUNK_HEADER_SIZE) /* the checksum below must not wrap */
		free_space = EH_CHUNK_HEADER_SIZE;
	eh_chunk_set_free_space(m->c, free_space);
	m_put32(m, EH_CH_DATA_CRC, eh_crc32(0, m->c + EH_CHUNK_HEADER_SIZE, free_space - EH_CHUNK_HEADER_SIZE));
	uint32_t crc = eh_crc32(0, m->c, EH_CH_CRC_GAP);
	crc = eh_crc32(crc, m->c + EH_CH_CRC_RESUME, EH_CHUNK_HEADER_SIZE - EH_CH_CRC_RESUME);
	m_put32(m, EH_CH_HEADER_CRC, crc);
}

/* An element without dependency id that substitutes value INDEX as
 * binary XML, its name inline: what libfwevt reads a 0x21 value as. Needs
 * 28 bytes at AT. */
static bool m_write_self_element(struct m_chunk *m, uint32_t at, uint32_t room, uint16_t index)
{
	static const uint8_t tmpl[] = {
		0x01, 0, 0, 0, 0,  /* open start element, size */
		0, 0, 0, 0,        /* name offset: the name follows */
		0, 0, 0, 0, 0, 0, 1, 0, 'X', 0, 0, 0, /* next, hash, 1 char, NUL */
		0x02, 0x0d, 0, 0, 0x21, 0x04, 0x00,
	};
	if (room < sizeof tmpl || at + sizeof tmpl > m->size)
		return false;
	memcpy(m->c + at, tmpl, sizeof tmpl);
	m_put32(m, at + 1, (uint32_t)sizeof tmpl - 5 - 1);
	m_put32(m, at + 5, at + 9);
	m_put16(m, at + 23, index);
	return true;
}

static struct m_instance *m_any_instance(struct m_chunk *m)
{
	return m->ninst ? &m->inst[m_rand(m, (uint32_t)m->ninst)] : NULL;
}

static const uint8_t m_types[] = { 0x21, 0x21, 0x81, 0x81, 0x01, 0x00, 0x06, 0x08, 0x0f, 0x13, 0x14, 0x15, 0x8a };

/* One structural change; false when the chunk has nothing it applies to. */
static bool m_mutate_once(struct m_chunk *m)
{
	struct m_instance *in = m_any_instance(m);
	struct m_value *v = in && in->nvalues ? &in->value[m_rand(m, in->nvalues)] : NULL;
	switch (m_rand(m, 11)) {
	case 0: /* a substitution names another value, or one past the last */
		if (!m->nsubst)
			return false;
		m_put16(m, m->subst[m_rand(m, (uint32_t)m->nsubst)] + 1, (uint16_t)m_rand(m, in ? in->nvalues + 1 : 4));
		return true;
	case 1: /* a substitution's type: binary XML, an array, ... */
		if (!m->nsubst)
			return false;
		m->c[m->subst[m_rand(m, (uint32_t)m->nsubst)] + 3] = m_types[m_rand(m, sizeof m_types)];
		return true;
	case 2: /* a value's type */
		if (!v)
			return false;
		m->c[v->desc + 2] = m_types[m_rand(m, sizeof m_types)];
		return true;
	case 3: /* a value's size: shorter, longer, zero */
		if (!v)
			return false;
		m_put16(m, v->desc, (uint16_t)(m_le16(m, v->desc) + m_rand(m, 9) - 4) * (m_rand(m, 8) != 0));
		return true;
	case 4: /* the value count */
		if (!in)
			return false;
		m_put32(m, in->values, m_rand(m, 4) ? in->nvalues + m_rand(m, 3) - 1 : m_rand(m, 0x10000));
		return true;
	case 5: /* a value that substitutes itself or another: binary XML */
		if (!v)
			return false;
		if (!m_write_self_element(m, v->data, m_le16(m, v->desc), (uint16_t)m_rand(m, in->nvalues)))
			return false;
		m->c[v->desc + 2] = 0x21;
		return true;
	case 6: /* an instance's definition: an enclosing or another instance's */
		if (m->ninst < 2)
			return false;
		{
			struct m_instance *other = m_any_instance(m);
			m_put32(m, in->at + EH_TI_DEFINITION, other->definition);
		}
		return true;
	case 7: { /* a nested instance as value: a copy of an enclosing one,
		   * by offset, its values following */
		if (!v || in->inline_def == false)
			return false;
		uint32_t room = m_le16(m, v->desc);
		uint32_t need = EH_TI_SIZE + 4 + 4 * in->nvalues;
		if (room < need || v->data + room > m->size)
			return false;
		uint8_t *d = m->c + v->data;
		memmove(d + EH_TI_SIZE, m->c + in->values, room - EH_TI_SIZE);
		d[0] = EH_TOK_TEMPLATE_INSTANCE;
		d[1] = 0x01;
		m_put32(m, v->data + 2, m_le32(m, in->at + 2));
		m_put32(m, v->data + EH_TI_DEFINITION, in->definition);
		m->c[v->desc + 2] = 0x21;
		return true;
	}
	case 8: { /* a record again behind the last, with the next id: it
		   * meets templates another record defined */
		if (!m->nrec)
			return false;
		uint32_t src = m->rec[m_rand(m, m->nrec)], sz = m_le32(m, src + 4);
		uint32_t last = m->rec[m->nrec - 1], end = last + m_le32(m, last + 4);
		if (end + sz > m->size)
			return false;
		memmove(m->c + end, m->c + src, sz);
		uint64_t id = eh_record_id(m->c, last) + 1;
		memcpy(m->c + end + EH_REC_ID, &id, 8);
		eh_chunk_set_free_space(m->c, end + sz);
		return true;
	}
	case 9: /* the last record into slack */
		if (!m->nrec)
			return false;
		eh_chunk_set_free_space(m->c, m->rec[m->nrec - 1]);
		if (m->nrec > 1) {
			uint32_t prev = m->rec[m->nrec - 2];
			m_put32(m, EH_CH_LAST_RECORD_OFFSET, prev);
			uint64_t id = eh_record_id(m->c, prev);
			memcpy(m->c + EH_CH_LAST_RECORD_ID, &id, 8);
		}
		return true;
	default: { /* element nesting: an end element dropped or doubled */
		if (!in || !in->inline_def)
			return false;
		uint32_t body = in->definition + EH_TD_HEADER_SIZE;
		uint32_t len = m_le32(m, in->definition + EH_TD_DATA_SIZE);
		if (len < 2 || body + len > m->size)
			return false;
		uint32_t p = body + m_rand(m, len);
		for (uint32_t i = 0; i < len; i++, p = p + 1 < body + len ? p + 1 : body)
			if (m->c[p] == EH_TOK_END_ELEMENT || m->c[p] == EH_TOK_CLOSE_EMPTY_ELEMENT) {
				m->c[p] = m_rand(m, 2) ? EH_TOK_CLOSE_START_ELEMENT : EH_TOK_END_ELEMENT;
				return true;
			}
		return false;
	}
	}
}

static void m_parse(struct m_chunk *m)
{
	m->ninst = m->nsubst = 0;
	m_find_records(m);
	for (uint32_t i = 0; i < m->nrec; i++)
		m_scan_record(m, m->rec[i]);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	struct m_chunk m = { .c = data, .size = size, .rng = (uint64_t)seed * 0x9e3779b97f4a7c15u | 1 };
	bool chunk = size >= EH_CHUNK_HEADER_SIZE && memcmp(data, "ElfChnk", 8) == 0;
	if (!chunk || m_rand(&m, 3) == 0) {
		size = LLVMFuzzerMutate(data, size, max_size);
		m.size = size;
		if (chunk && size >= EH_CHUNK_HEADER_SIZE && m_rand(&m, 2))
			m_fix(&m);
		return size;
	}
	m_parse(&m);
	/* one to four changes, the records re-read after each */
	unsigned n = 1 + m_rand(&m, 4), done = 0;
	for (unsigned tries = 0; done < n && tries < 16; tries++)
		if (m_mutate_once(&m)) {
			done++;
			m_parse(&m);
		}
	if (!done)
		size = LLVMFuzzerMutate(data, size, max_size);
	m.size = size;
	m_fix(&m);
	return size;
}

/* A record of the other chunk put behind this one's last: templates and
 * values of one log meet the other's. */
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2, uint8_t *out,
				 size_t max_out_size, unsigned int seed)
{
	size_t n = size1 < max_out_size ? size1 : max_out_size;
	memcpy(out, data1, n);
	struct m_chunk a = { .c = out, .size = n, .rng = (uint64_t)seed * 0x2545f4914f6cdd1du | 1 };
	struct m_chunk b = { .c = (uint8_t *)data2, .size = size2, .rng = 1 };
	m_find_records(&a);
	m_find_records(&b);
	if (!a.nrec || !b.nrec)
		return n;
	uint32_t src = b.rec[m_rand(&a, b.nrec)], sz = m_le32(&b, src + 4);
	uint32_t last = a.rec[a.nrec - 1], end = last + m_le32(&a, last + 4);
	if (end + sz > n)
		return n;
	memcpy(out + end, data2 + src, sz);
	uint64_t id = eh_record_id(out, last) + 1;
	memcpy(out + end + EH_REC_ID, &id, 8);
	eh_chunk_set_free_space(out, end + sz);
	m_fix(&a);
	return n;
}
