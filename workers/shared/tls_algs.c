/* tls_algs: the "cloister-tls" provider (tls_algs.h). */
#include "tls_algs.h"
#include "buf.h"
#include "log.h"

#include <openssl/core_dispatch.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define PROVIDER_NAME "cloister-tls"

/* The ciphers: each entry says who needs it. */
static const char *const ciphers_allowed[] = {
	"AES-128-GCM",        /* TLS_AES_128_GCM_SHA256, ECDHE-*-AES128-GCM */
	"AES-256-GCM",        /* TLS_AES_256_GCM_SHA384, ECDHE-*-AES256-GCM */
	"ChaCha20-Poly1305",  /* TLS_CHACHA20_POLY1305_SHA256, ECDHE-*-CHACHA20 */
	"AES-256-CTR",        /* the CTR-DRBG behind RAND_bytes: its cipher */
	"AES-256-ECB",        /* and its block function (drbg_ctr.c) */
	NULL
};

/* The digests. */
static const char *const digests_allowed[] = {
	"SHA2-256",   /* suites' PRF/HKDF hash, sigalgs, ECDHE transcript */
	"SHA2-384",   /* TLS_AES_256_GCM_SHA384, *-AES256-GCM-SHA384, sigalgs */
	"SHA2-512",   /* sigalgs ecdsa_secp521r1_sha512, rsa_*_sha512 */
	/* SSL_CTX_new fails without it (and X509 caches each certificate's
	 * SHA-1); MD5 and MD5-SHA1 (TLS 1.0/1.1) it does without */
	"SHA1",
	NULL
};

/* The MACs and KDFs (~17 KiB less when the rest are not built). */
static const char *const macs_allowed[] = {
	"HMAC",       /* under the TLS 1.2 PRF and TLS 1.3's HKDF */
	NULL
};
static const char *const kdfs_allowed[] = {
	"TLS1-PRF",   /* TLS 1.2's key schedule */
	"HKDF",       /* TLS 1.3's, */
	"TLS13-KDF",  /* by the labels libssl uses */
	NULL
};

/* A copy of the default provider's table for one operation, only its
 * allowed entries (the same entries: names, properties, functions). */
#define FILTERED_MAX 16
struct filtered {
	int op;
	const char *const *allowed;
	const OSSL_ALGORITHM *from;          /* the default provider's table */
	OSSL_ALGORITHM algs[FILTERED_MAX + 1];
	bool made;
};

static struct filtered filtered[] = {
	{ OSSL_OP_CIPHER, ciphers_allowed, NULL, { { NULL, NULL, NULL, NULL } },
	  false },
	{ OSSL_OP_DIGEST, digests_allowed, NULL, { { NULL, NULL, NULL, NULL } },
	  false },
	{ OSSL_OP_MAC, macs_allowed, NULL, { { NULL, NULL, NULL, NULL } }, false },
	{ OSSL_OP_KDF, kdfs_allowed, NULL, { { NULL, NULL, NULL, NULL } }, false },
};

static OSSL_LIB_CTX *deflt_libctx;   /* where the real default provider is */
static OSSL_PROVIDER *deflt;
static void **deflt_libctx_slot;     /* in its provider context: see below */

/* Whether one of the ':'-separated names is on the list. */
static bool
names_allowed(const char *names, const char *const *allowed)
{
	for (const char *p = names; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ':');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		for (const char *const *a = allowed; *a != NULL; a++)
			if (strlen(*a) == n && strncasecmp(*a, p, n) == 0)
				return true;
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

/* Made at the first query (a worker is one thread; the table is the
 * default provider's, static, so the copy stays valid). */
static const OSSL_ALGORITHM *
filter(struct filtered *f, const OSSL_ALGORITHM *all)
{
	if (!f->made) {
		size_t n = 0;
		for (const OSSL_ALGORITHM *a = all; a != NULL &&
		    a->algorithm_names != NULL; a++)
			if (n < FILTERED_MAX &&
			    names_allowed(a->algorithm_names, f->allowed))
				f->algs[n++] = *a;
		f->algs[n] = (OSSL_ALGORITHM){ NULL, NULL, NULL, NULL };
		f->from = all;
		f->made = true;
	}
	return f->algs;
}

static const OSSL_ALGORITHM *
query(void *provctx, int op, int *no_cache)
{
	(void)provctx;
	const OSSL_ALGORITHM *all = OSSL_PROVIDER_query_operation(deflt, op,
	    no_cache);
	for (size_t i = 0; i < sizeof(filtered) / sizeof(filtered[0]); i++)
		if (filtered[i].op == op) {
			*no_cache = 0;   /* the copy is ours, kept */
			return filter(&filtered[i], all);
		}
	return all;
}

static void
unquery(void *provctx, int op, const OSSL_ALGORITHM *algs)
{
	(void)provctx;
	for (size_t i = 0; i < sizeof(filtered) / sizeof(filtered[0]); i++)
		if (filtered[i].op == op && algs == filtered[i].algs)
			algs = filtered[i].from;
	OSSL_PROVIDER_unquery_operation(deflt, op, algs);
}

static const OSSL_PARAM *
gettable_params(void *provctx)
{
	(void)provctx;
	return OSSL_PROVIDER_gettable_params(deflt);
}

static int
get_params(void *provctx, OSSL_PARAM params[])
{
	(void)provctx;
	return OSSL_PROVIDER_get_params(deflt, params);
}

/* TLS-GROUP and TLS-SIGALG: libssl's lists of groups and schemes. */
static int
get_capabilities(void *provctx, const char *capability,
    OSSL_CALLBACK *cb, void *arg)
{
	(void)provctx;
	return OSSL_PROVIDER_get_capabilities(deflt, capability, cb, arg);
}

static void
teardown(void *provctx)
{
	(void)provctx;
	if (deflt_libctx_slot != NULL)
		*deflt_libctx_slot = deflt_libctx;
	OSSL_PROVIDER_unload(deflt);
	OSSL_LIB_CTX_free(deflt_libctx);
	deflt = NULL;
	deflt_libctx = NULL;
}

static const OSSL_DISPATCH provider_fns[] = {
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))query },
	{ OSSL_FUNC_PROVIDER_UNQUERY_OPERATION, (void (*)(void))unquery },
	{ OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))gettable_params },
	{ OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))get_params },
	{ OSSL_FUNC_PROVIDER_GET_CAPABILITIES, (void (*)(void))get_capabilities },
	{ OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))teardown },
	{ 0, NULL }
};

/* The library context the default provider's algorithms fetch from (a
 * cipher for its DRBG, digests for HMAC, HKDF, the TLS PRF and ECDSA) and
 * draw random numbers from: its provider context's second field (OpenSSL
 * 3.0-3.x providers/common/include/prov/provider_ctx.h: handle, libctx,
 * BIO method). Left at the private context, each of those fetches builds
 * every cipher or digest there, and that context gets its own DRBG: what
 * this provider saves would be spent again. Pointed at our own context, a
 * nested fetch sees the allow-list too. Changed only where that field
 * holds exactly the private context, else left (correct, just bigger). */
static void
fetch_through_us(void *provctx, const OSSL_CORE_HANDLE *handle,
    const OSSL_DISPATCH *in)
{
	OSSL_FUNC_core_get_libctx_fn *get_libctx = NULL;
	for (; in != NULL && in->function_id != 0; in++)
		if (in->function_id == OSSL_FUNC_CORE_GET_LIBCTX)
			get_libctx = OSSL_FUNC_core_get_libctx(in);
	void **fields = provctx;
	if (provctx != NULL && get_libctx != NULL &&
	    fields[1] == (void *)deflt_libctx &&
	    fields[0] != (void *)deflt_libctx) {
		deflt_libctx_slot = &fields[1];
		/* NULL for the default context, which is ours */
		fields[1] = (void *)get_libctx(handle);
	} else
		log_warn("cloister-tls: an OpenSSL whose provider context is "
		    "not laid out as expected: its algorithms fetch what they "
		    "build on with every algorithm (more memory, same suites)");
}

static int
provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
    const OSSL_DISPATCH **out, void **provctx)
{
	deflt_libctx = OSSL_LIB_CTX_new();
	if (deflt_libctx == NULL ||
	    (deflt = OSSL_PROVIDER_load(deflt_libctx, "default")) == NULL) {
		OSSL_LIB_CTX_free(deflt_libctx);
		deflt_libctx = NULL;
		return 0;
	}
	/* the default provider's algorithms are handed its context */
	*provctx = OSSL_PROVIDER_get0_provider_ctx(deflt);
	fetch_through_us(*provctx, handle, in);
	*out = provider_fns;
	return 1;
}

int
tls_algs_load(char *err, size_t errlen)
{
	static bool done;
	if (done)
		return 0;
	if (OSSL_PROVIDER_add_builtin(NULL, PROVIDER_NAME, provider_init) != 1 ||
	    OSSL_PROVIDER_load(NULL, PROVIDER_NAME) == NULL) {
		ERR_clear_error();
		buf_snprintf(err, errlen, "cannot load the %s provider",
		    PROVIDER_NAME);
		return -1;
	}
	done = true;
	return 0;
}
