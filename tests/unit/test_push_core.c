/* test_push_core: pushd's core against the standards' own numbers: RFC
 * 8291 Appendix A byte for byte, a VAPID token whose signature verifies
 * with its k= key and whose claims are the origin, the clamped expiry and
 * the contact, endpoint URLs taken apart, and response heads read. */
#include "check.h"
#include "push_b64.h"
#include "push_ece.h"
#include "push_http.h"
#include "push_url.h"
#include "push_vapid.h"

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <string.h>

static size_t
dec(const char *s, uint8_t *out, size_t cap)
{
	long n = push_b64url_decode(s, strlen(s), out, cap);
	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

/* The sender's key of RFC 8291 Appendix A from its private scalar. */
static EVP_PKEY *
rfc_sender_key(void)
{
	uint8_t d[32], pub[65];
	dec("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw", d, sizeof(d));
	dec("BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAm"
	    "S6TlzAC8wEqKK6PBru3jl7A8", pub, sizeof(pub));
	BIGNUM *priv = BN_bin2bn(d, 32, NULL);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, priv);
	OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, 65);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;
	CHECK(EVP_PKEY_fromdata_init(ctx) == 1);
	CHECK(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) == 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(priv);
	return key;
}

static void
test_rfc8291_vector(void)
{
	static const char plain[] = "When I grow up, I want to be a watermelon";
	uint8_t ua[65], auth[16], salt[16], out[512];
	size_t n = 0;
	dec("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyP"
	    "js7Vd8pZGH6SRpkNtoIAiw4", ua, sizeof(ua));
	dec("BTBZMqHH6r4Tts7J_aSIgg", auth, sizeof(auth));
	dec("DGv6ra1nlYgDCS1FRnbzlw", salt, sizeof(salt));
	EVP_PKEY *as = rfc_sender_key();
	CHECK(push_ece_encrypt(ua, auth, (const uint8_t *)plain,
	    strlen(plain), as, salt, out, sizeof(out), &n) == 0);
	struct buf b = BUF_INIT(1024);
	CHECK(push_b64url_encode(out, n, &b) == 0);
	CHECK(buf_append_byte(&b, 0) == 0);
	CHECK(strcmp((char *)b.data, "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGR"
	    "TbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6"
	    "PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWG"
	    "NWQexSgSxsj_Qulcy4a-fN") == 0);
	/* a fresh key and salt each time: never the same body twice */
	uint8_t again[512];
	size_t m = 0;
	CHECK(push_ece_encrypt(ua, auth, (const uint8_t *)plain,
	    strlen(plain), NULL, NULL, again, sizeof(again), &m) == 0);
	CHECK_EQ(m, n);
	CHECK(memcmp(again, out, 16) != 0);
	/* not a point on the curve; too small an output */
	ua[40] ^= 1;
	CHECK(push_ece_encrypt(ua, auth, (const uint8_t *)plain,
	    strlen(plain), NULL, NULL, again, sizeof(again), &m) < 0);
	ua[40] ^= 1;
	CHECK(push_ece_encrypt(ua, auth, (const uint8_t *)plain,
	    strlen(plain), NULL, NULL, again, 100, &m) < 0);
	buf_free(&b);
	EVP_PKEY_free(as);
}

/* The JWT in "vapid t=JWT, k=KEY": its signature checks with KEY. */
static void
test_vapid(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	struct buf h = BUF_INIT(4096);
	CHECK(push_vapid_header(key, "https://push.example.net",
	    "mailto:ops@example.org", 1000, 1000 + 90000, &h) == 0);
	CHECK(buf_append_byte(&h, 0) == 0);
	char *s = (char *)h.data;
	CHECK(strncmp(s, "vapid t=", 8) == 0);
	char *k = strstr(s, ", k=");
	CHECK(k != NULL);
	if (k == NULL)
		return;
	*k = '\0';
	const char *jwt = s + 8, *dot1 = strchr(jwt, '.');
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	CHECK(dot2 != NULL);
	uint8_t claims[512], sig[64], pub[65];
	long cn = push_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1),
	    claims, sizeof(claims));
	CHECK(cn > 0);
	json_t *c = json_loadb((char *)claims, cn > 0 ? (size_t)cn : 0, 0, NULL);
	CHECK(strcmp(json_string_value(json_object_get(c, "aud")),
	    "https://push.example.net") == 0);
	CHECK_EQ(json_integer_value(json_object_get(c, "exp")), 1000 + 86400);
	CHECK(strcmp(json_string_value(json_object_get(c, "sub")),
	    "mailto:ops@example.org") == 0);
	CHECK(push_b64url_decode(dot2 + 1, strlen(dot2 + 1), sig,
	    sizeof(sig)) == 64);
	CHECK(push_b64url_decode(k + 4, strlen(k + 4), pub, sizeof(pub)) == 65);
	/* verify r||s over "header.claims" with the k= key */
	EVP_PKEY *vk = push_p256_public(pub);
	ECDSA_SIG *es = ECDSA_SIG_new();
	ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32,
	    NULL));
	uint8_t *der = NULL;
	int dn = i2d_ECDSA_SIG(es, &der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, vk) == 1);
	CHECK(EVP_DigestVerify(md, der, (size_t)dn, (const uint8_t *)jwt,
	    (size_t)(dot2 - jwt)) == 1);
	/* one changed byte of the signed part does not verify */
	EVP_MD_CTX_reset(md);
	s[9] ^= 1;
	CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, vk) == 1);
	CHECK(EVP_DigestVerify(md, der, (size_t)dn, (const uint8_t *)jwt,
	    (size_t)(dot2 - jwt)) != 1);
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_PKEY_free(vk);
	json_decref(c);
	buf_free(&h);
	EVP_PKEY_free(key);
}

static void
test_url(void)
{
	struct push_url u;
	CHECK(push_url_parse("https://Push.Example.NET/wpush/v2/abc?x=1#f",
	    &u) == 0);
	CHECK(strcmp(u.host, "push.example.net") == 0 && u.port == 443);
	CHECK(strcmp(u.target, "/wpush/v2/abc?x=1") == 0);
	CHECK(strcmp(u.origin, "https://push.example.net") == 0);
	CHECK(push_url_parse("https://127.0.0.1:24510", &u) == 0);
	CHECK(strcmp(u.target, "/") == 0 && u.port == 24510);
	CHECK(strcmp(u.origin, "https://127.0.0.1:24510") == 0);
	CHECK(push_url_parse("https://[::1]:8443/p", &u) == 0);
	CHECK(strcmp(u.host, "::1") == 0 && u.port == 8443);
	CHECK(strcmp(u.origin, "https://[::1]:8443") == 0);
	CHECK(push_url_parse("http://push.example.net/", &u) < 0);
	CHECK(push_url_parse("https://a@push.example.net/", &u) < 0);
	CHECK(push_url_parse("https://push.example.net:0/", &u) < 0);
	CHECK(push_url_parse("https://push.example.net:70000/", &u) < 0);
	CHECK(push_url_parse("https://push.example.net:/", &u) < 0);
	CHECK(push_url_parse("https:///x", &u) < 0);
	CHECK(push_url_parse("https://a.example/\r\nX: y", &u) < 0);
}

static int
resp(const char *s, struct push_resp *r)
{
	return push_http_response((const uint8_t *)s, strlen(s), r);
}

static void
test_response(void)
{
	struct push_resp r;
	CHECK(resp("HTTP/1.1 201 Created\r\nLocation: /m/1\r\n\r\n", &r) == 1);
	CHECK_EQ(r.status, 201);
	CHECK(resp("HTTP/1.1 429 Too Many\r\nretry-after: 120\r\n\r\n", &r) == 1);
	CHECK_EQ(r.status, 429);
	CHECK_EQ(r.retry_after, 120);
	CHECK(resp("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 410 Gone\r\n\r\n",
	    &r) == 1);
	CHECK_EQ(r.status, 410);
	CHECK(resp("HTTP/1.1 201 Created\r\nLocation: /m/1\r\n", &r) == 0);
	CHECK(resp("HTTP/1.1 2x1 Created\r\n\r\n", &r) < 0);
	CHECK(resp("SMTP/1.1 201 Created\r\n\r\n", &r) < 0);
	CHECK(resp("HTTP/1.1 201 Created\r\nno colon\r\n\r\n", &r) < 0);
	CHECK(resp("HTTP/1.1 503 x\r\nRetry-After: 99999999999\r\n\r\n",
	    &r) == 1 && r.retry_after == 86400);
	static char big[PUSH_RESP_HEAD_MAX + 64];
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	CHECK(resp(big, &r) < 0);
}

static void
test_request(void)
{
	struct push_url u;
	struct buf b = BUF_INIT(8192);
	uint8_t body[3] = { 1, 2, 3 };
	CHECK(push_url_parse("https://push.example.net:8443/p/1", &u) == 0);
	struct push_req q = { &u, "vapid t=a.b.c, k=K", 60, "normal", body, 3, true };
	CHECK(push_http_request(&q, &b) == 0);
	CHECK(buf_append_byte(&b, 0) == 0);
	CHECK(strncmp((char *)b.data, "POST /p/1 HTTP/1.1\r\nHost: "
	    "push.example.net:8443\r\nTTL: 60\r\nUrgency: normal\r\n"
	    "Authorization: vapid t=a.b.c, k=K\r\nContent-Encoding: aes128gcm"
	    "\r\n", 120) == 0);
	CHECK(strstr((char *)b.data, "Content-Length: 3\r\nConnection: close"
	    "\r\n\r\n\x01\x02\x03") != NULL);
	buf_free(&b);
}

int
main(void)
{
	test_rfc8291_vector();
	test_vapid();
	test_url();
	test_response();
	test_request();
	return check_done("push_core");
}
