/* textmatch: linear-time case-insensitive substring search (see
 * textmatch.h). */
#include "textmatch.h"

#include <stdlib.h>
#include <string.h>

static uint8_t
fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

int
textmatch_init(struct textmatch *tm, const uint8_t *needle, size_t n)
{
	memset(tm, 0, sizeof(*tm));
	tm->needle = malloc(n + 1);
	tm->fail = malloc((n + 1) * sizeof(*tm->fail));
	if (tm->needle == NULL || tm->fail == NULL) {
		textmatch_free(tm);
		return -1;
	}
	tm->n = n;
	for (size_t i = 0; i < n; i++)
		tm->needle[i] = fold(needle[i]);
	/* fail[i]: length of the longest proper border of needle[0..i] */
	if (n > 0)
		tm->fail[0] = 0;
	for (size_t i = 1, k = 0; i < n; i++) {
		while (k > 0 && tm->needle[i] != tm->needle[k])
			k = tm->fail[k - 1];
		if (tm->needle[i] == tm->needle[k])
			k++;
		tm->fail[i] = (uint32_t)k;
	}
	return 0;
}

void
textmatch_free(struct textmatch *tm)
{
	free(tm->needle);
	free(tm->fail);
	tm->needle = NULL;
	tm->fail = NULL;
	tm->n = 0;
}

/* The next position at or after i holding c, from a cache that stays valid
 * while it is at or after i: each byte is looked at by memchr once. */
struct next {
	bool valid;
	size_t pos;
};

static size_t
next_of(const uint8_t *h, size_t hn, size_t i, uint8_t c, struct next *nx,
    uint64_t *work)
{
	if (nx->valid && nx->pos >= i)
		return nx->pos;
	const uint8_t *p = memchr(h + i, c, hn - i);
	nx->pos = p != NULL ? (size_t)(p - h) : hn;
	nx->valid = true;
	*work += nx->pos - i + 1;
	return nx->pos;
}

bool
textmatch_find(struct textmatch *tm, const uint8_t *h, size_t hn)
{
	size_t n = tm->n;
	if (n == 0)
		return true;
	if (h == NULL || hn < n)
		return false;
	const uint8_t lo = tm->needle[0];
	const uint8_t up = lo >= 'a' && lo <= 'z' ? (uint8_t)(lo - 32) : lo;
	struct next nlo = { false, 0 }, nup = { false, 0 };
	size_t q = 0;
	for (size_t i = 0; i < hn;) {
		if (q == 0) {
			/* nothing matched: jump to the next candidate */
			if (hn - i < n)
				return false;
			size_t a = next_of(h, hn, i, lo, &nlo, &tm->work);
			size_t b = up == lo ? a :
			    next_of(h, hn, i, up, &nup, &tm->work);
			i = a < b ? a : b;
			if (i >= hn || hn - i < n)
				return false;
		}
		uint8_t c = fold(h[i]);
		tm->work++;
		while (q > 0 && c != tm->needle[q]) {
			q = tm->fail[q - 1];
			tm->work++;
		}
		if (c == tm->needle[q])
			q++;
		i++;
		if (q == n)
			return true;
	}
	return false;
}
