/* libFuzzer target: the Sieve edit builder (lmtp_sieve_edit) on any
 * message and any replacement. Input: a byte of options (bit 0 enclose,
 * bit 1 :mime, bit 2 :subject, bit 3 :from), a byte naming the part, the
 * script's text up to a NUL, then the message. What must hold: an
 * enclosed message is the second part of the new one, byte for byte; a
 * replaced part leaves every part before it (its ancestors among them)
 * as it was, so a replacement can never forge or end parts around it. */
#include <stdlib.h>
#include <string.h>

#include "lmtp_sieve_edit.h"

static const struct lmtp_edit_env env = { "me+x@example.org",
	"me@example.org", "mx", 0 };

static void
check_enclosed(const struct buf *out, const uint8_t *msg, size_t len)
{
	struct mime_msg n;
	if (mime_parse(&n, out->data, out->len, NULL) < 0)
		return;
	const struct mime_part *top = mime_part(&n, 0);
	const struct mime_part *text = mime_part(&n, top->child);
	const struct mime_part *inner = text ? mime_part(&n, text->next) : NULL;
	/* a header without its empty line keeps the line end after it
	 * (as Dovecot parses it): at most those two bytes more */
	size_t got = inner == NULL ? 0 : inner->end - inner->body;
	if (top->kind != MIME_MULTIPART || inner == NULL ||
	    inner->kind != MIME_MESSAGE || got < len || got > len + 2 ||
	    memcmp(n.data + inner->body, msg, len) != 0)
		abort();
	mime_free(&n);
}

static void
check_replaced(const struct mime_msg *m, const struct buf *out, size_t part)
{
	struct mime_msg n;
	if ((m->flags & MIME_M_LIMIT) || mime_parse(&n, out->data, out->len,
	    NULL) < 0)
		return;
	/* the part starts where it did (after the line ends it lacked) */
	if (n.nparts <= part || n.parts[part].hdr < m->parts[part].hdr ||
	    n.parts[part].hdr > m->parts[part].hdr + 4)
		abort();
	for (size_t i = 0; i < part; i++)
		if (n.parts[i].kind != m->parts[i].kind ||
		    n.parts[i].parent != m->parts[i].parent)
			abort();
	mime_free(&n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	const uint8_t *nul = memchr(data + 2, 0, size - 2);
	if (nul == NULL)
		return 0;
	char *text = strndup((const char *)data + 2, (size_t)(nul - data - 2));
	const uint8_t *msg = nul + 1;
	size_t len = size - (size_t)(msg - data);
	struct sieve_action a = { .type = data[0] & 1 ? SIEVE_ACT_ENCLOSE :
		SIEVE_ACT_REPLACE, .arg = text, .mime = (data[0] & 2) != 0,
		.subject = data[0] & 4 ? text : NULL,
		.from = data[0] & 8 ? text : NULL, .part = data[1] };
	static const char *const hdrs[] = { "from", "to", "date" };
	a.headers = hdrs;
	a.nheaders = 3;
	struct mime_msg m;
	struct mime_limits lim = { 16, 200 };
	if (text == NULL || mime_parse(&m, msg, len, &lim) < 0) {
		free(text);
		return 0;
	}
	struct buf out = BUF_INIT(1 << 20);
	const char *why;
	if (lmtp_edit_apply(&out, &m, &a, &env, &why) == 0) {
		if (a.type == SIEVE_ACT_ENCLOSE)
			check_enclosed(&out, msg, len);
		else if (a.part > 0)
			check_replaced(&m, &out, a.part);
	}
	buf_free(&out);
	mime_free(&m);
	free(text);
	return 0;
}
