/* libFuzzer target: message metadata as headers would give it -> both
 * THREAD algorithms. Each input line is one message: "msgid|refs|subject"
 * (the first byte of the line is its date). Every message must appear in
 * the output exactly once (as its number) and the output stays bounded. */
#include "imap_thread.h"

#include <stdlib.h>
#include <string.h>

static char *
field(const char **p, const char *end, char sep)
{
	const char *s = *p, *e = memchr(s, sep, (size_t)(end - s));
	if (e == NULL)
		e = end;
	char *d = malloc((size_t)(e - s) + 1);
	if (d == NULL)
		abort();
	memcpy(d, s, (size_t)(e - s));
	d[e - s] = '\0';
	for (char *q = d; q < d + (e - s); q++)
		if (*q == '\0')
			*q = ' ';
	*p = e < end ? e + 1 : e;
	return d;
}

static void
check(const struct buf *o, size_t n)
{
	unsigned char *seen = calloc(n + 1, 1);
	const char *s = (const char *)o->data, *end = s + o->len;
	while (s != NULL && s < end) {
		if (*s >= '0' && *s <= '9') {
			unsigned long v = strtoul(s, (char **)&s, 10);
			if (v == 0 || v > n || seen[v]++)
				abort();
		} else {
			s++;
		}
	}
	for (size_t i = 1; i <= n; i++)
		if (!seen[i])
			abort();
	free(seen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_thread_msg m[64];
	size_t n = 0;
	const char *p = (const char *)data, *end = p + size;
	while (p < end && n < 64) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		m[n].seq = (uint32_t)n + 1;
		m[n].date = (unsigned char)*p;
		const char *q = p + 1 <= le ? p + 1 : le;
		m[n].msgid = field(&q, le, '|');
		m[n].refs = field(&q, le, '|');
		m[n].inreplyto = NULL;
		m[n].subject = field(&q, le, '|');
		n++;
		p = nl ? nl + 1 : end;
	}
	for (int alg = 0; alg < 2; alg++) {
		struct buf o = BUF_INIT(1 << 20);
		int rc = (alg ? imap_thread_references :
		    imap_thread_orderedsubject)(m, n, &o);
		if (rc == 0) {
			buf_append_byte(&o, 0);
			o.len--;
			check(&o, n);
		}
		buf_free(&o);
	}
	for (size_t i = 0; i < n; i++) {
		free((char *)m[i].msgid);
		free((char *)m[i].refs);
		free((char *)m[i].subject);
	}
	return 0;
}
