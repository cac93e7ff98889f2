/* keyd_shape: the inputs keyd signs (keyd_shape.h). */
#include "keyd_shape.h"
#include "buf.h"
#include "ipc_types.h"

#include <string.h>

static const struct keyd_scheme schemes[] = {
	{ 0x0403, KEYD_KEY_EC, KEYD_PAD_NONE, "SHA256", true },
	{ 0x0503, KEYD_KEY_EC, KEYD_PAD_NONE, "SHA384", true },
	{ 0x0603, KEYD_KEY_EC, KEYD_PAD_NONE, "SHA512", true },
	{ 0x0804, KEYD_KEY_RSA, KEYD_PAD_PSS, "SHA256", true },
	{ 0x0805, KEYD_KEY_RSA, KEYD_PAD_PSS, "SHA384", true },
	{ 0x0806, KEYD_KEY_RSA, KEYD_PAD_PSS, "SHA512", true },
	/* PKCS#1 v1.5: TLS 1.2 only (RFC 8446 4.4.3 forbids it in 1.3) */
	{ 0x0401, KEYD_KEY_RSA, KEYD_PAD_PKCS1, "SHA256", false },
	{ 0x0501, KEYD_KEY_RSA, KEYD_PAD_PKCS1, "SHA384", false },
	{ 0x0601, KEYD_KEY_RSA, KEYD_PAD_PKCS1, "SHA512", false },
};

const struct keyd_scheme *
keyd_scheme_find(uint32_t code)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (schemes[i].code == code)
			return &schemes[i];
	return NULL;
}

#define CV_PAD 64
static const char cv_server[] = "TLS 1.3, server CertificateVerify";

static bool
is_tls13_cv(const uint8_t *in, size_t len)
{
	size_t head = CV_PAD + sizeof(cv_server);   /* the context and its 0 */
	if (len != head + 32 && len != head + 48)  /* SHA-256 or SHA-384 suite */
		return false;
	for (size_t i = 0; i < CV_PAD; i++)
		if (in[i] != 0x20)
			return false;
	return memcmp(in + CV_PAD, cv_server, sizeof(cv_server)) == 0;
}

/* The ECPoint length of a named group (RFC 8422, RFC 7748); 0: not one
 * keyd signs for. */
static size_t
group_point_len(uint16_t group)
{
	switch (group) {
	case 23: return 65;    /* secp256r1, uncompressed */
	case 24: return 97;    /* secp384r1 */
	case 25: return 133;   /* secp521r1 */
	case 29: return 32;    /* x25519 */
	case 30: return 56;    /* x448 */
	default: return 0;
	}
}

#define SKE_RANDOMS 64

static bool
is_tls12_ske(const uint8_t *in, size_t len)
{
	if (len < SKE_RANDOMS + 4 || in[SKE_RANDOMS] != 3)   /* named_curve */
		return false;
	uint16_t group = (uint16_t)(in[SKE_RANDOMS + 1] << 8 |
	    in[SKE_RANDOMS + 2]);
	size_t plen = group_point_len(group);
	if (plen == 0 || in[SKE_RANDOMS + 3] != plen ||
	    len != SKE_RANDOMS + 4 + plen)
		return false;
	/* a NIST point is uncompressed (RFC 8422 5.1.2 leaves no other) */
	return group >= 29 || in[SKE_RANDOMS + 4] == 0x04;
}

int
keyd_shape_check(const struct keyd_scheme *s, const uint8_t *in, size_t len,
    char *why, size_t whylen)
{
	if (s->tls13 && is_tls13_cv(in, len))
		return KEYD_IN_TLS13_CV;
	if (is_tls12_ske(in, len))
		return KEYD_IN_TLS12_SKE;
	buf_snprintf(why, whylen, "a %zu-byte input that is neither a TLS 1.3"
	    " server CertificateVerify%s nor a TLS 1.2 ECDHE ServerKeyExchange",
	    len, s->tls13 ? "" : " (not under this scheme)");
	return 0;
}

static bool
host_char(char ch, bool v6)
{
	if (v6)
		return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		    (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.';
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == '-';
}

bool
keyd_vapid_aud_ok(const char *aud, size_t n)
{
	static const char scheme[] = "https://";
	size_t i = sizeof(scheme) - 1, start;
	if (n > KEY_VAPID_AUD_MAX || n <= i || memcmp(aud, scheme, i) != 0)
		return false;
	bool v6 = aud[i] == '[';
	i += v6;
	for (start = i; i < n && host_char(aud[i], v6); i++)
		;
	if (i == start || (v6 && (i == n || aud[i++] != ']')))
		return false;
	if (i == n)
		return true;
	if (aud[i++] != ':' || i == n || n - i > 5)
		return false;
	for (; i < n; i++)
		if (aud[i] < '0' || aud[i] > '9')
			return false;
	return true;
}
