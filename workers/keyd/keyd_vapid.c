/* keyd_vapid: the VAPID key and the tokens keyd makes with it for pushd
 * (keyd.h, docs/keyd.md "VAPID tokens"). */
#include "keyd.h"
#include "ipc_types.h"
#include "log.h"
#include "push_vapid.h"

#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

/* The contact: "mailto:" or "https:", nothing a JSON string escapes. */
static bool
subject_ok(const char *s)
{
	if (strncmp(s, "mailto:", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == '"' || *s == '\\' ||
		    (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

void
keyd_vapid_load(const struct config *c, const struct config_service *s,
    struct keyd_vapid *v)
{
	const char *path = config_option(c, s, "vapid-key");
	const char *sub = config_option(c, s, "vapid-subject");
	memset(v, 0, sizeof(*v));
	if (path == NULL && sub == NULL)
		return;
	if (path == NULL || sub == NULL || !subject_ok(sub) ||
	    strlen(sub) >= sizeof(v->subject))
		log_fatal("vapid-key FILE and vapid-subject mailto:ADDRESS go"
		    " together");
	memcpy(v->subject, sub, strlen(sub) + 1);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		log_fatal_errno("vapid-key %s", path);
	v->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (v->key == NULL || !EVP_PKEY_is_a(v->key, "EC") ||
	    EVP_PKEY_get_bits(v->key) != 256)
		log_fatal("vapid-key %s: not a P-256 private key", path);
	/* one token now: OpenSSL and jansson (its hash seed reads
	 * /dev/urandom) load what they need before the chroot */
	static struct buf out = BUF_INIT(KEY_VAPID_MAX);
	char why[64];
	if (keyd_vapid_sign(v, "https://push.example", 20, 1000, 0, &out, why,
	    sizeof(why)) != 0)
		log_fatal("vapid-key %s: self-test token failed: %s", path, why);
	buf_reset(&out);
}

uint32_t
keyd_vapid_sign(const struct keyd_vapid *v, const char *aud, size_t n,
    uint64_t exp, uint64_t now, struct buf *out, char *why, size_t whylen)
{
	char a[KEY_VAPID_AUD_MAX + 1];
	if (v->key == NULL) {
		buf_snprintf(why, whylen, "key_vapid_sign, but no vapid-key");
		return IPC_ERR_DENIED;
	}
	if (!keyd_vapid_aud_ok(aud, n)) {
		buf_snprintf(why, whylen, "key_vapid_sign for an audience that is"
		    " not an https origin");
		return IPC_ERR_DENIED;
	}
	if (exp <= now || exp > now + PUSH_VAPID_MAX_LIFETIME) {
		buf_snprintf(why, whylen, "key_vapid_sign expiring %lld s from"
		    " now (1 to 86400)", (long long)(exp - now));
		return IPC_ERR_DENIED;
	}
	memcpy(a, aud, n);
	a[n] = '\0';
	if (push_vapid_header(v->key, a, v->subject, now, exp, out) < 0 ||
	    out->len > KEY_VAPID_MAX) {
		buf_snprintf(why, whylen, "VAPID signing failed");
		return IPC_ERR_INTERNAL;
	}
	return 0;
}
