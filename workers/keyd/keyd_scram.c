/* keyd_scram: the relay password submitd authenticates with (SCRAM-SHA-256,
 * docs/keyd.md "Relay AUTH"), read as root before confinement, and the
 * proofs keyd computes with it (keyd.h). */
#include "keyd.h"
#include "ipc_types.h"
#include "log.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The password: a root-only file, read through one fd opened without
 * following a link; SASLprep is not applied, so printable ASCII only. */
static void
read_secret(const char *path, struct keyd_scram *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0)
		log_fatal_errno("relay-auth-secret-file %s", path);
	if (!S_ISREG(sb.st_mode) || sb.st_uid != 0 || (sb.st_mode & 077) != 0)
		log_fatal("relay-auth-secret-file %s: must be a regular file owned"
		    " by root, readable by no group or other (chmod 600)", path);
	ssize_t n = read(fd, st->pw, sizeof(st->pw));
	close(fd);
	if (n < 0 || (size_t)n >= sizeof(st->pw))
		log_fatal("relay-auth-secret-file %s: unreadable or over %zu bytes",
		    path, sizeof(st->pw) - 1);
	while (n > 0 && (st->pw[n - 1] == '\n' || st->pw[n - 1] == '\r'))
		n--;
	st->pwlen = (size_t)n;
	for (ssize_t i = 0; i < n; i++)
		if (st->pw[i] < 0x20 || st->pw[i] > 0x7e)
			log_fatal("relay-auth-secret-file %s: printable ASCII only"
			    " (no SASLprep)", path);
	if (n == 0)
		log_fatal("relay-auth-secret-file %s: empty", path);
}

void
keyd_scram_load(const struct config *c, struct keyd_scram *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < c->nservices; i++) {
		const struct config_service *s = &c->services[i];
		const char *user = config_option(c, s, "relay-auth-user");
		const char *path = config_option(c, s, "relay-auth-secret-file");
		if (s->role != ROLE_SUBMIT || (user == NULL && path == NULL))
			continue;
		if (user == NULL || path == NULL ||
		    strlen(user) >= sizeof(st->user))
			log_fatal("service %s: relay-auth-user and"
			    " relay-auth-secret-file go together", s->name);
		memcpy(st->user, user, strlen(user) + 1);
		read_secret(path, st);
		/* PBKDF2 and HMAC load their code now, not inside the chroot */
		uint8_t salted[KEYD_SCRAM_LEN], p[KEYD_SCRAM_LEN], v[KEYD_SCRAM_LEN];
		if (keyd_scram_salted("x", 1, (const uint8_t *)"salt", 4,
		    KEY_SCRAM_ITER_MIN, salted) < 0 ||
		    keyd_scram_proof(salted, "x", 1, p, v) < 0)
			log_fatal("SCRAM-SHA-256 self-test failed");
		log_info("relay password for %s (service %s) loaded", user,
		    s->name);
		return;
	}
}

/* SaltedPassword for (salt, iter): from the cache, or derived once if
 * fewer than KEYD_SCRAM_DERIVE_PER_MIN were in the last minute. NULL with
 * *busy set when over that rate. */
static const uint8_t *
salted_for(struct keyd_scram *st, const uint8_t *salt, size_t saltlen,
    uint32_t iter, int64_t now, bool *busy)
{
	for (size_t i = 0; i < KEYD_SCRAM_CACHE; i++) {
		struct keyd_scram_cached *e = &st->cache[i];
		if (e->iter == iter && e->saltlen == saltlen &&
		    memcmp(e->salt, salt, saltlen) == 0)
			return e->salted;
	}
	int64_t *oldest = &st->derive_at[st->derived % KEYD_SCRAM_DERIVE_PER_MIN];
	if (st->derived >= KEYD_SCRAM_DERIVE_PER_MIN && now - *oldest < 60) {
		*busy = true;
		return NULL;
	}
	*oldest = now;
	struct keyd_scram_cached *e = &st->cache[st->next++ % KEYD_SCRAM_CACHE];
	OPENSSL_cleanse(e, sizeof(*e));
	if (keyd_scram_salted(st->pw, st->pwlen, salt, saltlen, iter,
	    e->salted) < 0)
		return NULL;
	memcpy(e->salt, salt, saltlen);
	e->saltlen = saltlen;
	e->iter = iter;
	st->derived++;
	return e->salted;
}

uint32_t
keyd_scram_answer(struct keyd_scram *st, const uint8_t *salt, size_t saltlen,
    uint32_t iter, const char *am, size_t amlen, uint8_t *proof,
    uint8_t *sig, int64_t now, char *why, size_t whylen)
{
	bool busy = false;
	size_t ul = strlen(st->user);
	if (st->pwlen == 0) {
		buf_snprintf(why, whylen, "key_scram_proof, but no"
		    " relay-auth-secret-file");
		return IPC_ERR_DENIED;
	}
	if (saltlen == 0 || iter < KEY_SCRAM_ITER_MIN || iter > KEY_SCRAM_ITER_MAX) {
		buf_snprintf(why, whylen, "key_scram_proof with %u iterations"
		    " (%d..%d) or no salt", iter, KEY_SCRAM_ITER_MIN,
		    KEY_SCRAM_ITER_MAX);
		return IPC_ERR_DENIED;
	}
	/* the AuthMessage begins with our client-first-bare: "n=USER,r=" */
	if (amlen < ul + 5 || memcmp(am, "n=", 2) != 0 ||
	    memcmp(am + 2, st->user, ul) != 0 || memcmp(am + 2 + ul, ",r=", 3) != 0) {
		buf_snprintf(why, whylen, "key_scram_proof for another user");
		return IPC_ERR_DENIED;
	}
	const uint8_t *salted = salted_for(st, salt, saltlen, iter, now, &busy);
	if (busy) {
		buf_snprintf(why, whylen, "key_scram_proof: more than %d new salts"
		    " in a minute", KEYD_SCRAM_DERIVE_PER_MIN);
		return IPC_ERR_DENIED;
	}
	if (salted == NULL || keyd_scram_proof(salted, am, amlen, proof, sig) < 0) {
		buf_snprintf(why, whylen, "SCRAM computation failed");
		return IPC_ERR_INTERNAL;
	}
	return 0;
}
