/*
 * keyd_shape: which inputs keyd signs (docs/keyd.md). Pure C, no OpenSSL,
 * so that the rule can be read and unit-tested on its own.
 *
 * A request names a TLS SignatureScheme and carries the whole
 * to-be-signed input. keyd signs it only if it is one of:
 *   - a TLS 1.3 server CertificateVerify content (RFC 8446 4.4.3): 64 bytes
 *     0x20, "TLS 1.3, server CertificateVerify", 0x00, then a transcript
 *     hash as long as a TLS 1.3 cipher suite's hash (32 or 48 bytes), under
 *     an ECDSA or RSA-PSS scheme;
 *   - a TLS 1.2 ECDHE ServerKeyExchange's signed params (RFC 8422 5.4):
 *     client_random(32) server_random(32) curve_type(3) named_group(2)
 *     point length(1) point, the length exactly the group's, under an
 *     ECDSA, RSA-PSS or RSA PKCS#1 scheme with SHA-256 or longer.
 * Everything else is refused with a reason.
 */
#ifndef CLOISTER_KEYD_SHAPE_H
#define CLOISTER_KEYD_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum keyd_key_type { KEYD_KEY_EC = 1, KEYD_KEY_RSA = 2 };
enum keyd_pad { KEYD_PAD_NONE, KEYD_PAD_PKCS1, KEYD_PAD_PSS };

/* What a SignatureScheme asks of the key and the signer. */
struct keyd_scheme {
	uint16_t code;             /* RFC 8446 4.2.3 */
	enum keyd_key_type key;
	enum keyd_pad pad;
	const char *digest;        /* "SHA256", "SHA384", "SHA512" */
	bool tls13;                /* allowed in a TLS 1.3 CertificateVerify */
};

enum keyd_input { KEYD_IN_TLS13_CV = 1, KEYD_IN_TLS12_SKE = 2 };

/* The scheme for code, or NULL when keyd signs nothing under it (SHA-1,
 * SHA-224, EdDSA, unknown). */
const struct keyd_scheme *keyd_scheme_find(uint32_t code);

/* Check in[0..len) against the shapes above for scheme s: the kind of
 * input, or 0 with why filled. */
int keyd_shape_check(const struct keyd_scheme *s, const uint8_t *in,
    size_t len, char *why, size_t whylen);

/* A VAPID token's audience (RFC 8292 section 2): a push service's origin
 * and nothing else: "https://", a host name (letters, digits, dots,
 * dashes) or a bracketed IPv6 address, an optional ":PORT"; no path, no
 * userinfo, nothing a JSON string would have to escape. */
bool keyd_vapid_aud_ok(const char *aud, size_t n);

#endif
