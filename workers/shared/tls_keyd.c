/* tls_keyd: the keyd provider (tls_keyd.h). */
#include "tls_keyd.h"
#include "tls_algs.h"
#include "buf.h"
#include "fds.h"
#include "ipc.h"
#include "log.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROVIDER_NAME "cloister-keyd"
#define PROPS "provider=cloister-keyd"
#define PARAM_NAME "cloister-keyd-name"   /* the certificate's name */

enum kind { KIND_EC = 1, KIND_RSA = 2 };

/* A key: the certificate's public key (in the default provider, which
 * answers every question about it) and the name keyd knows it by. */
struct kkey {
	enum kind kind;
	EVP_PKEY *pub;
	char name[KEY_NAME_MAX + 1];
};

/* ---- key management ---- */

static void *
km_new(enum kind kind)
{
	struct kkey *k = calloc(1, sizeof(*k));
	if (k != NULL)
		k->kind = kind;
	return k;
}
static void *km_new_ec(void *provctx) { (void)provctx; return km_new(KIND_EC); }
static void *km_new_rsa(void *provctx) { (void)provctx; return km_new(KIND_RSA); }

static void
km_free(void *kd)
{
	struct kkey *k = kd;
	if (k != NULL)
		EVP_PKEY_free(k->pub);
	free(k);
}

/* It "has" the private half too: keyd holds it for this key. */
static int
km_has(const void *kd, int selection)
{
	(void)selection;
	const struct kkey *k = kd;
	return k != NULL && k->pub != NULL;
}

/* The public key (from EVP_PKEY_fromdata, or exported by the default
 * provider to compare it with a certificate) and, when given, the name. */
static int
km_import(void *kd, int selection, const OSSL_PARAM params[])
{
	struct kkey *k = kd;
	(void)selection;
	const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, PARAM_NAME);
	const char *name;
	if (p != NULL && (OSSL_PARAM_get_utf8_string_ptr(p, &name) != 1 ||
	    buf_strlcpy(k->name, sizeof(k->name), name, strlen(name)) < 0))
		return 0;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL,
	    k->kind == KIND_EC ? "EC" : "RSA", "provider=default");
	EVP_PKEY *pub = NULL;
	int ok = c != NULL && EVP_PKEY_fromdata_init(c) == 1 &&
	    EVP_PKEY_fromdata(c, &pub, EVP_PKEY_PUBLIC_KEY,
	    (OSSL_PARAM *)params) == 1;
	EVP_PKEY_CTX_free(c);
	if (!ok)
		return 0;
	EVP_PKEY_free(k->pub);
	k->pub = pub;
	return 1;
}

static int
km_match(const void *a, const void *b, int selection)
{
	(void)selection;
	const struct kkey *x = a, *y = b;
	return x->pub != NULL && y->pub != NULL && EVP_PKEY_eq(x->pub, y->pub) == 1;
}

static int
km_get_params(void *kd, OSSL_PARAM params[])
{
	struct kkey *k = kd;
	return k->pub != NULL && EVP_PKEY_get_params(k->pub, params) == 1;
}

static const OSSL_PARAM *
km_gettable(void *provctx)
{
	(void)provctx;
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_utf8_string(PARAM_NAME, NULL, 0),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
		    NULL, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
		OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
		OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
		OSSL_PARAM_END
	};
	return list;
}

/* What import takes: the same public parameters, and the name. */
static const OSSL_PARAM *
km_import_types(int selection)
{
	(void)selection;
	return km_gettable(NULL);
}

static const char *
km_op_name_ec(int op)
{
	return op == OSSL_OP_SIGNATURE ? "ECDSA" : NULL;
}

static const char *
km_op_name_rsa(int op)
{
	return op == OSSL_OP_SIGNATURE ? "RSA" : NULL;
}

#define KM_COMMON \
	{ OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))km_free }, \
	{ OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))km_has }, \
	{ OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))km_import }, \
	{ OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))km_import_types }, \
	{ OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))km_match }, \
	{ OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))km_get_params }, \
	{ OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))km_gettable }

static const OSSL_DISPATCH km_ec[] = {
	{ OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))km_new_ec },
	{ OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))km_op_name_ec },
	KM_COMMON, { 0, NULL }
};
static const OSSL_DISPATCH km_rsa[] = {
	{ OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))km_new_rsa },
	{ OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))km_op_name_rsa },
	KM_COMMON, { 0, NULL }
};

/* ---- signature: the whole input, to keyd ---- */

struct sctx {
	struct kkey *k;
	char md[64];
	bool pss;
	uint8_t in[KEY_INPUT_MAX];
	size_t len;
	bool over;          /* more than KEY_INPUT_MAX: keyd would refuse it */
};

static void *
sig_newctx(void *provctx, const char *propq)
{
	(void)provctx;
	(void)propq;
	return calloc(1, sizeof(struct sctx));
}

static void
sig_freectx(void *c)
{
	if (c != NULL)
		explicit_bzero(c, sizeof(struct sctx));
	free(c);
}

static void *
sig_dupctx(void *c)
{
	struct sctx *d = malloc(sizeof(*d));
	if (d != NULL)
		memcpy(d, c, sizeof(*d));
	return d;
}

static int
sig_set_params(void *vc, const OSSL_PARAM params[])
{
	struct sctx *c = vc;
	const OSSL_PARAM *p;
	if (params == NULL)
		return 1;
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL) {
		int mode = 0;
		const char *s = NULL;
		if (p->data_type == OSSL_PARAM_INTEGER &&
		    OSSL_PARAM_get_int(p, &mode) == 1)
			c->pss = mode == RSA_PKCS1_PSS_PADDING;
		else if (OSSL_PARAM_get_utf8_string_ptr(p, &s) == 1)
			c->pss = strcmp(s, OSSL_PKEY_RSA_PAD_MODE_PSS) == 0;
		else
			return 0;
	}
	const char *md;
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_DIGEST)) != NULL &&
	    (OSSL_PARAM_get_utf8_string_ptr(p, &md) != 1 ||
	    buf_strlcpy(c->md, sizeof(c->md), md, strlen(md)) < 0))
		return 0;
	/* the salt length is the digest's, which is what keyd uses: TLS
	 * allows no other (RFC 8446 4.2.3) */
	return 1;
}

static const OSSL_PARAM *
sig_settable(void *c, void *provctx)
{
	(void)c;
	(void)provctx;
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
		OSSL_PARAM_END
	};
	return list;
}

static int
sig_init(void *vc, const char *mdname, void *kd, const OSSL_PARAM params[])
{
	struct sctx *c = vc;
	c->k = kd;
	c->len = 0;
	c->over = false;
	c->pss = false;
	if (buf_strlcpy(c->md, sizeof(c->md), mdname ? mdname : "SHA256",
	    strlen(mdname ? mdname : "SHA256")) < 0)
		return 0;
	return sig_set_params(c, params);
}

static int
sig_update(void *vc, const unsigned char *data, size_t n)
{
	struct sctx *c = vc;
	if (n > sizeof(c->in) - c->len) {
		c->over = true;
		return 1;
	}
	memcpy(c->in + c->len, data, n);
	c->len += n;
	return 1;
}

/* The TLS SignatureScheme for the key, the digest and the padding; 0 for
 * a digest keyd does not sign with. */
static uint32_t
scheme_of(const struct sctx *c)
{
	EVP_MD *md = EVP_MD_fetch(NULL, c->md, NULL);
	uint32_t hash = 0;
	if (md != NULL)
		hash = EVP_MD_is_a(md, "SHA256") ? 4 : EVP_MD_is_a(md, "SHA384") ?
		    5 : EVP_MD_is_a(md, "SHA512") ? 6 : 0;
	EVP_MD_free(md);
	if (hash == 0)
		return 0;
	if (c->k->kind == KIND_EC)
		return hash << 8 | 0x03;             /* ecdsa_*_sha* */
	return c->pss ? 0x0800 | hash : hash << 8 | 0x01;   /* rsa_pss_rsae_*, rsa_pkcs1_* */
}

/* Ask keyd; the signature's length, or 0 (logged). */
static size_t
ask_keyd(const struct kkey *k, uint32_t scheme, const uint8_t *in, size_t len,
    uint8_t *sig, size_t sigsize)
{
	struct buf b = BUF_INIT(KEY_INPUT_MAX + KEY_NAME_MAX + 64);
	ipc_put_str(&b, k->name);
	ipc_put_u32(&b, scheme);
	ipc_put_bytes(&b, in, len);
	int r = ipc_send(CLOISTER_FD_KEYD, IPC_KEY_SIGN, 1, 0, &b, -1);
	buf_free(&b);
	struct ipc_msg *m = malloc(sizeof(*m));   /* ~100 KiB, once */
	if (r < 0 || m == NULL) {
		log_warn("keyd: cannot send the signing request: %m");
		free(m);
		return 0;
	}
	enum ipc_recv_result rr;
	do
		rr = ipc_recv(CLOISTER_FD_KEYD, m);
	while (rr == IPC_RECV_AGAIN);
	size_t n = 0;
	struct buf_cur cur;
	const uint8_t *p;
	uint32_t code;
	const char *why;
	size_t wl;
	ipc_msg_cursor(m, &cur);
	if (rr != IPC_RECV_OK)
		log_warn("keyd: no signature (the channel ended)");
	else if (m->type == IPC_KEY_SIGNATURE && ipc_get_bytes(&cur, &p, &n,
	    sigsize) == 0 && ipc_get_end(&cur) == 0)
		memcpy(sig, p, n);
	else if (m->type == IPC_ERROR && ipc_get_u32(&cur, &code) == 0 &&
	    ipc_get_strp(&cur, &why, &wl, 512) == 0)
		log_warn("keyd refused to sign: %.*s", (int)wl, why), n = 0;
	else
		log_warn("keyd: an unexpected reply (type %u)", m->type), n = 0;
	ipc_msg_close_fd(m);
	free(m);
	return n;
}

static int
sig_final(void *vc, unsigned char *sig, size_t *siglen, size_t sigsize)
{
	struct sctx *c = vc;
	if (sig == NULL) {
		*siglen = (size_t)EVP_PKEY_get_size(c->k->pub);
		return 1;
	}
	uint32_t scheme = scheme_of(c);
	if (c->over || scheme == 0)
		return 0;
	size_t n = ask_keyd(c->k, scheme, c->in, c->len, sig, sigsize);
	*siglen = n;
	return n > 0;
}

static int
sig_oneshot(void *vc, unsigned char *sig, size_t *siglen, size_t sigsize,
    const unsigned char *tbs, size_t tbslen)
{
	struct sctx *c = vc;
	if (sig != NULL) {
		c->len = 0;
		c->over = false;
		sig_update(c, tbs, tbslen);
	}
	return sig_final(c, sig, siglen, sigsize);
}

static const OSSL_DISPATCH sig_fns[] = {
	{ OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))sig_newctx },
	{ OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))sig_freectx },
	{ OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))sig_dupctx },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, (void (*)(void))sig_init },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, (void (*)(void))sig_update },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, (void (*)(void))sig_final },
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN, (void (*)(void))sig_oneshot },
	{ OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, (void (*)(void))sig_set_params },
	{ OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, (void (*)(void))sig_settable },
	{ 0, NULL }
};

/* ---- the provider ---- */

static const OSSL_ALGORITHM keymgmts[] = {
	{ "EC:id-ecPublicKey", PROPS, km_ec, "EC keys held by cloister-keyd" },
	{ "RSA:rsaEncryption", PROPS, km_rsa, "RSA keys held by cloister-keyd" },
	{ NULL, NULL, NULL, NULL }
};
static const OSSL_ALGORITHM signatures[] = {
	{ "ECDSA", PROPS, sig_fns, "ECDSA by cloister-keyd" },
	{ "RSA:rsaEncryption", PROPS, sig_fns, "RSA by cloister-keyd" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *
query(void *provctx, int op, int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	return op == OSSL_OP_KEYMGMT ? keymgmts :
	    op == OSSL_OP_SIGNATURE ? signatures : NULL;
}

static const OSSL_DISPATCH provider_fns[] = {
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))query },
	{ 0, NULL }
};

static int
provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
    const OSSL_DISPATCH **out, void **provctx)
{
	(void)handle;
	(void)in;
	*out = provider_fns;
	*provctx = NULL;
	return 1;
}

int
tls_keyd_init(char *err, size_t errlen)
{
	static bool done;
	if (done)
		return 0;
	/* the default provider's algorithms come through cloister-tls
	 * (tls_algs.h), which keeps their "provider=default" */
	if (tls_algs_load(err, errlen) < 0)
		return -1;
	if (OSSL_PROVIDER_add_builtin(NULL, PROVIDER_NAME, provider_init) != 1 ||
	    OSSL_PROVIDER_load(NULL, PROVIDER_NAME) == NULL ||
	    /* every fetch that names no provider gets the default one's */
	    EVP_set_default_properties(NULL, "?provider=default") != 1) {
		ERR_clear_error();
		buf_snprintf(err, errlen, "cannot load the keyd provider");
		return -1;
	}
	done = true;
	return 0;
}

EVP_PKEY *
tls_keyd_key(X509 *leaf, const char *name)
{
	EVP_PKEY *pub = X509_get0_pubkey(leaf), *k = NULL;
	OSSL_PARAM *pp = NULL;
	if (pub == NULL || EVP_PKEY_todata(pub, EVP_PKEY_PUBLIC_KEY, &pp) != 1)
		return NULL;
	/* the public key's params, then the name */
	size_t n = 0;
	while (pp[n].key != NULL)
		n++;
	OSSL_PARAM *all = calloc(n + 2, sizeof(*all));
	const char *type = EVP_PKEY_is_a(pub, "EC") ? "EC" :
	    EVP_PKEY_is_a(pub, "RSA") ? "RSA" : NULL;
	EVP_PKEY_CTX *c = type ? EVP_PKEY_CTX_new_from_name(NULL, type, PROPS) :
	    NULL;
	if (all != NULL && c != NULL) {
		memcpy(all, pp, n * sizeof(*all));
		all[n] = OSSL_PARAM_construct_utf8_string(PARAM_NAME, (char *)name,
		    0);
		all[n + 1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_fromdata_init(c) != 1 ||
		    EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, all) != 1)
			k = NULL;
	}
	EVP_PKEY_CTX_free(c);
	free(all);
	OSSL_PARAM_free(pp);
	ERR_clear_error();
	return k;
}
