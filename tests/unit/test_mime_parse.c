/* Unit tests for workers/shared/mime: the part tree, sections, header
 * fields, Content-Type parameters, and the limits on hostile input. */
#include "check.h"
#include "mime.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *
sect(const struct mime_msg *m, const char *path, enum mime_section w,
    char *dst, size_t dsz)
{
	uint32_t p[16];
	size_t n = 0;
	for (const char *s = path; *s; ) {
		p[n++] = (uint32_t)strtoul(s, (char **)&s, 10);
		if (*s == '.')
			s++;
	}
	size_t a, b;
	if (mime_section_range(m, p, n, w, &a, &b) < 0)
		return NULL;
	size_t l = b - a < dsz - 1 ? b - a : dsz - 1;
	memcpy(dst, m->data + a, l);
	dst[l] = '\0';
	return dst;
}

#define SECT_IS(m, path, w, want) do { \
	char _b[4096]; \
	const char *_g = sect(m, path, w, _b, sizeof(_b)); \
	CHECK(_g != NULL && strcmp(_g, want) == 0); \
	if (_g != NULL && strcmp(_g, want) != 0) \
		fprintf(stderr, "  section %s: got [%s] want [%s]\n", path, _g, want); \
} while (0)

static void
test_single(void)
{
	const char *msg = "From: a@b\r\nSubject: hi\r\n\r\nhello\r\nworld\r\n";
	struct mime_msg m;
	CHECK_EQ(mime_parse(&m, msg, strlen(msg), NULL), 0);
	CHECK_EQ(m.nparts, 1);
	CHECK_EQ(m.parts[0].body, 26);
	CHECK_EQ(m.parts[0].end, strlen(msg));
	CHECK(m.parts[0].flags & MIME_P_TEXT);
	CHECK(!(m.parts[0].flags & MIME_P_IS_MIME));
	SECT_IS(&m, "", MIME_SEC_HEADER, "From: a@b\r\nSubject: hi\r\n\r\n");
	SECT_IS(&m, "", MIME_SEC_TEXT, "hello\r\nworld\r\n");
	SECT_IS(&m, "1", MIME_SEC_BODY, "hello\r\nworld\r\n");
	char b[64];
	CHECK(sect(&m, "2", MIME_SEC_BODY, b, sizeof(b)) == NULL);
	CHECK(sect(&m, "1", MIME_SEC_HEADER, b, sizeof(b)) == NULL);
	CHECK(sect(&m, "", MIME_SEC_MIME, b, sizeof(b)) == NULL);
	CHECK_EQ(mime_count_lines(&m, m.parts[0].body, m.parts[0].end), 2);
	mime_free(&m);

	/* no body, no empty line */
	const char *h = "Subject: x\r\nFrom: y";
	CHECK_EQ(mime_parse(&m, h, strlen(h), NULL), 0);
	CHECK_EQ(m.parts[0].body, strlen(h));
	CHECK(m.parts[0].flags & MIME_P_NO_EOH);
	mime_free(&m);

	/* empty input */
	CHECK_EQ(mime_parse(&m, "", 0, NULL), 0);
	CHECK_EQ(m.nparts, 1);
	CHECK_EQ(m.parts[0].end, 0);
	mime_free(&m);
}

static const char nested[] =
    "From: a@example.com\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "plain text\r\n"
    "--inner\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<b>html</b>\r\n"
    "--inner--\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner message\r\n"
    "Content-Type: multipart/mixed; boundary=deep\r\n"
    "\r\n"
    "--deep\r\n"
    "\r\n"
    "deep one\r\n"
    "--deep\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "aGVsbG8=\r\n"
    "--deep--\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: simple\r\n"
    "\r\n"
    "simple body\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

static void
test_nested(void)
{
	struct mime_msg m;
	CHECK_EQ(mime_parse(&m, nested, strlen(nested), NULL), 0);
	/* root, alt, plain, html, msg, inner, deep1, deep2, msg2, simple */
	CHECK_EQ(m.nparts, 10);
	CHECK_EQ(m.parts[0].kind, MIME_MULTIPART);
	CHECK_EQ(m.parts[1].kind, MIME_MULTIPART);
	CHECK_EQ(m.parts[4].kind, MIME_MESSAGE);
	CHECK_EQ(m.parts[5].kind, MIME_MULTIPART);
	CHECK_EQ(m.parts[5].parent, 4);
	CHECK_EQ(m.parts[9].parent, 8);
	CHECK_EQ(m.parts[0].end, strlen(nested));

	SECT_IS(&m, "1.1", MIME_SEC_BODY, "plain text");
	SECT_IS(&m, "1.2", MIME_SEC_BODY, "<b>html</b>");
	SECT_IS(&m, "1.2", MIME_SEC_MIME, "Content-Type: text/html\r\n\r\n");
	SECT_IS(&m, "2", MIME_SEC_HEADER,
	    "Subject: inner message\r\n"
	    "Content-Type: multipart/mixed; boundary=deep\r\n\r\n");
	SECT_IS(&m, "2.1", MIME_SEC_BODY, "deep one");
	SECT_IS(&m, "2.2", MIME_SEC_BODY, "aGVsbG8=");
	SECT_IS(&m, "2.2", MIME_SEC_MIME, "Content-Type: application/"
	    "octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	SECT_IS(&m, "3", MIME_SEC_BODY,
	    "Subject: simple\r\n\r\nsimple body");
	SECT_IS(&m, "3", MIME_SEC_TEXT, "simple body");
	SECT_IS(&m, "3.1", MIME_SEC_BODY, "simple body");
	SECT_IS(&m, "3", MIME_SEC_MIME, "Content-Type: message/rfc822\r\n\r\n");
	/* the inner multipart's body runs to the outer boundary: the
	 * epilogue "\r\n" after --inner-- is part of it */
	SECT_IS(&m, "1", MIME_SEC_BODY,
	    "--inner\r\nContent-Type: text/plain\r\n\r\nplain text\r\n"
	    "--inner\r\nContent-Type: text/html\r\n\r\n<b>html</b>\r\n"
	    "--inner--\r\n");
	char b[64];
	CHECK(sect(&m, "4", MIME_SEC_BODY, b, sizeof(b)) == NULL);
	CHECK(sect(&m, "1.1", MIME_SEC_HEADER, b, sizeof(b)) == NULL);
	CHECK(sect(&m, "0", MIME_SEC_BODY, b, sizeof(b)) == NULL);
	CHECK(sect(&m, "2.3", MIME_SEC_BODY, b, sizeof(b)) == NULL);

	bool unk;
	struct buf out = BUF_INIT(1024);
	uint32_t p22[2] = { 2, 2 };
	uint32_t pi = mime_section_part(&m, p22, 2);
	CHECK_EQ(mime_part_decode(&m, pi, &out, &unk), 0);
	CHECK(out.len == 5 && memcmp(out.data, "hello", 5) == 0);
	buf_free(&out);

	char t[32], s[32];
	mime_part_type(&m, 4, t, sizeof(t), s, sizeof(s));
	CHECK(strcmp(t, "message") == 0 && strcmp(s, "rfc822") == 0);
	mime_part_type(&m, 9, t, sizeof(t), s, sizeof(s));
	CHECK(strcmp(t, "text") == 0 && strcmp(s, "plain") == 0);
	mime_free(&m);
}

static void
test_bare_lf_and_broken(void)
{
	const char *lf =
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\none\n--b\n\ntwo\n--b--\n";
	struct mime_msg m;
	CHECK_EQ(mime_parse(&m, lf, strlen(lf), NULL), 0);
	CHECK_EQ(m.nparts, 3);
	SECT_IS(&m, "1", MIME_SEC_BODY, "one");
	SECT_IS(&m, "2", MIME_SEC_BODY, "two");
	SECT_IS(&m, "2", MIME_SEC_MIME, "\n");
	mime_free(&m);

	/* no close delimiter, no final newline */
	const char *open = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\nfirst\r\n--b\r\n\r\nsecond, unterminated";
	CHECK_EQ(mime_parse(&m, open, strlen(open), NULL), 0);
	CHECK_EQ(m.nparts, 3);
	SECT_IS(&m, "2", MIME_SEC_BODY, "second, unterminated");
	mime_free(&m);

	/* boundary inside a part's header: the header ends there */
	const char *inhdr = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n--b\r\n\r\nx\r\n--b--\r\n";
	CHECK_EQ(mime_parse(&m, inhdr, strlen(inhdr), NULL), 0);
	CHECK_EQ(m.nparts, 3);
	CHECK(m.parts[1].flags & MIME_P_NO_EOH);
	SECT_IS(&m, "1", MIME_SEC_BODY, "");
	SECT_IS(&m, "1", MIME_SEC_MIME, "Content-Type: text/plain");
	SECT_IS(&m, "2", MIME_SEC_BODY, "x");
	mime_free(&m);

	/* multipart without a boundary: no children */
	const char *nob = "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\ny\r\n";
	CHECK_EQ(mime_parse(&m, nob, strlen(nob), NULL), 0);
	CHECK_EQ(m.nparts, 1);
	CHECK_EQ(m.parts[0].kind, MIME_MULTIPART);
	CHECK_EQ(m.parts[0].child, MIME_NONE);
	mime_free(&m);

	/* no MIME-Version and no Content-Type: CTE does not apply */
	const char *nomime = "Content-Transfer-Encoding: base64\r\n\r\naGk=\r\n";
	CHECK_EQ(mime_parse(&m, nomime, strlen(nomime), NULL), 0);
	CHECK_EQ(mime_part_cte(&m, 0), MIME_CTE_7BIT);
	mime_free(&m);

	/* NUL and 8-bit bytes in the header are flagged, not fatal */
	const char nul[] = "Subject: a\0b\xe9\r\n\r\nbody";
	CHECK_EQ(mime_parse(&m, nul, sizeof(nul) - 1, NULL), 0);
	CHECK(m.flags & MIME_M_NUL_HDR);
	CHECK(m.flags & MIME_M_8BIT_HDR);
	mime_free(&m);

	/* longest prefix among open boundaries wins */
	const char *pre = "Content-Type: multipart/mixed; boundary=a\r\n\r\n"
	    "--a\r\nContent-Type: multipart/mixed; boundary=aa\r\n\r\n"
	    "--aa\r\n\r\nin\r\n--aa--\r\n--a--\r\n";
	CHECK_EQ(mime_parse(&m, pre, strlen(pre), NULL), 0);
	CHECK_EQ(m.nparts, 3);
	SECT_IS(&m, "1.1", MIME_SEC_BODY, "in");
	mime_free(&m);

	/* a digest's parts default to message/rfc822 */
	const char *dig = "Content-Type: multipart/digest; boundary=d\r\n\r\n"
	    "--d\r\n\r\nSubject: one\r\n\r\nbody1\r\n--d--\r\n";
	CHECK_EQ(mime_parse(&m, dig, strlen(dig), NULL), 0);
	CHECK_EQ(m.nparts, 3);
	CHECK_EQ(m.parts[1].kind, MIME_MESSAGE);
	SECT_IS(&m, "1", MIME_SEC_HEADER, "Subject: one\r\n\r\n");
	mime_free(&m);
}

static char *
deep_multiparts(size_t n, size_t *len)
{
	size_t cap = n * 80 + 64, o = 0;
	char *s = malloc(cap);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o,
		    "Content-Type: multipart/mixed; boundary=b%05zu\r\n\r\n--b%05zu\r\n",
		    i, i);
	o += (size_t)snprintf(s + o, cap - o, "\r\nleaf\r\n");
	*len = o;
	return s;
}

static void
test_limits(void)
{
	struct mime_msg m;
	size_t len;
	char *deep = deep_multiparts(10000, &len);
	clock_t t0 = clock();
	CHECK_EQ(mime_parse(&m, deep, len, NULL), 0);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(secs < 2.0);   /* linear: milliseconds, not a hang */
	CHECK(m.flags & MIME_M_LIMIT);
	CHECK(m.nparts <= MIME_DEFAULT_MAX_DEPTH);
	unsigned maxd = 0;
	for (uint32_t i = 0; i < m.nparts; i++)
		if (m.parts[i].depth > maxd)
			maxd = m.parts[i].depth;
	CHECK(maxd < MIME_DEFAULT_MAX_DEPTH);
	CHECK(m.parts[m.nparts - 1].flags & MIME_P_TRUNCATED);
	mime_free(&m);
	free(deep);

	/* many siblings: the part limit holds */
	size_t n = 20000, cap = n * 12 + 128, o = 0;
	char *many = malloc(cap);
	o += (size_t)snprintf(many, cap,
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(many + o, cap - o, "--b\r\n\r\nx\r\n");
	struct mime_limits lim = { 64, 500 };
	CHECK_EQ(mime_parse(&m, many, o, &lim), 0);
	CHECK(m.nparts <= 500);
	CHECK(m.flags & MIME_M_LIMIT);
	CHECK_EQ(m.parts[0].end, o);
	mime_free(&m);
	free(many);

	/* megabytes of header: one part, all header */
	size_t hl = 8 << 20;
	char *big = malloc(hl + 16);
	for (size_t i = 0; i < hl; i += 64) {
		memcpy(big + i, "X-Filler: ", 10);
		memset(big + i + 10, 'a', 52);
		memcpy(big + i + 62, "\r\n", 2);
	}
	memcpy(big + hl, "\r\nbody", 6);
	t0 = clock();
	CHECK_EQ(mime_parse(&m, big, hl + 6, NULL), 0);
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	CHECK_EQ(m.parts[0].body, hl + 2);
	mime_free(&m);
	free(big);
}

static void
test_headers(void)
{
	const char *h = "Subject: one\r\n two\r\nX-Empty:\r\nnocolon line\r\n"
	    "From :  a@b\r\nsubject: again\r\n\r\nbody";
	struct mime_msg m;
	struct mime_field f;
	CHECK_EQ(mime_parse(&m, h, strlen(h), NULL), 0);
	CHECK(mime_hdr_find(&m, 0, "subject", &f));
	CHECK(f.value_len == 9 && memcmp(f.value, "one\r\n two", 9) == 0);
	CHECK(mime_hdr_find(&m, 0, "From", &f));
	CHECK(f.value_len == 3 && memcmp(f.value, "a@b", 3) == 0);
	CHECK(mime_hdr_find(&m, 0, "X-Empty", &f));
	CHECK_EQ(f.value_len, 0);
	CHECK(!mime_hdr_find(&m, 0, "nocolon line", &f));

	struct buf out = BUF_INIT(1024);
	struct mime_str names[] = { { "SUBJECT", 7 }, { "x-empty", 7 } };
	CHECK_EQ(mime_hdr_filter(&out, m.data, m.parts[0].body, names, 2,
	    false), 0);
	CHECK(out.len == strlen("Subject: one\r\n two\r\nX-Empty:\r\n"
	    "subject: again\r\n\r\n") && memcmp(out.data, "Subject: one\r\n "
	    "two\r\nX-Empty:\r\nsubject: again\r\n\r\n", out.len) == 0);
	buf_reset(&out);
	CHECK_EQ(mime_hdr_filter(&out, m.data, m.parts[0].body, names, 2,
	    true), 0);
	const char *want = "nocolon line\r\nFrom :  a@b\r\n\r\n";
	CHECK(out.len == strlen(want) && memcmp(out.data, want, out.len) == 0);
	buf_free(&out);
	mime_free(&m);
}

static void
test_ctype(void)
{
	struct mime_ctype ct;
	const char *v = "Text/Plain; charset=\"utf-8\" (comment); format=flowed;"
	    " name*0*=utf-8''%E2%82%AC; name*1=\" rate.txt\"";
	mime_ctype_parse(&ct, (const uint8_t *)v, strlen(v));
	CHECK(!ct.broken);
	CHECK(ct.type.len == 4 && memcmp(ct.type.p, "Text", 4) == 0);
	CHECK(ct.subtype.len == 5 && memcmp(ct.subtype.p, "Plain", 5) == 0);
	CHECK_EQ(ct.nparams, 3);
	const struct mime_str *cs = mime_param_get(&ct, "CHARSET");
	CHECK(cs != NULL && cs->len == 5 && memcmp(cs->p, "utf-8", 5) == 0);
	const struct mime_str *nm = mime_param_get(&ct, "name*");
	/* extended pieces stay encoded; a plain piece only gets its '%'
	 * escaped (as Dovecot 2.3 does) */
	CHECK(nm != NULL && nm->len == strlen("utf-8''%E2%82%AC rate.txt") &&
	    memcmp(nm->p, "utf-8''%E2%82%AC rate.txt", nm->len) == 0);
	mime_ctype_free(&ct);

	const char *bad = "text";
	mime_ctype_parse(&ct, (const uint8_t *)bad, strlen(bad));
	CHECK(ct.broken);   /* the type stays, as in Dovecot; no subtype */
	CHECK(ct.type.len == 4 && ct.subtype.len == 0);
	mime_ctype_free(&ct);

	const char *many = "multipart/mixed; boundary=\"a b\\\"c\"; x=1; x=2";
	mime_ctype_parse(&ct, (const uint8_t *)many, strlen(many));
	const struct mime_str *b = mime_param_get(&ct, "boundary");
	CHECK(b != NULL && b->len == 5 && memcmp(b->p, "a b\"c", 5) == 0);
	CHECK_EQ(ct.nparams, 3);   /* duplicates kept, as Dovecot shows them */
	mime_ctype_free(&ct);
}

int
main(void)
{
	test_single();
	test_nested();
	test_bare_lf_and_broken();
	test_limits();
	test_headers();
	test_ctype();
	return check_done("mime_parse");
}
