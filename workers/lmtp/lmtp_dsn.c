/* lmtp_dsn: link a delivered DSN to its submission (see lmtp_dsn.h). */
#include "lmtp_dsn.h"
#include "lmtp_dsn_fields.h"
#include "log.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

static bool
is_type(const struct mime_msg *m, uint32_t part, const char *type,
    const char *subtype)
{
	char t[32], s[64];
	mime_part_type(m, part, t, sizeof(t), s, sizeof(s));
	return strcasecmp(t, type) == 0 && strcasecmp(s, subtype) == 0;
}

/* The message/delivery-status part of a multipart/report;
 * report-type=delivery-status, or MIME_NONE. */
static uint32_t
status_part(const struct mime_msg *m)
{
	struct mime_field f;
	const struct mime_part *top = mime_part(m, 0);
	if (top == NULL || top->kind != MIME_MULTIPART ||
	    !is_type(m, 0, "multipart", "report") ||
	    !mime_hdr_find(m, 0, "Content-Type", &f))
		return MIME_NONE;
	struct mime_ctype ct;
	mime_ctype_parse(&ct, f.value, f.value_len);
	const struct mime_str *rt = mime_param_get(&ct, "report-type");
	bool dsn = rt != NULL && rt->len == 15 &&
	    strncasecmp((const char *)rt->p, "delivery-status", 15) == 0;
	mime_ctype_free(&ct);
	if (!dsn)
		return MIME_NONE;
	/* its direct children only: a bounded walk of the sibling list */
	uint32_t i = top->child;
	for (unsigned k = 0; i != MIME_NONE && k < m->nparts; k++) {
		enum mime_cte cte = mime_part_cte(m, i);
		if (is_type(m, i, "message", "delivery-status") &&
		    (cte == MIME_CTE_7BIT || cte == MIME_CTE_8BIT))
			return i;
		i = m->parts[i].next;
	}
	return MIME_NONE;
}

/* SHA-256 of trace then msg: the content id the store gave the message. */
static bool
content_id(const void *trace, size_t tlen, const void *msg, size_t mlen,
    uint8_t out[STORE_BLOBID_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned n = 0;
	bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, trace, tlen) == 1 &&
	    EVP_DigestUpdate(ctx, msg, mlen) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == STORE_BLOBID_LEN;
	EVP_MD_CTX_free(ctx);
	return ok;
}

void
lmtp_dsn_link(struct store_conn *sc, const char *user,
    const struct mime_msg *m, const void *trace, size_t tlen, const void *msg,
    size_t mlen)
{
	static struct dsn_fields d;
	static struct store_report_rcpt rc[DSN_RCPTS_MAX];
	uint8_t hash[STORE_BLOBID_LEN];
	uint32_t i = status_part(m);
	if (i == MIME_NONE)
		return;
	const struct mime_part *p = &m->parts[i];
	dsn_fields_parse(m->data + p->body, p->end - p->body, &d);
	uint64_t id = dsn_envid_outbox(d.envid);
	if (id == 0 || !content_id(trace, tlen, msg, mlen, hash))
		return;
	for (unsigned k = 0; k < d.n; k++)
		rc[k] = (struct store_report_rcpt){ d.rcpt[k].addr, d.rcpt[k].action };
	if (store_outbox_report(sc, user, id, hash, rc, d.n) != STORE_OK)
		log_warn("dsn for %s: the store: %s", user, store_client_errmsg(sc));
	else
		log_info("dsn for %s names submission %llu", user,
		    (unsigned long long)id);
}
