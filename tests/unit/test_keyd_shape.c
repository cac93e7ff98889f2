/* keyd_shape: keyd signs only a TLS 1.3 server CertificateVerify and a
 * TLS 1.2 ECDHE ServerKeyExchange, under the schemes it knows
 * (workers/keyd/keyd_shape.h). */
#include "check.h"
#include "ipc_types.h"
#include "keyd_shape.h"

#include <string.h>

static size_t
cv(uint8_t *out, const char *context, size_t hashlen)
{
	memset(out, 0x20, 64);
	size_t n = strlen(context) + 1;
	memcpy(out + 64, context, n);
	memset(out + 64 + n, 0x5a, hashlen);
	return 64 + n + hashlen;
}

static size_t
ske(uint8_t *out, uint16_t group, size_t plen, uint8_t first)
{
	memset(out, 0x11, 64);
	out[64] = 3;
	out[65] = (uint8_t)(group >> 8);
	out[66] = (uint8_t)group;
	out[67] = (uint8_t)plen;
	memset(out + 68, 0x22, plen);
	out[68] = first;
	return 68 + plen;
}

int
main(void)
{
	char why[256];
	uint8_t in[600];
	const struct keyd_scheme *ecdsa = keyd_scheme_find(0x0403);
	const struct keyd_scheme *pss = keyd_scheme_find(0x0804);
	const struct keyd_scheme *pkcs1 = keyd_scheme_find(0x0401);
	CHECK(ecdsa != NULL && pss != NULL && pkcs1 != NULL);
	/* SHA-1, SHA-224, EdDSA and unknown codes: none */
	CHECK(keyd_scheme_find(0x0203) == NULL);
	CHECK(keyd_scheme_find(0x0201) == NULL);
	CHECK(keyd_scheme_find(0x0303) == NULL);
	CHECK(keyd_scheme_find(0x0807) == NULL);
	CHECK(keyd_scheme_find(0) == NULL);

	/* a VAPID audience: an https origin and nothing else */
	static const char *const auds_ok[] = { "https://fcm.googleapis.com",
		"https://web.push.apple.com:443", "https://127.0.0.1:24901",
		"https://[2001:db8::1]", "https://[::1]:8443" };
	static const char *const auds_bad[] = { "http://push.example",
		"https://", "https://push.example/", "https://a\"b",
		"https://u@push.example", "https://push.example:",
		"https://push.example:123456", "https://push.example:8x",
		"https://[::1", "https://[]", "https://push.example?x",
		"https://push example", "ftp://push.example" };
	for (size_t i = 0; i < sizeof(auds_ok) / sizeof(auds_ok[0]); i++)
		CHECK(keyd_vapid_aud_ok(auds_ok[i], strlen(auds_ok[i])));
	for (size_t i = 0; i < sizeof(auds_bad) / sizeof(auds_bad[0]); i++)
		CHECK(!keyd_vapid_aud_ok(auds_bad[i], strlen(auds_bad[i])));
	char longaud[KEY_VAPID_AUD_MAX + 2] = "https://";
	memset(longaud + 8, 'a', sizeof(longaud) - 9);
	longaud[sizeof(longaud) - 1] = '\0';
	CHECK(!keyd_vapid_aud_ok(longaud, strlen(longaud)));
	CHECK(keyd_vapid_aud_ok(longaud, KEY_VAPID_AUD_MAX));

	const char *server = "TLS 1.3, server CertificateVerify";
	size_t n = cv(in, server, 32);
	CHECK_EQ(keyd_shape_check(ecdsa, in, n, why, sizeof(why)),
	    KEYD_IN_TLS13_CV);
	n = cv(in, server, 48);
	CHECK_EQ(keyd_shape_check(pss, in, n, why, sizeof(why)),
	    KEYD_IN_TLS13_CV);
	/* PKCS#1 is not a TLS 1.3 scheme */
	CHECK_EQ(keyd_shape_check(pkcs1, in, n, why, sizeof(why)), 0);
	/* the client's context, other hash lengths, a byte of padding off */
	n = cv(in, "TLS 1.3, client CertificateVerify", 32);
	CHECK_EQ(keyd_shape_check(ecdsa, in, n, why, sizeof(why)), 0);
	for (size_t h = 0; h <= 64; h++) {
		n = cv(in, server, h);
		CHECK_EQ(keyd_shape_check(ecdsa, in, n, why, sizeof(why)) != 0,
		    h == 32 || h == 48);
	}
	n = cv(in, server, 32);
	in[17] = 0x21;
	CHECK_EQ(keyd_shape_check(ecdsa, in, n, why, sizeof(why)), 0);
	n = cv(in, server, 32);
	CHECK_EQ(keyd_shape_check(ecdsa, in, n - 1, why, sizeof(why)), 0);

	/* ServerKeyExchange: each group with its point length */
	const struct { uint16_t g; size_t len; uint8_t first; } ok[] = {
		{ 23, 65, 4 }, { 24, 97, 4 }, { 25, 133, 4 }, { 29, 32, 7 },
		{ 30, 56, 0 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = ske(in, ok[i].g, ok[i].len, ok[i].first);
		CHECK_EQ(keyd_shape_check(pkcs1, in, n, why, sizeof(why)),
		    KEYD_IN_TLS12_SKE);
		CHECK_EQ(keyd_shape_check(ecdsa, in, n, why, sizeof(why)),
		    KEYD_IN_TLS12_SKE);
		/* one byte short or long in the length byte, or in the input */
		in[67]++;
		CHECK_EQ(keyd_shape_check(ecdsa, in, n, why, sizeof(why)), 0);
		in[67]--;
		CHECK_EQ(keyd_shape_check(ecdsa, in, n - 1, why, sizeof(why)), 0);
	}
	/* a compressed NIST point, an unknown group, explicit curves */
	n = ske(in, 23, 65, 2);
	CHECK_EQ(keyd_shape_check(ecdsa, in, n, why, sizeof(why)), 0);
	n = ske(in, 22, 65, 4);
	CHECK_EQ(keyd_shape_check(ecdsa, in, n, why, sizeof(why)), 0);
	n = ske(in, 23, 65, 4);
	in[64] = 1;
	CHECK_EQ(keyd_shape_check(ecdsa, in, n, why, sizeof(why)), 0);
	CHECK(strstr(why, "neither") != NULL);
	/* 32 random-looking bytes */
	memset(in, 0x9c, 32);
	CHECK_EQ(keyd_shape_check(ecdsa, in, 32, why, sizeof(why)), 0);
	return check_done("keyd_shape");
}
