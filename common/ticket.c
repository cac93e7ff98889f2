/* ticket: HMAC-SHA256 tickets (see ticket.h). */
#include "ticket.h"
#include "buf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#define TICKET_VERSION 1
#define MAC_LEN 32

static int
mac(const uint8_t key[TICKET_KEY_LEN], const uint8_t *p, size_t n,
    uint8_t out[MAC_LEN])
{
	size_t outlen = 0;
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, TICKET_KEY_LEN,
	    p, n, out, MAC_LEN, &outlen) == NULL || outlen != MAC_LEN)
		return -1;
	return 0;
}

int
ticket_mint(const uint8_t key[TICKET_KEY_LEN], const char *user,
    const char *service, uint64_t instance, uint64_t expiry, uint8_t *out,
    size_t outsize, size_t *outlen)
{
	size_t ulen = strlen(user), slen = strlen(service);
	if (ulen == 0 || ulen > TICKET_USER_MAX || slen >= TICKET_SERVICE_LEN)
		return -1;
	struct buf b = BUF_INIT(TICKET_MAX);
	uint8_t svc[TICKET_SERVICE_LEN] = { 0 };
	memcpy(svc, service, slen);
	buf_put_u8(&b, TICKET_VERSION);
	buf_put_u64(&b, expiry);
	buf_put_u64(&b, instance);
	buf_append(&b, svc, sizeof(svc));
	buf_put_u8(&b, (uint8_t)ulen);
	buf_append(&b, user, ulen);
	uint8_t m[MAC_LEN];
	int r = -1;
	if (!b.failed && mac(key, b.data, b.len, m) == 0 &&
	    buf_append(&b, m, sizeof(m)) == 0 && b.len <= outsize) {
		memcpy(out, b.data, b.len);
		*outlen = b.len;
		r = 0;
	}
	buf_free(&b);
	return r;
}

enum ticket_result
ticket_verify(const uint8_t key[TICKET_KEY_LEN], const uint8_t *t, size_t len,
    const char *service, uint64_t instance, uint64_t now, char *user,
    size_t usersize)
{
	if (len < 1 + 8 + 8 + TICKET_SERVICE_LEN + 1 + 1 + MAC_LEN ||
	    len > TICKET_MAX)
		return TICKET_MALFORMED;
	uint8_t m[MAC_LEN];
	if (mac(key, t, len - MAC_LEN, m) < 0)
		return TICKET_MALFORMED;
	if (CRYPTO_memcmp(m, t + len - MAC_LEN, MAC_LEN) != 0)
		return TICKET_BAD_MAC;

	struct buf_cur c;
	uint8_t version, ulen;
	uint64_t expiry, inst;
	const uint8_t *svc, *u;
	buf_cur_init(&c, t, len - MAC_LEN);
	buf_get_u8(&c, &version);
	buf_get_u64(&c, &expiry);
	buf_get_u64(&c, &inst);
	buf_get_bytes(&c, &svc, TICKET_SERVICE_LEN);
	buf_get_u8(&c, &ulen);
	buf_get_bytes(&c, &u, ulen);
	if (buf_cur_end(&c) < 0 || version != TICKET_VERSION || ulen == 0 ||
	    memchr(u, '\0', ulen) != NULL || svc[TICKET_SERVICE_LEN - 1] != 0)
		return TICKET_MALFORMED;
	if (now >= expiry)
		return TICKET_EXPIRED;
	if (strncmp((const char *)svc, service, TICKET_SERVICE_LEN) != 0)
		return TICKET_WRONG_SERVICE;
	if (inst != instance)
		return TICKET_WRONG_INSTANCE;
	if (buf_strlcpy(user, usersize, (const char *)u, ulen) < 0)
		return TICKET_MALFORMED;
	return TICKET_OK;
}

const char *
ticket_result_name(enum ticket_result r)
{
	static const char *const names[] = {
		[TICKET_OK] = "ok", [TICKET_MALFORMED] = "malformed",
		[TICKET_BAD_MAC] = "bad MAC (forged?)", [TICKET_EXPIRED] = "expired",
		[TICKET_WRONG_SERVICE] = "minted for another service",
		[TICKET_WRONG_INSTANCE] = "minted for another instance",
	};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}
