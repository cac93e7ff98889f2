/* libFuzzer target: the IMAP import source's response reader
 * (ctl/imap_client_resp.h, ctl/imap_client_data.h) fed the input as a
 * remote server's bytes. The input arrives in reads of a size picked from
 * its first byte, so that the framing state kept across reads (a line cut
 * anywhere, a literal cut anywhere) is exercised; every framed response is
 * parsed and read as LIST, FETCH (with its keywords and dates),
 * NAMESPACE and capabilities, touching every byte a token points at. */
#include <stdlib.h>
#include <string.h>

#include "imap_client_data.h"

static uint8_t sink;

static void
touch(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sink ^= (uint8_t)p[i];
}

static void
read_response(struct imapc_resp *r, char *b, size_t len)
{
	if (imapc_resp_parse(r, b, len) < 0)
		return;
	touch(r->name, r->namelen);
	touch(r->text, r->textlen);
	for (size_t i = 0; i < r->ntoks; i++) {
		touch(r->toks[i].p, r->toks[i].len);
		if (r->toks[i].type == IMAPC_OPEN && r->toks[i].close >= r->ntoks)
			abort();
	}
	struct imapc_list l;
	if (imapc_list_parse(r, &l) == 0)
		touch(l.name, l.namelen);
	struct imapc_fetch f;
	if (imapc_fetch_parse(r, &f) == 0) {
		if (f.has_body)
			touch(f.body, f.bodylen);
		const struct imapc_tok *k;
		for (size_t i = 0; (k = imapc_fetch_keyword(r, &f, i)); i++)
			touch(k->p, k->len);
	}
	struct imapc_ns ns;
	if (imapc_namespace_parse(r, &ns) == 0) {
		if (ns.has_personal)
			touch(ns.personal.prefix, ns.personal.len);
		for (size_t i = 0; i < ns.nothers; i++)
			touch(ns.others[i].prefix, ns.others[i].len);
	}
	sink ^= (uint8_t)imapc_caps(r->toks, r->ntoks);
	for (size_t i = 0; i < r->ntoks; i++) {
		int64_t t;
		if (imapc_date_parse(r->toks[i].p, r->toks[i].len, &t) == 0)
			sink ^= (uint8_t)t;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 << 20)
		return 0;
	size_t chunk = 1 + data[0] % 64, have = 0, fed = 1;
	/* a private copy the parser may write to, filled read by read */
	char *b = malloc(size);
	struct imapc_frame fr = { 0 };
	struct imapc_resp r = { 0 };
	if (b == NULL)
		return 0;
	for (;;) {
		long n = imapc_frame_next(&fr, b, have, 4096);
		if (n < 0)
			break;
		if (n > 0) {
			read_response(&r, b, (size_t)n);
			memmove(b, b + n, have - (size_t)n);
			have -= (size_t)n;
			memset(&fr, 0, sizeof(fr));
			continue;
		}
		if (fed == size)
			break;
		size_t take = size - fed < chunk ? size - fed : chunk;
		memcpy(b + have, data + fed, take);
		have += take;
		fed += take;
	}
	imapc_resp_free(&r);
	free(b);
	return 0;
}
