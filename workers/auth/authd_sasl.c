/* authd_sasl: libsasl2 server glue for authd (see authd_sasl.h). */
#include "authd_sasl.h"
#include "auth_user.h"
#include "buf.h"
#include "log.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sasl/saslutil.h>
#include <sys/random.h>

/* sasl_callback_t holds every callback as int (*)(void); going through
 * void (*)(void) is the cast the compiler accepts for that. */
#define SASL_CB_FN(f) ((int (*)(void))(void (*)(void))(f))

/* Mechanisms authd can serve from sasldb2, and the plugin each needs.
 * dflt: offered when the config names none (if the plugin is installed).
 * Not here, on purpose: ANONYMOUS (a ticket for nobody), GSSAPI and
 * EXTERNAL (no keytab or client certificate reaches authd), OTP, NTLM. */
static const struct {
	const char *mech;
	const char *plugin;
	bool dflt;
} mech_table[] = {
	{ "SCRAM-SHA-256", "libscram.so", true },
	{ "SCRAM-SHA-1", "libscram.so", true },
	{ "PLAIN", "libplain.so", true },
	{ "LOGIN", "liblogin.so", true },
	{ "SCRAM-SHA-512", "libscram.so", false },
	{ "SCRAM-SHA-384", "libscram.so", false },
	{ "SCRAM-SHA-224", "libscram.so", false },
	{ "CRAM-MD5", "libcrammd5.so", false },
	{ "DIGEST-MD5", "libdigestmd5.so", false },
};
#define NMECH_TABLE (sizeof(mech_table) / sizeof(mech_table[0]))

static struct {
	struct authd_sasl_config cfg;
	char realm[AUTHD_REALM_MAX];
	char mech_list[AUTHD_MECHLIST_MAX];   /* what libsasl2 is told */
	bool wanted[NMECH_TABLE];
	bool explicit_list;
	struct authd_mech_info mechs[AUTH_MECHS_MAX];
	size_t nmechs;
	bool ready;
	uint8_t decoy_key[32];       /* salts of users that do not exist */
} S;

/* ---- global callbacks ---- */

static int
getopt_cb(void *ctx, const char *plugin, const char *option,
    const char **result, unsigned *len)
{
	(void)ctx;
	(void)plugin;
	static const struct {
		const char *name;
		const char *fixed;
	} opts[] = {
		{ "pwcheck_method", "auxprop" },
		{ "auxprop_plugin", "sasldb" },
		{ "canon_user_plugin", "INTERNAL" },
		{ "sasldb_path", NULL },
		{ "mech_list", NULL },
		{ "log_level", NULL },
	};
	const char *v = NULL;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strcmp(option, opts[i].name) != 0)
			continue;
		v = opts[i].fixed;
		if (strcmp(option, "sasldb_path") == 0)
			v = S.cfg.sasldb_path;
		else if (strcmp(option, "mech_list") == 0)
			v = S.mech_list;
		else if (strcmp(option, "log_level") == 0)
			/* never SASL_LOG_PASS: it logs passwords */
			v = S.cfg.debug ? "5" : "3";
		break;
	}
	if (v == NULL)
		return SASL_FAIL;
	*result = v;
	if (len != NULL)
		*len = (unsigned)strlen(v);
	return SASL_OK;
}

static int
log_cb(void *ctx, int level, const char *message)
{
	(void)ctx;
	if (message == NULL)
		return SASL_OK;
	if (!S.ready) {
		/* the start-up checks fail on purpose (no such user) */
		log_debug("sasl: %s", message);
		return SASL_OK;
	}
	switch (level) {
	case SASL_LOG_ERR:
		log_err("sasl: %s", message);
		break;
	case SASL_LOG_WARN:
		log_warn("sasl: %s", message);
		break;
	case SASL_LOG_FAIL:     /* authd logs every failure itself */
	case SASL_LOG_NOTE:
	case SASL_LOG_DEBUG:
		log_debug("sasl: %s", message);
		break;
	default:
		/* TRACE and PASS may hold protocol data or passwords */
		break;
	}
	return SASL_OK;
}

static bool
plugin_wanted(const char *base)
{
	if (strcmp(base, "libsasldb.so") == 0)
		return true;
	for (size_t i = 0; i < NMECH_TABLE; i++)
		if (S.wanted[i] && strcmp(base, mech_table[i].plugin) == 0)
			return true;
	return false;
}

/* libsasl2 asks before it dlopens a plugin or reads a config file. */
static int
verifyfile_cb(void *ctx, const char *file, sasl_verify_type_t type)
{
	(void)ctx;
	if (type == SASL_VRFY_PASSWD)
		return SASL_OK;
	if (type != SASL_VRFY_PLUGIN)
		return SASL_CONTINUE;   /* no SASL config files: ours is the one */
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	if (!plugin_wanted(base)) {
		log_debug("sasl: not loading %s (no configured mechanism uses it)",
		    file);
		return SASL_CONTINUE;
	}
	struct stat st;
	if (stat(file, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 022) != 0) {
		log_warn("sasl: not loading %s: not a root-owned file writable by"
		    " root only", file);
		return SASL_CONTINUE;
	}
	return SASL_OK;
}

static sasl_callback_t global_callbacks[] = {
	{ SASL_CB_GETOPT, SASL_CB_FN(getopt_cb), NULL },
	{ SASL_CB_LOG, SASL_CB_FN(log_cb), NULL },
	{ SASL_CB_VERIFYFILE, SASL_CB_FN(verifyfile_cb), NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

/* ---- user names ---- */

/* libsasl2 calls this with every identity a mechanism extracts, before it
 * looks anything up: strip the default realm (one account, one name),
 * refuse bad names, and let the rate limiter refuse the user. */
int
authd_sasl_canon(sasl_conn_t *conn, void *ctx, const char *in, unsigned inlen,
    unsigned flags, const char *user_realm, char *out, unsigned out_max,
    unsigned *out_len)
{
	(void)conn;
	(void)user_realm;
	struct authd_exchange *x = ctx;
	size_t n = auth_user_canon_len(in, inlen, S.realm);
	if (n == 0 || n >= out_max)
		return SASL_BADAUTH;
	if (flags & SASL_CU_AUTHID) {
		memcpy(x->attempted, in, n);
		x->attempted[n] = '\0';
		if (x->gate != NULL && x->gate(x->gate_ctx, x->attempted)) {
			x->gated = true;
			return SASL_BADAUTH;
		}
	}
	memcpy(out, in, n);
	*out_len = (unsigned)n;
	return SASL_OK;
}

/* ---- init ---- */

static int
find_mech(const char *name)
{
	for (size_t i = 0; i < NMECH_TABLE; i++)
		if (strcasecmp(name, mech_table[i].mech) == 0)
			return (int)i;
	return -1;
}

/* Parse the configured list into S.wanted and S.mech_list. */
static void
choose_mechs(void)
{
	char list[AUTHD_MECHLIST_MAX];
	S.explicit_list = S.cfg.mechs[0] != '\0';
	if (!S.explicit_list) {
		for (size_t i = 0; i < NMECH_TABLE; i++)
			S.wanted[i] = mech_table[i].dflt;
	} else {
		memcpy(list, S.cfg.mechs, sizeof(list));
		char *save = NULL;
		for (char *w = strtok_r(list, " \t,", &save); w != NULL;
		    w = strtok_r(NULL, " \t,", &save)) {
			int k = find_mech(w);
			if (k < 0)
				log_fatal("mechanisms: '%s' is not a mechanism authd"
				    " serves from sasldb2", w);
			S.wanted[k] = true;
		}
	}
	struct buf b = BUF_INIT(sizeof(S.mech_list) - 1);
	for (size_t i = 0; i < NMECH_TABLE; i++)
		if (S.wanted[i])
			buf_printf(&b, "%s%s", b.len ? " " : "", mech_table[i].mech);
	if (b.failed || b.len == 0)
		log_fatal("mechanisms: empty or too long");
	memcpy(S.mech_list, b.data, b.len);
	S.mech_list[b.len] = '\0';
	buf_free(&b);
}

static sasl_conn_t *
new_conn(const char *fqdn, unsigned secflags)
{
	sasl_conn_t *c = NULL;
	int r = sasl_server_new("cloister", fqdn, NULL, NULL, NULL, NULL,
	    SASL_SUCCESS_DATA, &c);
	if (r != SASL_OK)
		log_fatal("sasl_server_new: %s", sasl_errstring(r, NULL, NULL));
	sasl_security_properties_t sp = {
		.min_ssf = 0, .max_ssf = 0, .maxbufsize = 0,
		.security_flags = secflags,
	};
	if (sasl_setprop(c, SASL_SEC_PROPS, &sp) != SASL_OK)
		log_fatal("sasl_setprop: %s", sasl_errdetail(c));
	return c;
}

static bool
listed(const char *list, const char *mech)
{
	size_t n = strlen(mech);
	for (const char *p = list; (p = strstr(p, mech)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static const char *
list_of(sasl_conn_t *c)
{
	const char *res = NULL;
	unsigned len;
	int count;
	if (sasl_listmech(c, NULL, "", " ", "", &res, &len, &count) != SASL_OK)
		return "";
	return res;
}

/* What libsasl2 really offers, in our table's order, with flags. */
static void
fix_mech_list(void)
{
	sasl_conn_t *all = new_conn(S.realm, 0);
	sasl_conn_t *safe = new_conn(S.realm, SASL_SEC_NOPLAINTEXT);
	const char *la = list_of(all), *ls = list_of(safe);
	for (size_t i = 0; i < NMECH_TABLE; i++) {
		if (!S.wanted[i])
			continue;
		if (!listed(la, mech_table[i].mech)) {
			if (S.explicit_list)
				log_fatal("mechanisms: %s is not provided by the"
				    " installed SASL plugins (%s)", mech_table[i].mech,
				    mech_table[i].plugin);
			log_info("sasl: %s not installed, not offered",
			    mech_table[i].mech);
			continue;
		}
		struct authd_mech_info *m = &S.mechs[S.nmechs++];
		memcpy(m->name, mech_table[i].mech, strlen(mech_table[i].mech) + 1);
		m->flags = listed(ls, mech_table[i].mech) ? 0 : AUTH_MECH_PLAINTEXT;
	}
	sasl_dispose(&all);
	sasl_dispose(&safe);
	if (S.nmechs == 0)
		log_fatal("sasl: no usable mechanism (is libsasl2-modules"
		    " installed?)");
}

/* SCRAM's nonces and salts come from sasl_rand; without sasl_rand.c in
 * effect they would be seeded from the pid and the time (libsasl2 cannot
 * open /dev/urandom in the chroot). Prove ours is the one called. */
static void
check_rand(void)
{
	if (dlsym(RTLD_DEFAULT, "sasl_rand") != (void *)sasl_rand)
		log_fatal("sasl: sasl_rand is not authd's getrandom version");
	for (size_t i = 0; i < S.nmechs; i++) {
		if (strncmp(S.mechs[i].name, "SCRAM-", 6) != 0)
			continue;
		unsigned long before = authd_rand_calls();
		sasl_conn_t *c = new_conn(S.realm, 0);
		static const char first[] = "n,,n=cloister-selfcheck,r=0123456789ab";
		const char *out;
		unsigned outlen;
		(void)sasl_server_start(c, S.mechs[i].name, first,
		    sizeof(first) - 1, &out, &outlen);
		sasl_dispose(&c);
		if (authd_rand_calls() == before)
			log_fatal("sasl: %s drew its nonce elsewhere than sasl_rand",
			    S.mechs[i].name);
		return;
	}
}

void
authd_sasl_init(const struct authd_sasl_config *cfg)
{
	S.cfg = *cfg;
	choose_mechs();
	int r = sasl_server_init(global_callbacks, "cloister");
	if (r != SASL_OK)
		log_fatal("sasl_server_init: %s", sasl_errstring(r, NULL, NULL));
	if (cfg->realm[0] != '\0') {
		memcpy(S.realm, cfg->realm, sizeof(S.realm));
	} else {
		/* the host's FQDN as libsasl2 (and saslpasswd2 without -u)
		 * computes it: now, while DNS is still reachable */
		sasl_conn_t *c = new_conn(NULL, 0);
		const void *fqdn = NULL;
		if (sasl_getprop(c, SASL_SERVERFQDN, &fqdn) != SASL_OK ||
		    fqdn == NULL || buf_strlcpy(S.realm, sizeof(S.realm), fqdn,
		    strlen(fqdn)) < 0)
			log_fatal("sasl: cannot determine this host's name; set"
			    " 'realm' in authd's config section");
		sasl_dispose(&c);
	}
	if (!auth_user_ok(S.realm, strlen(S.realm)) || strchr(S.realm, '@'))
		log_fatal("realm '%s' is not a valid realm", S.realm);
	fix_mech_list();
	check_rand();
	if (getrandom(S.decoy_key, sizeof(S.decoy_key), 0) !=
	    (ssize_t)sizeof(S.decoy_key))
		log_fatal_errno("getrandom");
	S.ready = true;
	struct buf b = BUF_INIT(512);
	for (size_t i = 0; i < S.nmechs; i++)
		buf_printf(&b, " %s%s", S.mechs[i].name,
		    S.mechs[i].flags & AUTH_MECH_PLAINTEXT ? "(plaintext)" : "");
	log_info("sasl: realm %s, mechanisms%s", S.realm, buf_cstr(&b) ?
	    buf_cstr(&b) : "");
	buf_free(&b);
}

size_t
authd_sasl_mechs(const struct authd_mech_info **list)
{
	*list = S.mechs;
	return S.nmechs;
}

bool
authd_sasl_offers(const char *mech)
{
	for (size_t i = 0; i < S.nmechs; i++)
		if (strcmp(S.mechs[i].name, mech) == 0)
			return true;
	return false;
}

const char *
authd_sasl_realm(void)
{
	return S.realm;
}

/* ---- SCRAM decoy for unknown users ---- */

/* libsasl2's SCRAM: 4096 iterations (DEFAULT_ITERATION_COUNTER), a salt as
 * long as the hash, a 24-byte server nonce; a decoy must look the same. */
#define SCRAM_ITERATIONS 4096
#define SCRAM_NONCE_BYTES 24

static const struct {
	const char *mech;
	const char *digest;
	size_t len;
} scram_hashes[] = {
	{ "SCRAM-SHA-1", "SHA1", 20 }, { "SCRAM-SHA-224", "SHA224", 28 },
	{ "SCRAM-SHA-256", "SHA256", 32 }, { "SCRAM-SHA-384", "SHA384", 48 },
	{ "SCRAM-SHA-512", "SHA512", 64 },
};

static size_t
scram_hash(const char *mech, const char **digest)
{
	for (size_t i = 0; i < sizeof(scram_hashes) / sizeof(scram_hashes[0]); i++)
		if (strcmp(mech, scram_hashes[i].mech) == 0) {
			*digest = scram_hashes[i].digest;
			return scram_hashes[i].len;
		}
	return 0;
}

/* The client nonce of a client-first-message (RFC 5802 7):
 * gs2-header "n,," / "y,," / "n,a=...," then "n=user,r=nonce[,ext]". */
static bool
scram_client_nonce(const char *p, size_t n, const char **nonce, size_t *nlen)
{
	const char *end = p + n;
	if (n < 3 || (p[0] != 'n' && p[0] != 'y') || p[1] != ',')
		return false;
	const char *q = memchr(p + 2, ',', (size_t)(end - (p + 2)));
	if (q == NULL || end - ++q < 2 || q[0] != 'n' || q[1] != '=')
		return false;
	q = memchr(q, ',', (size_t)(end - q));
	if (q == NULL || end - ++q < 3 || q[0] != 'r' || q[1] != '=')
		return false;
	q += 2;
	const char *e = memchr(q, ',', (size_t)(end - q));
	*nonce = q;
	*nlen = (size_t)((e ? e : end) - q);
	for (size_t i = 0; i < *nlen; i++)
		if (q[i] < 0x21 || q[i] > 0x7e)
			return false;
	return *nlen > 0 && *nlen <= 128;
}

/* Build "r=cnonce+snonce,s=salt,i=4096" for a user that does not exist;
 * the salt is a keyed hash of the name, stable like a real user's. */
static bool
make_decoy(struct authd_exchange *x, const uint8_t *in, size_t inlen)
{
	const char *digest = NULL;
	size_t hlen = scram_hash(x->mech, &digest);
	const char *cn;
	size_t cnlen;
	if (hlen == 0 || in == NULL || x->attempted[0] == '\0' ||
	    !scram_client_nonce((const char *)in, inlen, &cn, &cnlen))
		return false;
	uint8_t salt[64], nonce[SCRAM_NONCE_BYTES];
	size_t saltlen = 0;
	uint8_t msg[AUTH_MECH_NAME_MAX + 2 + TICKET_USER_MAX];
	int ml = snprintf((char *)msg, sizeof(msg), "%s:%s", x->mech,
	    x->attempted);
	if (ml < 0 || (size_t)ml >= sizeof(msg) ||
	    EVP_Q_mac(NULL, "HMAC", NULL, "SHA512", NULL, S.decoy_key,
	    sizeof(S.decoy_key), msg, (size_t)ml, salt, sizeof(salt),
	    &saltlen) == NULL)
		return false;
	/* a real user's server-first costs the key derivation (libsasl2
	 * derives the SCRAM keys from userPassword at this step, one HMAC
	 * call per iteration): spend the same, the same way, or the answer's
	 * latency tells who exists */
	const EVP_MD *md = EVP_get_digestbyname(digest);
	if (md == NULL)
		return false;
	uint8_t u[EVP_MAX_MD_SIZE], acc[EVP_MAX_MD_SIZE] = { 0 };
	unsigned ulen = 0;
	memcpy(u, salt, hlen);
	for (unsigned i = 0; i < SCRAM_ITERATIONS; i++) {
		if (HMAC(md, msg, ml, u, hlen, u, &ulen) == NULL)
			return false;
		for (size_t k = 0; k < hlen; k++)
			acc[k] ^= u[k];
	}
	explicit_bzero(u, sizeof(u));
	explicit_bzero(acc, sizeof(acc));
	sasl_rand(NULL, (char *)nonce, sizeof(nonce));
	char b64salt[100], b64nonce[40];
	unsigned l1, l2;
	if (sasl_encode64((char *)salt, (unsigned)hlen, b64salt, sizeof(b64salt),
	    &l1) != SASL_OK || sasl_encode64((char *)nonce, sizeof(nonce),
	    b64nonce, sizeof(b64nonce), &l2) != SASL_OK)
		return false;
	return buf_snprintf(x->decoy_first, sizeof(x->decoy_first),
	    "r=%.*s%s,s=%s,i=%d", (int)cnlen, cn, b64nonce, b64salt,
	    SCRAM_ITERATIONS) >= 0;
}

/* ---- exchanges ---- */

bool
authd_exchange_active(const struct authd_exchange *x)
{
	return x->conn != NULL;
}

void
authd_exchange_end(struct authd_exchange *x)
{
	if (x->conn != NULL)
		sasl_dispose(&x->conn);
	x->conn = NULL;
	x->steps = 0;
	x->gated = false;
	x->decoy = false;
	explicit_bzero(x->attempted, sizeof(x->attempted));
	x->mech[0] = '\0';
}

static uint32_t
reason_of(int r)
{
	switch (r) {
	case SASL_NOMECH:
	case SASL_TOOWEAK:
	case SASL_ENCRYPT:
	case SASL_WRONGMECH:
		return AUTH_FAIL_MECH;
	case SASL_BADPROT:
	case SASL_BADPARAM:
	case SASL_BUFOVER:
	case SASL_BADMAC:
	case SASL_BADBINDING:
		return AUTH_FAIL_PROTOCOL;
	case SASL_NOMEM:
	case SASL_TRYAGAIN:
	case SASL_UNAVAIL:
	case SASL_FAIL:
	case SASL_CONFIGERR:
		return AUTH_FAIL_TEMPORARY;
	default:
		/* BADAUTH NOUSER NOAUTHZ EXPIRED DISABLED NOVERIFY TRANS ... */
		return AUTH_FAIL_CREDENTIALS;
	}
}

/* Turn libsasl2's answer into a verdict; in: what the client sent. */
static void
verdict(struct authd_exchange *x, int r, const char *out, unsigned outlen,
    const uint8_t *in, size_t inlen, struct authd_step *st)
{
	memset(st, 0, sizeof(*st));
	/* libsasl2 reports an unknown user as BADAUTH; at a client-first
	 * message nothing else fails that way (a wrong proof comes later) */
	if ((r == SASL_NOUSER || r == SASL_BADAUTH) && !x->gated &&
	    make_decoy(x, in, inlen)) {
		x->decoy = true;
		st->verdict = AUTHD_CONTINUE;
		st->out = (const uint8_t *)x->decoy_first;
		st->outlen = strlen(x->decoy_first);
		st->has_out = true;
		return;
	}
	if (r == SASL_CONTINUE || r == SASL_OK) {
		st->out = (const uint8_t *)out;
		st->outlen = out ? outlen : 0;
		st->has_out = out != NULL;
	}
	if (r == SASL_CONTINUE) {
		if (st->outlen > AUTH_DATA_MAX) {
			r = SASL_BUFOVER;
		} else {
			st->verdict = AUTHD_CONTINUE;
			return;
		}
	}
	if (r == SASL_OK) {
		const void *u = NULL;
		if (sasl_getprop(x->conn, SASL_USERNAME, &u) != SASL_OK ||
		    u == NULL || !auth_user_ok(u, strlen(u)) ||
		    st->outlen > AUTH_DATA_MAX) {
			r = SASL_FAIL;
		} else {
			memcpy(st->user, u, strlen(u) + 1);
			st->verdict = AUTHD_OK;
			return;
		}
	}
	st->verdict = AUTHD_FAIL;
	st->out = NULL;
	st->outlen = 0;
	st->has_out = false;
	st->reason = x->gated ? AUTH_FAIL_RATE : reason_of(r);
	const char *d = x->conn ? sasl_errdetail(x->conn) : NULL;
	buf_snprintf(st->detail, sizeof(st->detail), "%.150s",
	    d ? d : sasl_errstring(r, NULL, NULL));
}

void
authd_exchange_start(struct authd_exchange *x, const char *sasl_service,
    const char *mech, const uint8_t *ir, size_t irlen, bool has_ir,
    struct authd_step *st)
{
	authd_exchange_end(x);
	buf_snprintf(x->mech, sizeof(x->mech), "%s", mech);
	x->callbacks[0] = (sasl_callback_t){ SASL_CB_CANON_USER,
	    SASL_CB_FN(authd_sasl_canon), x };
	x->callbacks[1] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
	int r = sasl_server_new(sasl_service, S.realm, NULL, NULL, NULL,
	    x->callbacks, SASL_SUCCESS_DATA, &x->conn);
	if (r == SASL_OK) {
		sasl_security_properties_t sp = { 0 };
		r = sasl_setprop(x->conn, SASL_SEC_PROPS, &sp);
	}
	if (r != SASL_OK) {
		verdict(x, r, NULL, 0, NULL, 0, st);
		st->reason = AUTH_FAIL_TEMPORARY;
		return;
	}
	const char *out = NULL;
	unsigned outlen = 0;
	/* a present but empty initial response is "" of length 0, not NULL */
	r = sasl_server_start(x->conn, mech,
	    has_ir ? (ir ? (const char *)ir : "") : NULL, (unsigned)irlen,
	    &out, &outlen);
	verdict(x, r, out, outlen, has_ir ? ir : NULL, irlen, st);
}

void
authd_exchange_step(struct authd_exchange *x, const uint8_t *resp, size_t len,
    struct authd_step *st)
{
	if (x->conn == NULL || ++x->steps > AUTHD_MAX_STEPS) {
		memset(st, 0, sizeof(*st));
		authd_step_fail(st, AUTH_FAIL_PROTOCOL, "too many steps");
		return;
	}
	if (x->decoy) {
		/* whatever the proof, the user does not exist */
		memset(st, 0, sizeof(*st));
		authd_step_fail(st, AUTH_FAIL_CREDENTIALS,
		    "user not found (SCRAM decoy)");
		return;
	}
	const char *out = NULL;
	unsigned outlen = 0;
	int r = sasl_server_step(x->conn, (const char *)resp, (unsigned)len,
	    &out, &outlen);
	verdict(x, r, out, outlen, resp, len, st);
}
