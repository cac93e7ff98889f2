/* idmap: u64 -> u8 map for per-request bookkeeping (see idmap.h). */
#include "idmap.h"

#include <stdlib.h>
#include <string.h>

/* Key 0 marks an empty slot: stored as 1<<63 (ids are hash prefixes or
 * rowids; the worst a clash can do is merge two entries). */
static uint64_t
norm(uint64_t k)
{
	return k == 0 ? 1ull << 63 : k;
}

static size_t
slot(const struct idmap *m, uint64_t k)
{
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (m->cap - 1);
	while (m->key[i] != 0 && m->key[i] != k)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void
idmap_reset(struct idmap *m)
{
	if (m->key != NULL)
		memset(m->key, 0, m->cap * sizeof(*m->key));
	m->n = 0;
}

void
idmap_free(struct idmap *m)
{
	free(m->key);
	free(m->val);
	m->key = NULL;
	m->val = NULL;
	m->cap = m->n = 0;
}

bool
idmap_get(const struct idmap *m, uint64_t k, uint8_t *v)
{
	if (m->cap == 0)
		return false;
	k = norm(k);
	size_t i = slot(m, k);
	if (m->key[i] != k)
		return false;
	*v = m->val[i];
	return true;
}

static bool
grow(struct idmap *m)
{
	size_t ocap = m->cap, ncap = m->cap ? m->cap * 2 : 1024;
	uint64_t *ok = m->key, *nk = calloc(ncap, sizeof(*nk));
	uint8_t *ov = m->val, *nv = calloc(ncap, 1);
	if (nk == NULL || nv == NULL) {
		free(nk);
		free(nv);
		return false;
	}
	m->key = nk;
	m->val = nv;
	m->cap = ncap;
	m->n = 0;
	for (size_t i = 0; i < ocap; i++)
		if (ok[i] != 0) {
			size_t j = slot(m, ok[i]);
			m->key[j] = ok[i];
			m->val[j] = ov[i];
			m->n++;
		}
	free(ok);
	free(ov);
	return true;
}

bool
idmap_put(struct idmap *m, uint64_t k, uint8_t v)
{
	if ((m->n + 1) * 2 > m->cap && !grow(m))
		return false;
	k = norm(k);
	size_t i = slot(m, k);
	if (m->key[i] == 0)
		m->n++;
	m->key[i] = k;
	m->val[i] = v;
	return true;
}
