/* lmtp_dsn: link a delivered DSN or MDN to its submission (see lmtp_dsn.h). */
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

/* The machine-readable part of a multipart/report of that report-type
 * ("delivery-status", "disposition-notification"): its message/<type>
 * child, or MIME_NONE. */
static uint32_t
status_part(const struct mime_msg *m, const char *type)
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
	bool same = rt != NULL && rt->len == strlen(type) &&
	    strncasecmp((const char *)rt->p, type, rt->len) == 0;
	mime_ctype_free(&ct);
	if (!same)
		return MIME_NONE;
	/* its direct children only: a bounded walk of the sibling list */
	uint32_t i = top->child;
	for (unsigned k = 0; i != MIME_NONE && k < m->nparts; k++) {
		enum mime_cte cte = mime_part_cte(m, i);
		if (is_type(m, i, "message", type) &&
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

static void
report(struct store_conn *sc, const char *user, uint32_t kind, uint64_t id,
    const char *msgid, const uint8_t *hash, const struct store_report_rcpt *rc,
    size_t n)
{
	if (store_outbox_report(sc, user, kind, id, msgid, hash, rc, n) !=
	    STORE_OK)
		log_warn("%s for %s: the store: %s", kind == STORE_REPORT_DSN ?
		    "dsn" : "mdn", user, store_client_errmsg(sc));
	else
		log_info("%s for %s names a submission", kind == STORE_REPORT_DSN ?
		    "dsn" : "mdn", user);
}

void
lmtp_dsn_link(struct store_conn *sc, const char *user,
    const struct mime_msg *m, const void *trace, size_t tlen, const void *msg,
    size_t mlen)
{
	static struct dsn_fields d;
	static struct mdn_fields md;
	static struct store_report_rcpt rc[DSN_RCPTS_MAX];
	uint8_t hash[STORE_BLOBID_LEN];
	uint32_t i = status_part(m, "delivery-status");
	if (i != MIME_NONE) {
		const struct mime_part *p = &m->parts[i];
		dsn_fields_parse(m->data + p->body, p->end - p->body, &d);
		uint64_t id = dsn_envid_outbox(d.envid);
		if (id == 0 || !content_id(trace, tlen, msg, mlen, hash))
			return;
		for (unsigned k = 0; k < d.n; k++)
			rc[k] = (struct store_report_rcpt){ d.rcpt[k].addr,
			    d.rcpt[k].action };
		report(sc, user, STORE_REPORT_DSN, id, "", hash, rc, d.n);
		return;
	}
	if ((i = status_part(m, "disposition-notification")) == MIME_NONE)
		return;
	const struct mime_part *p = &m->parts[i];
	mdn_fields_parse(m->data + p->body, p->end - p->body, &md);
	if (md.msgid[0] == '\0' || !content_id(trace, tlen, msg, mlen, hash))
		return;
	rc[0] = (struct store_report_rcpt){ md.rcpt.addr, md.rcpt.action };
	report(sc, user, STORE_REPORT_MDN, 0, md.msgid, hash, rc,
	    md.rcpt.action != 0);
}
