/*
 * imap_client_auth: the IMAP import source's login (imap_client.h).
 * AUTHENTICATE PLAIN (RFC 4616) carries an authorization identity, which
 * is how an administrator logs in for a user: Dovecot's master users and
 * Cyrus's admins / proxy servers both take authzid = the user, authcid =
 * the administrator. The password only ever crosses TLS or loopback
 * (imapc_open refuses anything else) and is wiped from our buffers.
 */
#include "imap_client.h"
#include "imap_client_data.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

/* base64(authzid NUL authcid NUL password) appended to out. */
static int
plain_response(struct buf *out, const char *authz, const char *authc,
    const char *pw, size_t pwlen)
{
	struct buf raw = BUF_INIT(4096);
	int rc = -1;
	if (buf_append_str(&raw, authz) == 0 && buf_append_byte(&raw, 0) == 0 &&
	    buf_append_str(&raw, authc) == 0 && buf_append_byte(&raw, 0) == 0 &&
	    buf_append(&raw, pw, pwlen) == 0 &&
	    buf_reserve(out, 4 * (raw.len / 3 + 1) + 1) == 0) {
		int n = EVP_EncodeBlock(out->data + out->len, raw.data,
		    (int)raw.len);
		out->len += (size_t)n;
		rc = 0;
	}
	buf_free_secret(&raw);
	return rc;
}

static int
authenticate_plain(struct imapc *c, const char *authz, const char *authc,
    const char *pw, size_t pwlen)
{
	struct buf resp = BUF_INIT(8192);
	unsigned tag = 0;
	if (plain_response(&resp, authz, authc, pw, pwlen) < 0) {
		buf_free_secret(&resp);
		snprintf(c->err, sizeof(c->err), "credentials too long");
		return -1;
	}
	if (c->caps & IMAPC_CAP_SASL_IR) {
		tag = imapc_send(c, "AUTHENTICATE PLAIN %.*s", (int)resp.len,
		    (const char *)resp.data);
	} else {
		struct imapc_resp *r;
		tag = imapc_send(c, "AUTHENTICATE PLAIN");
		if (tag != 0 && (imapc_read(c, &r) < 0 ||
		    r->kind != IMAPC_CONTINUE))
			tag = 0;
		/* the answer to "+": the response line without a tag */
		if (tag != 0 && (buf_append(&resp, "\r\n", 2) < 0 ||
		    imapc_write_line(c, resp.data, resp.len) < 0))
			tag = 0;
	}
	buf_free_secret(&resp);
	if (tag == 0 && c->err[0] == 0)
		snprintf(c->err, sizeof(c->err), "AUTHENTICATE PLAIN refused");
	return imapc_wait(c, tag, NULL, NULL);
}

static int
login(struct imapc *c, const char *user, const char *pw, size_t pwlen)
{
	struct buf args = BUF_INIT(8192);
	unsigned tag = 0;
	if (imapc_quote(&args, user, strlen(user)) == 0 &&
	    buf_append_byte(&args, ' ') == 0 &&
	    imapc_quote(&args, pw, pwlen) == 0)
		tag = imapc_send(c, "LOGIN %.*s", (int)args.len,
		    (const char *)args.data);
	else
		snprintf(c->err, sizeof(c->err), "the user name or password"
		    " cannot be sent with LOGIN (the server has no AUTH=PLAIN)");
	buf_free_secret(&args);
	return imapc_wait(c, tag, NULL, NULL);
}

int
imapc_login(struct imapc *c, const char *user, const char *admin,
    const char *password, size_t pwlen)
{
	int rc;
	if (c->caps & IMAPC_CAP_AUTH_PLAIN)
		rc = authenticate_plain(c, admin ? user : "", admin ? admin :
		    user, password, pwlen);
	else if (admin != NULL)
		return snprintf(c->err, sizeof(c->err), "an administrator login"
		    " needs AUTH=PLAIN, which the server does not offer"), -1;
	else if (c->caps & IMAPC_CAP_LOGINDISABLED)
		return snprintf(c->err, sizeof(c->err), "the server offers"
		    " neither LOGIN nor AUTH=PLAIN"), -1;
	else
		rc = login(c, user, password, pwlen);
	if (rc < 0)
		return -1;
	/* the capabilities after login may differ (RFC 3501 6.2.2) */
	c->caps = 0;
	return imapc_wait(c, imapc_send(c, "CAPABILITY"), NULL, NULL);
}
